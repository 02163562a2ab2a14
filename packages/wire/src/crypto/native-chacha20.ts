/**
 * Finding the native ChaCha20 module at run time (`native/chacha20.node`,
 * built from `native/chacha20.c` when the package is installed), without
 * importing a Node module: a browser bundle never reaches it.
 * @module
 */

/** A cipher context of the native module: opaque, freed with the object. */
export interface NativeChaCha20Context {
  /** Only the native module makes these. */
  readonly __nativeChaCha20: never
}

/**
 * ChaCha20 in place through the OpenSSL inside Node: what the native module
 * gives. Both functions check their arguments (a wrong one throws, it never
 * reaches memory it does not own); the callers in this package check ranges
 * and counters before.
 */
export interface NativeChaCha20 {
  /** The module's file, for worker threads that load it again. */
  readonly path: string
  /**
   * A cipher at a block of the key stream.
   *
   * @param key - 32 bytes
   * @param iv - 16 bytes: the 32-bit block counter, little-endian, then the 12-byte nonce (OpenSSL's layout)
   * @returns the context, which keeps its place in the key stream
   */
  open(key: Uint8Array, iv: Uint8Array): NativeChaCha20Context
  /**
   * XORs `input` with the context's next `input.length` bytes of key stream into `output`.
   *
   * @param context - from {@link NativeChaCha20.open}
   * @param input - the bytes
   * @param output - as long as `input`: `input` itself, or an array that does not overlap it
   */
  xor(context: NativeChaCha20Context, input: Uint8Array, output: Uint8Array): void
}

/** The environment variable that turns the module off (`0`) or names its file. */
export const NATIVE_CHACHA20_ENV = 'MYCEL_NATIVE_CHACHA20'

/** The module's file name, in a `native` folder beside the running module or in the package. */
const MODULE_FILE = 'chacha20.node'

type Found = { module: NativeChaCha20 | undefined; problem: string | undefined }

let found: Found | undefined

/**
 * The native ChaCha20 of this installation, if it was built and loads here.
 * `@mycel/wire/crypto`'s `node:crypto` provider uses it for the ChaCha20
 * stream of private shares; everything works without it, through
 * `node:crypto`, at about a third of the speed (each `update` answers in a
 * new buffer). It is looked for beside the running module (a bundle that
 * ships `native/chacha20.node` next to itself, as the `mycel` command
 * does), then in the `@mycel/wire` package. `MYCEL_NATIVE_CHACHA20=0` turns
 * it off; a path there is the only file tried. A module that loads is
 * checked against `node:crypto` before it is used.
 *
 * @returns the module (found once, then cached), or undefined; {@link nativeChaCha20Problem} says why
 *
 * @example
 * ```ts
 * findNativeChaCha20()?.path // '/…/node_modules/@mycel/wire/native/chacha20.node', or undefined
 * ```
 */
export function findNativeChaCha20(): NativeChaCha20 | undefined {
  found ??= lookUp()
  return found.module
}

/**
 * Why {@link findNativeChaCha20} found no module, in one line, or undefined when it found one.
 *
 * @returns the reason
 *
 * @example
 * ```ts
 * if (findNativeChaCha20() === undefined) console.warn(nativeChaCha20Problem())
 * ```
 */
export function nativeChaCha20Problem(): string | undefined {
  found ??= lookUp()
  return found.problem
}

type GetBuiltinModule = (id: string) => unknown
type Require = ((id: string) => unknown) & { resolve(id: string): string }
type ModuleModule = { createRequire(from: string | URL): Require }
type FsModule = { existsSync(path: string): boolean }
type CryptoModule = {
  createCipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array): { update(data: Uint8Array): Uint8Array }
  randomBytes(size: number): Uint8Array
}
type UrlModule = { fileURLToPath(url: string | URL): string }
type PathModule = { dirname(path: string): string; join(...parts: string[]): string }

function lookUp(): Found {
  const runtime = (globalThis as { process?: { getBuiltinModule?: GetBuiltinModule; env?: Record<string, string> } })
    .process
  const getBuiltinModule = runtime?.getBuiltinModule
  if (typeof getBuiltinModule !== 'function') return { module: undefined, problem: 'this runtime has no Node modules' }
  const setting = runtime?.env?.[NATIVE_CHACHA20_ENV]
  if (setting === '0') return { module: undefined, problem: `turned off by ${NATIVE_CHACHA20_ENV}=0` }
  try {
    const get = <T>(id: string) => getBuiltinModule.call(runtime, id) as T
    const { createRequire } = get<ModuleModule>('node:module')
    const { existsSync } = get<FsModule>('node:fs')
    const { fileURLToPath } = get<UrlModule>('node:url')
    const { dirname, join } = get<PathModule>('node:path')
    const require = createRequire(import.meta.url)
    const candidates: string[] = []
    if (setting !== undefined && setting !== '') candidates.push(setting)
    else {
      // (a path, not `new URL('./native/…', import.meta.url)`: bundlers take that form for an asset to include)
      candidates.push(join(dirname(fileURLToPath(import.meta.url)), 'native', MODULE_FILE))
      try {
        candidates.push(join(dirname(require.resolve('@mycel/wire/package.json')), 'native', MODULE_FILE))
      } catch {
        // A bundle without @mycel/wire installed beside it: only the first place.
      }
    }
    const path = candidates.find((candidate) => existsSync(candidate))
    if (path === undefined) {
      return { module: undefined, problem: `not built (looked for ${candidates.join(', ')})` }
    }
    const loaded = require(path) as Omit<NativeChaCha20, 'path'>
    const module: NativeChaCha20 = { path, open: loaded.open, xor: loaded.xor }
    if (!agreesWithNodeCrypto(module, get<CryptoModule>('node:crypto'))) {
      return { module: undefined, problem: `${path} gives other bytes than node:crypto` }
    }
    return { module, problem: undefined }
  } catch (err) {
    return { module: undefined, problem: `it did not load: ${err instanceof Error ? err.message : String(err)}` }
  }
}

/** One short check of a freshly loaded module: a split range and in place, against OpenSSL through node:crypto. */
function agreesWithNodeCrypto(native: NativeChaCha20, crypto: CryptoModule): boolean {
  const key = crypto.randomBytes(32)
  const iv = crypto.randomBytes(16)
  const input = crypto.randomBytes(200)
  const expected = crypto.createCipheriv('chacha20', key, iv).update(input)
  const output = new Uint8Array(input.length)
  const context = native.open(key, iv)
  native.xor(context, input.subarray(0, 77), output.subarray(0, 77))
  native.xor(context, input.subarray(77), output.subarray(77))
  const inPlace = Uint8Array.from(input)
  native.xor(native.open(key, iv), inPlace, inPlace)
  return output.every((byte, i) => byte === expected[i] && inPlace[i] === byte)
}
