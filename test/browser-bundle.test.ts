/**
 * The runtime-neutral entries bundle for a browser: esbuild with
 * `--platform=browser` follows every import of the entry (across packages,
 * from sources) and fails on any Node built-in module. The Node entries are
 * checked to be the ones that do import Node modules, so the test would see
 * a leak if the split broke.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Resolves `@mycel/<pkg>` and `@mycel/<pkg>/<entry>` to sources, as the tests and the type checker do;
 * an entry with a `browser` condition in its package's `exports` (`@mycel/transport/ws`) to the source of
 * that file, as a bundler for browsers does.
 */
const sources: Plugin = {
  name: 'mycel-sources',
  setup(build) {
    build.onResolve({ filter: /^@mycel\/[a-z-]+(\/[a-z0-9-]+)?$/ }, (args) => {
      const [, pkg, entry] = /^@mycel\/([a-z-]+)(?:\/([a-z0-9-]+))?$/.exec(args.path) as RegExpExecArray
      const manifest = JSON.parse(readFileSync(`${root}packages/${pkg}/package.json`, 'utf8')) as {
        exports: Record<string, { browser?: string }>
      }
      const browser = manifest.exports[entry === undefined ? '.' : `./${entry}`]?.browser
      if (browser !== undefined) {
        return { path: `${root}packages/${pkg}/${browser.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}` }
      }
      return { path: `${root}packages/${pkg}/src/${entry ?? 'index'}.ts` }
    })
  },
}

/** Bundles one entry for the browser; the error esbuild gives, if any. */
async function bundle(entry: string): Promise<{ ok: boolean; errors: string[]; nodeImports: string[] }> {
  try {
    const result = await build({
      entryPoints: [`${root}${entry}`],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [sources],
      metafile: true,
    })
    // Node modules found at run time (`process.getBuiltinModule('node:crypto')`, the fast path where it
    // exists) are strings, not imports: only imports count.
    const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path))
    return { ok: true, errors: [], nodeImports: [...new Set(imports.filter((path) => path.startsWith('node:')))] }
  } catch (error) {
    const errors = ((error as { errors?: { text: string }[] }).errors ?? []).map((item) => item.text)
    return { ok: false, errors, nodeImports: [] }
  }
}

describe('browser bundles', { timeout: 60_000 }, () => {
  it.each([
    'packages/node/src/core.ts',
    'packages/wire/src/index.ts',
    'packages/pieces/src/index.ts',
    'packages/transport/src/index.ts',
    'packages/dht/src/index.ts',
    'packages/store/src/index.ts',
    'packages/store/src/browser.ts',
    'packages/node/src/browser.ts',
  ])('%s bundles with --platform=browser and imports no node:* module', async (entry) => {
    const result = await bundle(entry)
    expect(result.errors).toEqual([])
    expect(result.ok).toBe(true)
    expect(result.nodeImports).toEqual([])
  })

  it('the Node entry of @mycel/node does not (it brings the Node defaults)', async () => {
    const result = await bundle('packages/node/src/index.ts')
    expect(result.ok).toBe(false)
    expect(result.errors.join('\n')).toMatch(/node:/)
  })
})
