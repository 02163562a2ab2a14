import { DhtError } from '@mycel/dht'
import { NodeError } from '@mycel/node'
import { PiecesError } from '@mycel/pieces'
import { StoreError } from '@mycel/store'
import { TransportError } from '@mycel/transport'

/** Stable codes of {@link CliError}; `--json` prints them, docs/cli.md lists them. */
export type CliErrorCode =
  | 'USAGE'
  | 'MAGNET_INVALID'
  | 'V1_ONLY'
  | 'TORRENT_INVALID'
  | 'FILE_NOT_FOUND'
  | 'PORT_IN_USE'
  | 'ADDRESS_UNAVAILABLE'
  | 'NO_PEERS'
  | 'DATA_DIR_BUSY'
  | 'NOT_RUNNING'
  | 'NOT_ANNOUNCED'
  | 'SHARE_NOT_FOUND'
  | 'INFOHASH_AMBIGUOUS'
  | 'SHARE_EXISTS'
  | 'FILE_EXISTS'
  | 'CONTENT_CHANGED'
  | 'VERIFY_FAILED'
  | 'DOWNLOAD_FAILED'
  | 'HASH_FAILED'
  | 'PERMISSION_DENIED'
  | 'DISK_FULL'
  | 'IDENTITY_INVALID'
  | 'DATABASE_UNUSABLE'
  | 'CONTROL_FAILED'
  | 'UNAUTHORIZED'
  | 'ORIGIN_REFUSED'
  | 'REQUEST_TOO_LARGE'
  | 'BUSY'
  | 'INTERRUPTED'
  | 'NOT_LOGGED_IN'
  | 'ACCOUNT_REFUSED'
  | 'TRACKER_UNREACHABLE'
  | 'NOT_A_READER'
  | 'KEY_MISMATCH'
  | 'PRIVATE_INVALID'
  | 'CHANNEL_NOT_FOUND'
  | 'CHANNEL_INVALID'
  | 'UPLOAD_NOT_FOUND'
  | 'INTERNAL'

/** Exit status of a command that was used wrongly (bad option, bad argument). */
export const EXIT_USAGE = 2
/** Exit status of a command that failed. */
export const EXIT_FAILURE = 1

/**
 * A failure the CLI explains in one line: what happened (`message`) and
 * what to do (`hint`), with the process exit status to use.
 */
export class CliError extends Error {
  /** Stable machine-readable reason. */
  readonly code: CliErrorCode
  /** What the person can do about it; may be empty. */
  readonly hint: string
  /** The process exit status. */
  readonly exitCode: number

  /**
   * @param code - stable reason code
   * @param message - what happened, without a final full stop
   * @param hint - what to do, without a final full stop
   * @param options - the underlying error, and the exit status (default 1, or 2 for `USAGE`/`MAGNET_INVALID`)
   */
  constructor(code: CliErrorCode, message: string, hint = '', options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, { cause: options.cause })
    this.name = 'CliError'
    this.code = code
    this.hint = hint
    this.exitCode = options.exitCode ?? (code === 'USAGE' || code === 'MAGNET_INVALID' ? EXIT_USAGE : EXIT_FAILURE)
  }

  /** The one line printed for it. */
  get line(): string {
    return this.hint === '' ? this.message : `${this.message} (${this.hint})`
  }

  /** A wrong option or argument. */
  static usage(message: string, hint = 'see mycel --help'): CliError {
    return new CliError('USAGE', message, hint)
  }
}

/** Why mycel cannot fetch a BitTorrent v1 share (a v1 infohash, magnet link or torrent). */
export const V1_REASON =
  'mycel finds and checks a share by its v2 infohash, the SHA-256 of an info dictionary that holds the SHA-256 ' +
  'Merkle root of each file, and a v1 infohash is the SHA-1 of a different dictionary (SHA-1 pieces, no roots)'

/** What `mycel get` takes instead of a v1 share. */
export const V1_HINT =
  'give a v2 magnet link (magnet:?xt=urn:btmh:1220...), a v2 infohash of 64 hex digits, or the .torrent file ' +
  'of a v2 or hybrid torrent'

/** What an explanation may mention: the options the command ran with. */
export interface ExplainContext {
  dataDir: string
  port: number | undefined
  host: string
}

function errnoOf(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code
  }
  return undefined
}

function portText(context: ExplainContext): string {
  return context.port === undefined ? 'the port' : `port ${context.port}`
}

function fromNet(error: TransportError | DhtError, protocol: 'TCP' | 'UDP', context: ExplainContext): CliError {
  const errno = errnoOf(error)
  if (errno === 'EADDRINUSE') {
    return new CliError(
      'PORT_IN_USE',
      `${protocol} ${portText(context)} is already in use`,
      'choose another with --port, or stop the program that uses it',
      { cause: error },
    )
  }
  if (errno === 'EACCES') {
    return new CliError(
      'PORT_IN_USE',
      `not allowed to listen on ${protocol} ${portText(context)}`,
      'use a port above 1023',
      { cause: error },
    )
  }
  if (errno === 'EADDRNOTAVAIL' || errno === 'ENOTFOUND') {
    return new CliError(
      'ADDRESS_UNAVAILABLE',
      `this machine has no address ${context.host}`,
      'pass one of its addresses with --host, or 0.0.0.0 for all',
      { cause: error },
    )
  }
  return new CliError('INTERNAL', error.message, 'run again with --debug for details', { cause: error })
}

function fromStore(error: StoreError, context: ExplainContext): CliError {
  switch (error.code) {
    case 'DATABASE_LOCKED':
      return new CliError(
        'DATA_DIR_BUSY',
        `another mycel process is using ${context.dataDir}`,
        'stop it, or pass another --data-dir',
        { cause: error },
      )
    case 'DATABASE_CORRUPT':
    case 'DATABASE_FOREIGN':
    case 'SCHEMA_TOO_NEW':
      return new CliError(
        'DATABASE_UNUSABLE',
        `cannot use the state database in ${context.dataDir}: ${error.message}`,
        'move it away to start afresh, or use the mycel version that made it',
        { cause: error },
      )
    case 'DISK_FULL':
      return new CliError('DISK_FULL', 'the disk is full', 'free some space and run the command again to resume', {
        cause: error,
      })
    case 'NOT_WRITABLE':
    case 'NOT_READABLE':
    case 'READ_ONLY':
      return new CliError('PERMISSION_DENIED', error.message, 'check the permissions of that folder', { cause: error })
    case 'SQLITE_UNAVAILABLE':
      return new CliError('INTERNAL', error.message, 'run npm install in the mycel folder', { cause: error })
    default:
      return new CliError('INTERNAL', error.message, 'run again with --debug for details', { cause: error })
  }
}

function fromErrno(error: Error, errno: string): CliError | undefined {
  const path = (error as NodeJS.ErrnoException).path
  const where = path === undefined ? '' : `: ${path}`
  if (errno === 'ENOENT') {
    return new CliError('FILE_NOT_FOUND', `no such file or folder${where}`, 'check the path', { cause: error })
  }
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new CliError('PERMISSION_DENIED', `permission denied${where}`, 'check its permissions', { cause: error })
  }
  if (errno === 'ENOSPC') {
    return new CliError('DISK_FULL', 'the disk is full', 'free some space and run the command again', { cause: error })
  }
  return undefined
}

/**
 * Turns any error into a {@link CliError} with a message a person
 * understands: the errors of the mycel packages by class and code, Node's
 * file errors by `errno`, anything else as `INTERNAL`.
 *
 * @param error - what was thrown
 * @param context - the options the command ran with
 * @returns the explanation
 */
export function explain(error: unknown, context: ExplainContext): CliError {
  if (error instanceof CliError) return error
  if (error instanceof PiecesError) {
    if (error.code === 'MAGNET_MALFORMED') {
      return new CliError(
        'MAGNET_INVALID',
        `not a magnet link or infohash: ${error.message.replace(/^not a valid mycel magnet link: /, '')}`,
        'give a magnet:?xt=urn:btmh:1220... link or 64 hex digits',
        { cause: error },
      )
    }
    if (error.code === 'MAGNET_V1_ONLY' || error.code === 'TORRENT_V1_ONLY') {
      const what = error.code === 'MAGNET_V1_ONLY' ? 'a BitTorrent v1 link' : 'a BitTorrent v1 .torrent file'
      return new CliError('V1_ONLY', `${what} cannot be fetched: ${V1_REASON}`, V1_HINT, {
        cause: error,
        exitCode: EXIT_USAGE,
      })
    }
    const privateError = explainPrivate(error)
    if (privateError !== undefined) return privateError
    if (error.code.startsWith('INGEST_') || error.code.startsWith('MANIFEST_')) {
      return new CliError('HASH_FAILED', `cannot share this: ${error.message}`, 'check the file or folder', {
        cause: error,
      })
    }
  }
  if (error instanceof TransportError) {
    if (error.code === 'LISTEN_FAILED') return fromNet(error, 'TCP', context)
    if (error.code === 'IDENTITY_FILE_INSECURE' || error.code === 'IDENTITY_FILE_INVALID') {
      return new CliError('IDENTITY_INVALID', error.message, 'fix or remove identity.json in the data folder', {
        cause: error,
      })
    }
  }
  if (error instanceof DhtError) {
    if (error.code === 'SOCKET_ERROR') return fromNet(error, 'UDP', context)
    if (error.code === 'INVALID_ADDRESS') {
      return CliError.usage(`bad --bootstrap address: ${error.message}`, 'give host:port pairs separated by commas')
    }
  }
  if (error instanceof StoreError) return fromStore(error, context)
  if (error instanceof NodeError) {
    if (error.code === 'SHARE_NOT_FOUND') {
      return new CliError('SHARE_NOT_FOUND', error.message, 'see mycel ls', { cause: error })
    }
    if (error.code === 'FILE_NOT_FOUND') {
      return new CliError('FILE_NOT_FOUND', error.message, 'give paths inside the share, as its manifest lists them', {
        cause: error,
      })
    }
    if (error.code === 'CHANNEL_NOT_FOUND') {
      return new CliError('CHANNEL_NOT_FOUND', error.message, 'see mycel channel ls', { cause: error })
    }
    if (error.code === 'CHANNEL_LINK_MALFORMED' || error.code === 'CHANNEL_ENTRY_INVALID') {
      return CliError.usage(error.message, 'give a channel key or mycel://channel/ link, and infohashes')
    }
    if (error.code.startsWith('CHANNEL_')) {
      return new CliError('CHANNEL_INVALID', error.message, 'see docs/channels.md', { cause: error })
    }
    if (error.code === 'ABORTED' || error.code === 'CLOSED') {
      return new CliError('INTERRUPTED', 'interrupted', '', { cause: error, exitCode: 130 })
    }
    if (error.code === 'SHARE_EXISTS') {
      return new CliError('SHARE_EXISTS', error.message, 'it is already here; use another --data-dir for a copy', {
        cause: error,
      })
    }
    if (error.code === 'DESTINATION_EXISTS') {
      return new CliError('FILE_EXISTS', error.message, 'move it away, or download into another folder', {
        cause: error,
      })
    }
  }
  if (error instanceof Error) {
    const errno = errnoOf(error)
    const known = errno === undefined ? undefined : fromErrno(error, errno)
    if (known !== undefined) return known
    return new CliError('INTERNAL', error.message, 'run again with --debug for details', { cause: error })
  }
  return new CliError('INTERNAL', String(error), 'run again with --debug for details')
}

/** The one line for a private share that cannot be read (or made). */
function explainPrivate(error: PiecesError): CliError | undefined {
  const options = { cause: error }
  switch (error.code) {
    case 'PRIVATE_NOT_A_READER':
      return new CliError(
        'NOT_A_READER',
        `this identity is not a reader of the private share: ${error.message}`,
        'ask its sharer to add your peer id (mycel id) with mycel readers add, or for the link with its key',
        options,
      )
    case 'PRIVATE_KEY_MISMATCH':
      return new CliError('KEY_MISMATCH', error.message, 'check that the link is whole, key included', options)
    case 'PRIVATE_MANIFEST_INVALID':
    case 'PRIVATE_ENVELOPE_MALFORMED':
    case 'PRIVATE_SHARE_MALFORMED':
      return new CliError(
        'PRIVATE_INVALID',
        `not a readable private share: ${error.message}`,
        'ask its sharer',
        options,
      )
    case 'PRIVATE_LINK_MALFORMED':
      return new CliError('MAGNET_INVALID', error.message, 'give the mycel:// link as the sharer printed it', options)
    case 'PRIVATE_TOO_MANY_READERS':
    case 'PRIVATE_BAD_READER':
      return CliError.usage(error.message, 'give at most 64 peer ids, as mycel id prints them')
    default:
      return undefined
  }
}

/**
 * The details `--debug` prints: the stack of an error and of each cause.
 *
 * @param error - what was thrown
 * @returns the lines
 */
export function debugLines(error: unknown): string[] {
  const lines: string[] = []
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 8; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code
      lines.push(`${depth === 0 ? '' : 'caused by: '}${e.stack ?? e.message}${code ? ` [${String(code)}]` : ''}`)
      e = e.cause
    } else {
      lines.push(`caused by: ${String(e)}`)
      e = undefined
    }
  }
  return lines
}
