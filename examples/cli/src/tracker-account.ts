/**
 * What the `account`, `browse`, `publish` and `credits` commands share: the
 * JSON API of a mycel-tracker with accounts (`--tracker http://host:6970`),
 * and the sessions kept in the data folder (`tracker-sessions.json`, mode
 * 0600: a session token is a secret for an hour).
 * @module
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NodeError, requestTrackerApi, type TrackerAccountOptions, type TrackerApiAnswer } from '@mycel/node'
import { CliError } from './errors.js'

/** One stored session. */
export interface StoredSession {
  readonly name: string
  readonly token: string
  /** Seconds since 1970. */
  readonly expiresAt: number
  /** The account's announce URL, as the tracker gave it at login (its origin names the tracker's announce server). */
  readonly announce?: string
  /** The data folder's peer id (hex key) the account bound at login, if it did. */
  readonly peerKey?: string
}

type Sessions = Record<string, StoredSession>

/** The file of the sessions. */
export function sessionsFile(dataDir: string): string {
  return join(dataDir, 'tracker-sessions.json')
}

/** Largest answer read from a tracker (a .torrent is at most 8 MiB there). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024

/**
 * The API base of a `--tracker` value: `http(s)://host[:port]`, without a path.
 *
 * @param url - as given
 * @returns the base
 * @throws {@link CliError} `USAGE`
 */
export function apiBase(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw CliError.usage(
      `--tracker ${JSON.stringify(url)} is not a URL`,
      "give the tracker's web address, such as http://tracker.example.org:6970",
    )
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw CliError.usage(
      `--tracker must be an http(s) URL, got ${parsed.protocol}`,
      'the web address of the tracker (its API, port 6970 by default)',
    )
  }
  return `${parsed.protocol}//${parsed.host}`
}

async function readSessions(dataDir: string): Promise<Sessions> {
  try {
    const parsed = JSON.parse(await readFile(sessionsFile(dataDir), 'utf8')) as unknown
    return typeof parsed === 'object' && parsed !== null ? (parsed as Sessions) : {}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new CliError('DATABASE_UNUSABLE', `${sessionsFile(dataDir)} cannot be read`, 'remove it and log in again', {
      cause: error,
    })
  }
}

async function writeSessions(dataDir: string, sessions: Sessions): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const file = sessionsFile(dataDir)
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(sessions, null, 2)}\n`, { mode: 0o600 })
  await chmod(temporary, 0o600)
  await rename(temporary, file)
}

/**
 * Keeps a session for a tracker.
 *
 * @param dataDir - the data folder
 * @param base - the tracker's API base
 * @param session - the session (or `undefined` to forget it)
 */
export async function storeSession(dataDir: string, base: string, session: StoredSession | undefined): Promise<void> {
  const sessions = await readSessions(dataDir)
  if (session === undefined) delete sessions[base]
  else sessions[base] = session
  await writeSessions(dataDir, sessions)
}

/**
 * The accounts a node of this data folder uses (`NodeOptions.trackerAccounts`):
 * every stored session that has an announce URL. The node asks for the
 * token before each request, read again from the file, so a `mycel account
 * login` in another terminal renews the session of a running node.
 *
 * @param dataDir - the data folder
 * @param peerKey - the node's peer key (hex): announces are signed for the accounts that bound it
 * @returns the accounts (none when no session is stored)
 */
export async function trackerAccountsOf(dataDir: string, peerKey: string): Promise<TrackerAccountOptions[]> {
  const sessions = await readSessions(dataDir).catch(() => ({}) as Sessions)
  const token = async (base: string): Promise<string | undefined> => {
    const session = (await readSessions(dataDir).catch(() => ({}) as Sessions))[base]
    return session !== undefined && session.expiresAt > Date.now() / 1000 ? session.token : undefined
  }
  return Object.entries(sessions).flatMap(([base, session]) =>
    typeof session?.announce === 'string'
      ? [
          {
            api: base,
            announce: session.announce,
            token: () => token(base),
            signAnnounces: session.peerKey === peerKey,
          },
        ]
      : [],
  )
}

/**
 * The tracker a command talks to: `--tracker`, else the only one logged in.
 *
 * @param dataDir - the data folder
 * @param given - the `--tracker` value
 * @returns the API base and its stored session, if any
 * @throws {@link CliError} `USAGE` when no tracker is given and none or several are logged in
 */
export async function chooseTracker(
  dataDir: string,
  given: string | undefined,
): Promise<{ base: string; session: StoredSession | undefined }> {
  const sessions = await readSessions(dataDir)
  if (given !== undefined) {
    const base = apiBase(given)
    return { base, session: sessions[base] }
  }
  const bases = Object.keys(sessions)
  if (bases.length === 1) return { base: bases[0] as string, session: sessions[bases[0] as string] }
  throw CliError.usage(
    bases.length === 0 ? 'no tracker given, and none logged in' : `logged in to ${bases.length} trackers`,
    "pass --tracker http://host:6970 (the tracker's web address)",
  )
}

/**
 * The stored session of a tracker, or a clear error.
 *
 * @throws {@link CliError} `NOT_LOGGED_IN`
 */
export function requireSession(base: string, session: StoredSession | undefined): StoredSession {
  if (session === undefined || session.expiresAt <= Date.now() / 1000) {
    throw new CliError(
      'NOT_LOGGED_IN',
      session === undefined ? `not logged in to ${base}` : `the session at ${base} has expired`,
      `run mycel account login <name> --tracker ${base}`,
    )
  }
  return session
}

/** An answer of the API. */
export type ApiAnswer = TrackerApiAnswer

/**
 * Calls the tracker's API.
 *
 * @param base - the API base
 * @param method - HTTP method
 * @param path - under `/api/v1`
 * @param options - bearer token, JSON body or raw body
 * @returns the answer when it is a success
 * @throws {@link CliError} `ACCOUNT_REFUSED` with the tracker's code and message, `TRACKER_UNREACHABLE` when it cannot be reached or answers nonsense
 */
export async function callTracker(
  base: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: Uint8Array; type?: string } = {},
): Promise<ApiAnswer> {
  let answer: TrackerApiAnswer
  try {
    answer = await requestTrackerApi(base, method, path, options, { timeoutMs: 30_000, maxBytes: MAX_ANSWER_BYTES })
  } catch (error) {
    if (error instanceof NodeError && error.code === 'TRACKER_INVALID_RESPONSE') {
      throw new CliError('TRACKER_UNREACHABLE', `the tracker at ${base} sent an answer that cannot be read`, '', {
        cause: error,
      })
    }
    throw new CliError(
      'CONTROL_FAILED',
      `cannot reach the tracker at ${base}: ${(error as Error).message}`,
      'check the --tracker address (its API port, 6970 by default)',
      { cause: error },
    )
  }
  const { status, json } = answer
  if (status < 200 || status >= 300) {
    const error = (json.error ?? {}) as { code?: unknown; message?: unknown }
    const code = typeof error.code === 'string' ? error.code : `HTTP ${status}`
    const message = typeof error.message === 'string' ? error.message : `HTTP ${status}`
    throw new CliError(
      code === 'SESSION_INVALID' ? 'NOT_LOGGED_IN' : 'ACCOUNT_REFUSED',
      `the tracker refused: ${message} (${code})`,
      code === 'SESSION_INVALID' ? `run mycel account login <name> --tracker ${base}` : '',
    )
  }
  return answer
}

/**
 * The password of an account command: the first line of standard input
 * with `--password-stdin`, else `MYCEL_TRACKER_PASSWORD`.
 *
 * @param fromStdin - whether `--password-stdin` was given
 * @returns the password
 * @throws {@link CliError} `USAGE` when there is none
 */
export async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer)
      size += (chunk as Buffer).length
      if (size > 4096) break
    }
    const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
    if (line !== '') return line
  }
  const fromEnv = process.env.MYCEL_TRACKER_PASSWORD
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  throw CliError.usage(
    'no password given',
    'pipe it in with --password-stdin, or set MYCEL_TRACKER_PASSWORD (it never goes on the command line)',
  )
}
