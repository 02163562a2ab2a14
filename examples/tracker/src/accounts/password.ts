/**
 * Password hashing with scrypt (node:crypto), a memory-hard KDF. A hash is
 * stored as `$scrypt$ln=15,r=8,p=1$<salt>$<key>` (base64, PHC-like) so its
 * parameters can be raised later without invalidating older hashes; the
 * parameters a stored hash may ask for are bounded (a row cannot make the
 * tracker spend unbounded memory). Passwords and hashes are never logged.
 * @module
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { AccountError } from './errors.js'

/** scrypt's cost parameters: N = 2^ln, block size r, parallelism p. */
export interface ScryptCost {
  readonly ln: number
  readonly r: number
  readonly p: number
}

/** The cost of new hashes: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s on one core; OWASP's minimum is 2^17 with r = 8 at 128 MiB or 2^15 with r = 8 and p = 3). */
export const DEFAULT_SCRYPT_COST: ScryptCost = Object.freeze({ ln: 15, r: 8, p: 1 })

/** Bytes of salt and of derived key. */
const SALT_BYTES = 16
const KEY_BYTES = 32

/** Shortest and longest password, in UTF-8 bytes. */
export const PASSWORD_MIN_BYTES = 8
export const PASSWORD_MAX_BYTES = 1024

/** Hashes running at once; more are refused with `BUSY` (scrypt runs on libuv's 4 threads). */
const MAX_CONCURRENT = 16
let running = 0

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  if (running >= MAX_CONCURRENT) {
    return Promise.reject(new AccountError('BUSY', 'too many logins at once, try again in a moment'))
  }
  running++
  const N = 2 ** cost.ln
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      password,
      salt,
      KEY_BYTES,
      { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 1024 * 1024 },
      (err, key) => (err === null ? resolve(key) : reject(err)),
    )
  }).finally(() => {
    running--
  })
}

/**
 * Checks a new password's length.
 *
 * @param password - the password
 * @throws {@link AccountError} `PASSWORD_INVALID`
 */
export function checkPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string') throw new AccountError('PASSWORD_INVALID', 'password must be a string')
  const bytes = Buffer.byteLength(password, 'utf8')
  if (bytes < PASSWORD_MIN_BYTES || bytes > PASSWORD_MAX_BYTES) {
    throw new AccountError(
      'PASSWORD_INVALID',
      `password must have ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes (UTF-8)`,
    )
  }
}

/**
 * Hashes a password with a new random salt.
 *
 * @param password - the password (checked by {@link checkPassword})
 * @param cost - scrypt's parameters (tests use a low one)
 * @returns the encoded hash
 * @throws {@link AccountError} `PASSWORD_INVALID`, `BUSY`
 */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  checkPassword(password)
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, cost)
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

const ENCODED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d)\$([A-Za-z0-9+/=]{1,64})\$([A-Za-z0-9+/=]{1,88})$/

/**
 * Checks a password against a stored hash, in time that does not depend on
 * where they differ.
 *
 * @param password - what the user typed
 * @param encoded - the stored hash
 * @returns whether they match (false for a hash this cannot read, or with parameters out of bounds)
 * @throws {@link AccountError} `BUSY`
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = ENCODED.exec(encoded)
  if (match === null || typeof password !== 'string') return false
  const cost = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) }
  if (cost.ln < 10 || cost.ln > 20 || cost.r < 1 || cost.r > 16 || cost.p < 1 || cost.p > 4) return false
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) return false
  const expected = Buffer.from(match[5] as string, 'base64')
  const key = await derive(password, Buffer.from(match[4] as string, 'base64'), cost)
  return key.length === expected.length && timingSafeEqual(key, expected)
}
