#!/usr/bin/env node
/**
 * Builds `chacha20.node` beside this file from `chacha20.c`: ChaCha20 in
 * place through the OpenSSL inside Node, which `@mycel/wire/crypto` uses
 * when it finds it (private shares encrypt and decrypt every byte with it).
 * Without it everything works the same through `node:crypto`, slower.
 *
 * It needs a C compiler (`cc`, or `CC`) and Node's headers, which Node's own
 * builds carry (`<prefix>/include/node`, with OpenSSL's); it links nothing.
 * The module is written under another name, loaded once in a fresh Node
 * and checked against `node:crypto`, then moved into place, so a broken or
 * half-written build is never used.
 *
 *   node native/build.mjs            build it if this machine can; never fails
 *   node native/build.mjs --strict   fail (exit 1) when it cannot be built
 *   node native/build.mjs --quiet    say nothing unless it fails with --strict
 *
 * It runs when the package is installed (its `install` script), and in the
 * repository as `npm run build:native` (strict, before the tests).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const source = join(here, 'chacha20.c')
const target = join(here, 'chacha20.node')
const strict = process.argv.includes('--strict')
const quiet = process.argv.includes('--quiet')

/** Folders that may hold Node's headers (`node_api.h`), first the running Node's own. */
function headerFolders() {
  const prefix = dirname(dirname(process.execPath))
  return [
    process.env.MYCEL_NODE_INCLUDE,
    join(prefix, 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
    '/usr/include/nodejs',
  ].filter((folder) => folder !== undefined && folder !== '' && existsSync(join(folder, 'node_api.h')))
}

/** Compiles, checks and moves the module into place; returns what was built, or throws why not. */
function build() {
  if (process.platform === 'win32') throw new Error('not built on Windows (no `cc`)')
  const [include] = headerFolders()
  if (include === undefined) throw new Error("Node's headers (node_api.h) were not found; set MYCEL_NODE_INCLUDE")
  const compiler = process.env.CC || 'cc'
  const linking = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared', '-fPIC']
  const building = join(here, `chacha20.${process.pid}.tmp.node`)
  try {
    execFileSync(
      compiler,
      ['-O2', '-std=c11', '-Wall', '-fvisibility=hidden', ...linking, '-I', include, '-o', building, source],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    // Loaded in a fresh process: a module that crashes Node on load must not crash this one, or be kept.
    execFileSync(process.execPath, ['-e', CHECK, building], { stdio: ['ignore', 'ignore', 'pipe'] })
    renameSync(building, target)
    return `${target} (${compiler}, headers from ${include})`
  } catch (err) {
    rmSync(building, { force: true })
    const stderr = err?.stderr?.toString().trim()
    throw new Error(stderr ? `${err.message.split('\n')[0]}\n${stderr}` : err.message)
  }
}

/** Run in a fresh Node with the module's path: it must give `node:crypto`'s bytes, in place and not. */
const CHECK = `
const { createCipheriv, randomBytes } = require('node:crypto')
const native = require(process.argv[1])
const key = randomBytes(32), iv = randomBytes(16)
iv.writeUInt32LE(7, 0)
const input = randomBytes(100003)
const expected = createCipheriv('chacha20', key, iv).update(input)
const context = native.open(key, iv)
const output = new Uint8Array(input.length)
native.xor(context, input.subarray(0, 5), output.subarray(0, 5))
native.xor(context, input.subarray(5), output.subarray(5))
const inPlace = Uint8Array.from(input)
native.xor(native.open(key, iv), inPlace, inPlace)
if (!expected.equals(output) || !expected.equals(inPlace)) throw new Error('the module gives other bytes than node:crypto')
`

try {
  const built = build()
  if (!quiet) console.log(`@mycel/wire: built the native ChaCha20: ${built}`)
} catch (err) {
  const message = `@mycel/wire: no native ChaCha20, node:crypto is used instead (${err.message})`
  if (strict) {
    console.error(message)
    process.exit(1)
  }
  if (!quiet) console.log(message)
}
