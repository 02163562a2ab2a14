import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CliError } from '../errors.js'
import { TOKEN_FILE_NAME } from './protocol.js'

/** Random bytes in a token (hex in the file). */
const TOKEN_BYTES = 32

/**
 * Reads the daemon's token from the data folder, making one (32 random
 * bytes, hex, mode 0600) when there is none. The same token serves across
 * restarts, so that a front-end configured with it keeps working. A token
 * file that others can read is made owner-only again.
 *
 * @param dataDir - the data folder
 * @returns the token
 * @throws {@link CliError} `PERMISSION_DENIED` when the file cannot be read or written
 */
export async function loadOrCreateToken(dataDir: string): Promise<string> {
  const path = join(dataDir, TOKEN_FILE_NAME)
  try {
    await writeFile(path, `${randomBytes(TOKEN_BYTES).toString('hex')}\n`, { flag: 'wx', mode: 0o600 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw tokenError(path, error)
  }
  try {
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600)
    const token = (await readFile(path, 'utf8')).trim()
    if (!/^[0-9a-f]{32,128}$/.test(token)) {
      throw new CliError('PERMISSION_DENIED', `${path} does not hold a token`, 'delete it: the daemon makes a new one')
    }
    return token
  } catch (error) {
    throw error instanceof CliError ? error : tokenError(path, error)
  }
}

/**
 * Reads the token of a running daemon (a client's side).
 *
 * @param dataDir - the data folder
 * @returns the token, or undefined when there is no readable token file
 */
export async function readToken(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dataDir, TOKEN_FILE_NAME), 'utf8')).trim()
  } catch {
    return undefined
  }
}

/**
 * Compares a presented credential with the expected ones in constant time.
 *
 * @param presented - what the request carried
 * @param accepted - the token, and the `--password` when one was given
 * @returns whether it matches one of them
 */
export function credentialMatches(presented: string | undefined, accepted: readonly string[]): boolean {
  if (presented === undefined) return false
  const given = Buffer.from(presented)
  let match = false
  for (const secret of accepted) {
    const expected = Buffer.from(secret)
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true
  }
  return match
}

function tokenError(path: string, cause: unknown): CliError {
  return new CliError('PERMISSION_DENIED', `cannot read or write the daemon token ${path}`, 'check the data folder', {
    cause,
  })
}
