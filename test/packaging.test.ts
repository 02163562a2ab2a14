/**
 * The packages as an npm user gets them: build, `npm pack` every published
 * package, install the tarballs into a scratch project in a temporary
 * folder, then type-check a program using the main APIs of every package
 * under moduleResolution node16, nodenext and bundler (every published
 * `.d.ts` is checked: skipLibCheck is off), and run a program under plain
 * Node: every entry point loads (the `testing` ones without vitest
 * installed), `createNode()` with its defaults (SQLite state) shares a file
 * and finds it again after a restart, and the `mycel` command runs.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')

interface Manifest {
  name: string
  version: string
  private?: boolean
  description?: string
  keywords?: string[]
  homepage?: string
  bugs?: { url?: string }
  repository?: { type?: string; url?: string; directory?: string }
  license?: string
  bin?: Record<string, string>
  exports?: Record<string, unknown>
  devDependencies?: Record<string, string>
}

function readManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest
}

const rootManifest = readManifest(join(ROOT, 'package.json'))

/** Every workspace that is published (not `private`), by folder. */
const published = ['packages', 'examples'].flatMap((group) =>
  readdirSync(join(ROOT, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, group, entry.name, 'package.json')))
    .map((entry) => `${group}/${entry.name}`)
    .map((dir) => ({ dir, manifest: readManifest(join(ROOT, dir, 'package.json')) }))
    .filter(({ manifest }) => manifest.private !== true),
)
const libraries = published.filter(({ manifest }) => manifest.exports !== undefined)

/** The import specifier of every entry point of every published library (`@mycel/store/sqlite`, ...). */
function entryPoints(): string[] {
  return libraries.flatMap(({ manifest }) =>
    Object.keys(manifest.exports ?? {})
      .filter((subpath) => subpath !== './package.json')
      .map((subpath) => (subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`)),
  )
}

/** Runs a command to its end; its output (stdout and stderr) comes back whatever the exit code. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs: number },
): Promise<{ code: number | null; stdout: string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, output })
    })
  })
}

async function mustRun(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const result = await run(command, args, { cwd, timeoutMs })
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.output}`)
  return result.stdout
}

let scratch: string
/** The scratch project the tarballs are installed in. */
let app: string

/**
 * Builds the packages (turbo; `flock` keeps this from building at the same
 * time as the CLI tests, which take the same lock), packs the published
 * ones and installs them with `@types/node` into a scratch project.
 */
async function installTarballs(): Promise<void> {
  scratch = await mkdtemp(join(tmpdir(), 'mycel-packaging-'))
  app = join(scratch, 'app')
  const tarballs = join(scratch, 'tarballs')
  await mkdir(tarballs, { recursive: true })
  await mkdir(app)
  const lock = join(tmpdir(), 'mycel-cli-test-build.lock')
  await mustRun('flock', [lock, 'npx', 'turbo', 'run', 'build', '--output-logs=errors-only'], ROOT, 400_000)
  const dependencies: Record<string, string> = {}
  for (const { dir, manifest } of published) {
    const packed = await mustRun('npm', ['pack', '--json', '--pack-destination', tarballs], join(ROOT, dir), 120_000)
    const [tarball] = JSON.parse(packed) as Array<{ filename: string }>
    dependencies[manifest.name] = `file:${join(tarballs, tarball?.filename as string)}`
  }
  const scratchManifest = {
    name: 'mycel-packaging-check',
    private: true,
    type: 'module',
    dependencies: { ...dependencies, '@types/node': rootManifest.devDependencies?.['@types/node'] ?? '^20' },
    // The packages depend on each other by version: the tarballs stand in for the registry.
    overrides: Object.fromEntries(Object.keys(dependencies).map((name) => [name, `$${name}`])),
  }
  await writeFile(join(app, 'package.json'), `${JSON.stringify(scratchManifest, null, 2)}\n`)
  // Scripts are skipped: the one install script, better-sqlite3's, builds its native module from
  // source here (about 1.5 minutes). The module the repository built is used when it is the same
  // version; otherwise it is built as `npm install` would.
  await mustRun('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], app, 300_000)
  const installed = join(app, 'node_modules/better-sqlite3')
  const built = join(ROOT, 'node_modules/better-sqlite3')
  const binary = 'build/Release/better_sqlite3.node'
  // Without better-sqlite3 among the dependencies, the run below fails with SQLITE_UNAVAILABLE.
  if (!existsSync(installed)) return
  if (
    existsSync(join(built, binary)) &&
    readManifest(join(installed, 'package.json')).version === readManifest(join(built, 'package.json')).version
  ) {
    await mkdir(join(installed, 'build/Release'), { recursive: true })
    await copyFile(join(built, binary), join(installed, binary))
  } else {
    await mustRun('npm', ['rebuild', 'better-sqlite3'], app, 300_000)
  }
}

/** Type-checks test/packaging/program.ts in the scratch project with one moduleResolution. */
async function checkProgram(resolution: string, module: string): Promise<{ code: number | null; output: string }> {
  const tsconfig = join(app, `tsconfig.${resolution}.json`)
  await copyFile(join(ROOT, 'test/packaging/program.ts'), join(app, 'program.ts'))
  const compilerOptions = {
    target: 'es2022',
    lib: ['es2023'],
    module,
    moduleResolution: resolution,
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
  }
  await writeFile(tsconfig, JSON.stringify({ compilerOptions, files: ['program.ts'] }))
  return run(process.execPath, [TSC, '-p', tsconfig], { cwd: app, timeoutMs: 280_000 })
}

beforeAll(installTarballs, 900_000)
afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true })
})

describe('the published packages, packed and installed in a scratch project', () => {
  it('are the six libraries and the mycel and mycel-tracker commands, each with its metadata and LICENSE in the tarball', () => {
    expect(published.map(({ manifest }) => manifest.name).sort()).toEqual([
      '@mycel/cli',
      '@mycel/dht',
      '@mycel/node',
      '@mycel/pieces',
      '@mycel/store',
      '@mycel/tracker',
      '@mycel/transport',
      '@mycel/wire',
    ])
    const repository = rootManifest.repository?.url?.replace(/^git\+/, '').replace(/\.git$/, '')
    expect(repository).toMatch(/^https:\/\//)
    for (const { dir, manifest: source } of published) {
      const folder = join(app, 'node_modules', source.name)
      const manifest = readManifest(join(folder, 'package.json'))
      expect(manifest.private, manifest.name).toBeUndefined()
      expect(manifest.license, manifest.name).toBe('MIT')
      expect(manifest.repository, manifest.name).toEqual({
        type: 'git',
        url: rootManifest.repository?.url,
        directory: dir,
      })
      expect(manifest.homepage, manifest.name).toBe(`${repository}/tree/main/${dir}#readme`)
      expect(manifest.bugs?.url, manifest.name).toBe(`${repository}/issues`)
      expect(manifest.keywords?.length ?? 0, manifest.name).toBeGreaterThan(2)
      expect(manifest.description?.length ?? 0, manifest.name).toBeGreaterThan(20)
      expect(readFileSync(join(folder, 'LICENSE'), 'utf8'), manifest.name).toMatch(/^MIT License/)
      expect(existsSync(join(folder, 'README.md')), manifest.name).toBe(true)
    }
  })

  /** The three checks run at the same time (each takes seconds: skipLibCheck is off); each test awaits its own. */
  let typeChecks: Map<string, Promise<{ code: number | null; output: string }>> | undefined
  const typeCheck = (resolution: string) => {
    typeChecks ??= new Map(
      (
        [
          ['node16', 'node16'],
          ['nodenext', 'nodenext'],
          ['bundler', 'esnext'],
        ] as const
      ).map(([mode, module]) => [mode, checkProgram(mode, module)]),
    )
    return typeChecks.get(resolution) as Promise<{ code: number | null; output: string }>
  }

  it('type-check a program that imports every entry point of every package', () => {
    const program = readFileSync(join(ROOT, 'test/packaging/program.ts'), 'utf8')
    const imported = new Set([...program.matchAll(/^import .* from '([^']+)'$/gm)].map((match) => match[1]))
    for (const specifier of entryPoints()) expect(imported, specifier).toContain(specifier)
  })

  for (const resolution of ['node16', 'nodenext', 'bundler']) {
    it(`type-check a program using every package under moduleResolution ${resolution}`, async () => {
      const result = await typeCheck(resolution)
      expect(result.output).toBe('')
      expect(result.code).toBe(0)
    }, 300_000)
  }

  interface RunResult {
    entries: Array<{ specifier: string; exports?: number; error?: string }>
    vitest: string
    node: { name?: string; magnet?: string; kept?: string[]; error?: string }
  }
  /** test/packaging/run.mjs, run once under plain Node; two tests read what it printed. */
  let ran: Promise<RunResult> | undefined
  const runProgram = (): Promise<RunResult> => {
    ran ??= (async () => {
      await copyFile(join(ROOT, 'test/packaging/run.mjs'), join(app, 'run.mjs'))
      const names = libraries.map(({ manifest }) => manifest.name)
      const { code, stdout, output } = await run(process.execPath, ['run.mjs', join(scratch, 'data'), ...names], {
        cwd: app,
        timeoutMs: 60_000,
      })
      if (code !== 0) throw new Error(`run.mjs failed (${code}):\n${output}`)
      return JSON.parse(stdout.trim().split('\n').at(-1) as string) as RunResult
    })()
    return ran
  }

  it('load under plain Node, every entry point, the testing ones with no test runner installed', async () => {
    const result = await runProgram()
    const expected = entryPoints()
    expect(result.vitest).toBe('ERR_MODULE_NOT_FOUND')
    expect(expected).toContain('@mycel/transport/testing')
    expect(result.entries.map((entry) => entry.specifier)).toEqual(expected)
    expect(result.entries.filter((entry) => entry.error !== undefined)).toEqual([])
    for (const entry of result.entries) expect(entry.exports, entry.specifier).toBeGreaterThan(0)
  }, 90_000)

  it('run createNode() with its defaults: SQLite state keeps a share across a restart', async () => {
    const { node } = await runProgram()
    expect(node.error).toBeUndefined()
    expect(node).toEqual({
      name: 'hello.txt',
      magnet: expect.stringMatching(/^magnet:\?xt=urn:btmh:1220[0-9a-f]{64}&dn=hello\.txt$/),
      kept: ['hello.txt'],
    })
    expect(existsSync(join(scratch, 'data', 'node', 'state.db'))).toBe(true)
  }, 90_000)

  it('install the mycel command, which runs from its tarball', async () => {
    const cli = published.find(({ manifest }) => manifest.name === '@mycel/cli')?.manifest
    expect(cli?.bin).toEqual({ mycel: './dist/bin.js' })
    const bin = join(app, 'node_modules/.bin/mycel')
    const version = await run(bin, ['--version'], { cwd: app, timeoutMs: 30_000 })
    expect(version.output.trim()).toBe(cli?.version)
    const id = await run(bin, ['id', '--data-dir', join(scratch, 'cli'), '--json'], { cwd: app, timeoutMs: 30_000 })
    expect(id.code, id.output).toBe(0)
    expect(JSON.parse(id.stdout)).toMatchObject({ peerId: expect.stringMatching(/^[a-z2-7]{52}$/) })
    // the daemon's web UI travels in the tarball, beside the bundle that serves it
    const installed = join(app, 'node_modules/@mycel/cli/dist/web-ui')
    expect(existsSync(join(installed, 'index.html'))).toBe(true)
    const page = readFileSync(join(installed, 'index.html'), 'utf8')
    const assets = [...page.matchAll(/(?:src|href)="\.?\/?([^"]+\.(?:js|css))"/g)].map((match) => match[1] as string)
    expect(assets.length).toBeGreaterThanOrEqual(2)
    for (const asset of assets) expect(existsSync(join(installed, asset)), asset).toBe(true)
  }, 60_000)

  it('build the native ChaCha20 with the install scripts of @mycel/wire and @mycel/cli, and use it', async () => {
    // The scratch install skipped scripts; `npm rebuild` runs these two as an install does.
    const rebuilt = await run('npm', ['rebuild', '@mycel/wire', '@mycel/cli', '--foreground-scripts'], {
      cwd: app,
      timeoutMs: 120_000,
    })
    expect(rebuilt.code, rebuilt.output).toBe(0)
    const wire = join(app, 'node_modules/@mycel/wire/native/chacha20.node')
    const cli = join(app, 'node_modules/@mycel/cli/dist/native/chacha20.node')
    expect(existsSync(wire), rebuilt.output).toBe(true)
    expect(existsSync(cli), rebuilt.output).toBe(true)
    const found = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { findNativeChaCha20, nativeChaCha20Problem } from '@mycel/wire/crypto'; console.log(JSON.stringify({ path: findNativeChaCha20()?.path, problem: nativeChaCha20Problem() }))",
      ],
      { cwd: app, timeoutMs: 30_000 },
    )
    expect(JSON.parse(found.stdout)).toEqual({ path: wire })
    // The bundled command finds the module beside itself: its node says so at start with --debug.
    await writeFile(join(scratch, 'shared.txt'), 'shared by the packaging test\n')
    const seeder = spawn(
      join(app, 'node_modules/.bin/mycel'),
      [
        '--debug',
        '--bootstrap',
        'none',
        '--data-dir',
        join(scratch, 'cli-native'),
        'share',
        join(scratch, 'shared.txt'),
      ],
      { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    const said = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve(stderr), 30_000)
      seeder.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text
        if (/private shares: .*ChaCha20/.test(stderr)) {
          clearTimeout(timer)
          resolve(stderr)
        }
      })
    })
    seeder.kill('SIGINT')
    expect(said).toContain(`private shares: the native ChaCha20 (${cli})`)
  }, 180_000)

  it('install the mycel-tracker command, which runs from its tarball with its SQLite default', async () => {
    const tracker = published.find(({ manifest }) => manifest.name === '@mycel/tracker')?.manifest
    expect(tracker?.bin).toEqual({ 'mycel-tracker': './dist/bin.js' })
    const bin = join(app, 'node_modules/.bin/mycel-tracker')
    const version = await run(bin, ['--version'], { cwd: app, timeoutMs: 30_000 })
    expect(version.output.trim()).toBe(tracker?.version)
    const database = join(scratch, 'tracker', 'tracker.db')
    const added = await run(bin, ['whitelist', 'add', 'ab'.repeat(20), '--database', database], {
      cwd: app,
      timeoutMs: 30_000,
    })
    expect(added.code, added.output).toBe(0)
    const listed = await run(bin, ['whitelist', 'ls', '--database', database], { cwd: app, timeoutMs: 30_000 })
    expect(listed.stdout.trim()).toBe('ab'.repeat(20))
  }, 60_000)
})
