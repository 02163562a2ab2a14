import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

interface Manifest {
  name: string
  version: string
  type?: string
  sideEffects?: boolean
  engines?: { node?: string }
  exports?: Record<string, unknown>
  dependencies?: Record<string, string>
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => `${entry.parentPath}/${entry.name}`)
}

const packages = readdirSync(`${root}packages`).map((dir) => ({
  dir,
  manifest: JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8')) as Manifest,
}))

/** The order in which DESIGN.md allows packages to depend on each other. */
const layers = ['wire', 'pieces', 'transport', 'dht', 'store', 'node']
const allowed: Record<string, string[]> = {
  wire: [],
  pieces: ['wire'],
  transport: ['wire'],
  dht: ['wire'],
  store: ['wire', 'pieces'],
  node: ['wire', 'pieces', 'transport', 'dht', 'store'],
}

describe('package manifests', () => {
  it('covers exactly the six packages of DESIGN.md', () => {
    expect(packages.map((p) => p.dir).sort()).toEqual([...layers].sort())
  })

  for (const { dir, manifest } of packages) {
    describe(`@mycel/${dir}`, () => {
      it('is an ESM package without side effects, on Node 20.19+, versioned with the others', () => {
        expect(manifest.name).toBe(`@mycel/${dir}`)
        expect(manifest.type).toBe('module')
        expect(manifest.sideEffects).toBe(false)
        expect(manifest.engines?.node).toBe('>=20.19')
        expect(manifest.version).toBe(packages[0]?.manifest.version)
      })

      it('maps every export to dist with types first, and each has a source entry', () => {
        const exports = manifest.exports ?? {}
        expect(Object.keys(exports)).toContain('.')
        for (const [subpath, target] of Object.entries(exports)) {
          if (subpath === './package.json') continue
          const entry = subpath === '.' ? 'index' : subpath.slice(2)
          expect(Object.keys(target as object)[0], `${subpath}: "types" must come first`).toBe('types')
          expect(target).toMatchObject({ types: `./dist/${entry}.d.ts`, import: `./dist/${entry}.js` })
          expect(existsSync(`${root}packages/${dir}/src/${entry}.ts`), `src/${entry}.ts`).toBe(true)
        }
      })

      it('depends only on packages below it, in its manifest and in its sources', () => {
        const declared = Object.keys(manifest.dependencies ?? {})
          .filter((d) => d.startsWith('@mycel/'))
          .map((d) => d.slice('@mycel/'.length))
        for (const dep of declared) expect(allowed[dir]).toContain(dep)
        for (const file of sourceFiles(`${root}packages/${dir}/src`)) {
          const text = readFileSync(file, 'utf8')
          for (const [, imported] of text.matchAll(/^(?!\s*(?:\*|\/\/)).*from '@mycel\/([a-z-]+)/gm)) {
            expect(declared, `${file} imports @mycel/${imported}`).toContain(imported)
          }
          expect(text, `${file} reaches into another package's sources`).not.toMatch(
            /from '(\.\.\/)+\.\.\/[a-z-]+\/src/,
          )
        }
      })
    })
  }
})
