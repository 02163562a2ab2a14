// Run by test/packaging.test.ts with plain Node, in a scratch project where
// the packed packages are installed (and vitest is not): loads every entry
// point of every package, then runs a node with its defaults (SQLite state)
// in the data folder given as the first argument, shares a file, closes, and
// opens the node again to list what it kept. Prints one JSON line.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const dataDir = process.argv[2]
const packages = process.argv.slice(3)
const result = { entries: [], vitest: undefined, node: undefined }
const failure = (error) => (error?.code ? `${error.code}: ${error.message}` : String(error))

for (const name of packages) {
  const manifest = JSON.parse(await readFile(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8'))
  for (const subpath of Object.keys(manifest.exports ?? {})) {
    if (subpath === './package.json') continue
    const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`
    try {
      result.entries.push({ specifier, exports: Object.keys(await import(specifier)).length })
    } catch (error) {
      result.entries.push({ specifier, error: failure(error) })
    }
  }
}

try {
  await import('vitest')
  result.vitest = 'installed'
} catch (error) {
  result.vitest = error.code
}

try {
  const { createNode } = await import('@mycel/node')
  const files = join(dataDir, 'files')
  await mkdir(files, { recursive: true })
  await writeFile(join(files, 'hello.txt'), 'hello from the tarballs\n'.repeat(10_000))
  const node = await createNode({ dataDir: join(dataDir, 'node') })
  const share = await node.share(join(files, 'hello.txt'))
  await node.close()
  const again = await createNode({ dataDir: join(dataDir, 'node') })
  const kept = (await again.list()).map((record) => record.name)
  await again.close()
  result.node = { name: share.name, magnet: share.magnet, kept }
} catch (error) {
  result.node = { error: failure(error) }
}

console.log(JSON.stringify(result))
