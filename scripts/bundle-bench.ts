/**
 * Bundles the child scripts of a benchmark from the current sources, for
 * benches whose measured code runs in child processes with plain `node`
 * (see docs/decisions.md, Benchmarks). The `@mycel/*` imports resolve to
 * `src/` through the tsconfig paths; other package imports stay imports.
 * The bundles go under the package's `node_modules/.cache`, so those
 * imports (`@noble/*`, `ws`, `better-sqlite3`, ...) resolve as the
 * package's own would.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const repositoryDir = fileURLToPath(new URL('..', import.meta.url))

/** The bundled scripts, by entry file name without extension, and how to remove them. */
export interface BenchBundle {
  scripts: Record<string, string>
  remove(): void
}

/**
 * @param packageDir - the package whose benchmark this is
 * @param entries - its TypeScript entry files, relative to `packageDir`
 * @returns the path of each bundle (`name.mjs`), keyed by entry name
 */
export async function bundleBenchScripts(packageDir: string, entries: readonly string[]): Promise<BenchBundle> {
  const outdir = join(packageDir, 'node_modules', '.cache', `mycel-bench-${process.pid}`)
  mkdirSync(outdir, { recursive: true })
  await build({
    entryPoints: entries.map((entry) => join(packageDir, entry)),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    tsconfig: join(repositoryDir, 'tsconfig.base.json'),
    logLevel: 'error',
  })
  const scripts: Record<string, string> = {}
  for (const entry of entries) {
    const name = basename(entry).replace(/\.ts$/, '')
    scripts[name] = join(outdir, `${name}.mjs`)
  }
  return { scripts, remove: () => rmSync(outdir, { recursive: true, force: true }) }
}
