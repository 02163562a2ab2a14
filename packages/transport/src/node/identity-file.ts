import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { chmod, link, mkdir, open, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { TransportError } from '../errors.js'
import { Identity, SECRET_KEY_BYTES } from '../identity.js'

/** The `type` field of an identity file. */
export const IDENTITY_FILE_TYPE = 'mycel-identity'

/** Largest identity file read, in bytes. */
const MAX_IDENTITY_FILE_BYTES = 4096

/**
 * The text of an identity file: a JSON object with `type`
 * (`"mycel-identity"`), `version` (1), `secretKey` (the 32-byte Ed25519 seed,
 * hex) and `peerId` (its text form, checked on load).
 */
function encodeIdentityFile(identity: Identity): string {
  const secretKey = Buffer.from(identity.exportSecretKey()).toString('hex')
  return `${JSON.stringify({ type: IDENTITY_FILE_TYPE, version: 1, peerId: identity.toString(), secretKey }, null, 2)}\n`
}

function invalid(path: string, why: string, cause?: unknown): TransportError {
  return new TransportError('IDENTITY_FILE_INVALID', `${path} is not a mycel identity file: ${why}`, { cause })
}

function decodeIdentityFile(path: string, text: string): Identity {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw invalid(path, 'not JSON', err)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'not a JSON object')
  const { type, version, secretKey, peerId } = value as Record<string, unknown>
  if (type !== IDENTITY_FILE_TYPE) throw invalid(path, `type is not "${IDENTITY_FILE_TYPE}"`)
  if (version !== 1) throw invalid(path, `unknown version ${JSON.stringify(version)}`)
  if (typeof secretKey !== 'string' || !new RegExp(`^[0-9a-f]{${2 * SECRET_KEY_BYTES}}$`).test(secretKey)) {
    throw invalid(path, `secretKey must be ${SECRET_KEY_BYTES} bytes in lower-case hex`)
  }
  const identity = Identity.fromSecretKey(new Uint8Array(Buffer.from(secretKey, 'hex')))
  if (peerId !== identity.toString()) throw invalid(path, 'peerId does not match secretKey (the file is damaged)')
  return identity
}

/** Options of {@link loadIdentity} and {@link loadOrCreateIdentity}. */
export interface LoadIdentityOptions {
  /**
   * Accept a file that group or others may read. Default false: such a file
   * fails with `IDENTITY_FILE_INSECURE`, as ssh does with private keys.
   * Ignored on Windows, whose permissions do not map to mode bits.
   */
  allowInsecurePermissions?: boolean
}

/**
 * Reads an identity file written by {@link saveIdentity}.
 *
 * @param path - the file
 * @param options - permission check
 * @returns the identity
 * @throws `TransportError` `IDENTITY_FILE_INVALID` for a file that is
 *   not a valid identity file (the message says why), `IDENTITY_FILE_INSECURE`
 *   for one that others may read; the `node:fs` error (such as `ENOENT`) when
 *   it cannot be read
 *
 * @example
 * ```ts
 * const identity = await loadIdentity('/home/me/.mycel/identity.json')
 * ```
 */
export async function loadIdentity(path: string, options: LoadIdentityOptions = {}): Promise<Identity> {
  const handle = await open(path, 'r')
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw invalid(path, 'not a regular file')
    if (info.size > MAX_IDENTITY_FILE_BYTES) throw invalid(path, `larger than ${MAX_IDENTITY_FILE_BYTES} bytes`)
    if (process.platform !== 'win32' && !options.allowInsecurePermissions && (info.mode & 0o077) !== 0) {
      throw new TransportError(
        'IDENTITY_FILE_INSECURE',
        `${path} may be read by others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`,
      )
    }
    const text = await handle.readFile({ encoding: 'utf8' })
    return decodeIdentityFile(path, text)
  } finally {
    await handle.close()
  }
}

/**
 * Writes an identity to a new file readable only by its owner (mode 0600),
 * creating missing parent folders (mode 0700). The write is atomic: the file
 * appears complete or not at all, and an existing file is never replaced.
 *
 * @param path - where to write; must not exist
 * @param identity - the identity to save
 * @throws the `node:fs` error `EEXIST` when the file exists, or another one when it cannot be written
 *
 * @example
 * ```ts
 * await saveIdentity('/home/me/.mycel/identity.json', Identity.generate())
 * ```
 */
export async function saveIdentity(path: string, identity: Identity): Promise<void> {
  if (!(identity instanceof Identity)) throw new TypeError('identity must be an Identity')
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  try {
    await handle.writeFile(encodeIdentityFile(identity), 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await chmod(temporary, 0o600)
    // link() fails with EEXIST instead of replacing: two processes racing to create get one winner.
    await link(temporary, path)
  } finally {
    await unlink(temporary).catch(() => {})
  }
}

/**
 * Loads the identity at `path`, or creates and saves a new one if the file
 * does not exist. Safe against concurrent callers: all get the same identity.
 *
 * @param path - the identity file
 * @param options - permission check
 * @returns the identity
 * @throws `TransportError` `IDENTITY_FILE_INVALID` or
 *   `IDENTITY_FILE_INSECURE` for a bad existing file; `node:fs` errors
 *
 * @example
 * ```ts
 * const identity = await loadOrCreateIdentity(join(homedir(), '.mycel', 'identity.json'))
 * console.log('peer id', identity.toString())
 * ```
 */
export async function loadOrCreateIdentity(path: string, options: LoadIdentityOptions = {}): Promise<Identity> {
  try {
    return await loadIdentity(path, options)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  try {
    const identity = Identity.generate()
    await saveIdentity(path, identity)
    return identity
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return loadIdentity(path, options)
  }
}
