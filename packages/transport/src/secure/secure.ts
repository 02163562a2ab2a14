import { MESSAGE_LIMITS } from '@mycel/wire'
import { assertSignal, integerOption } from '@mycel/wire/assert'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import { componentLogger, describeError, type Logger } from '@mycel/wire/log'
import { linkSignals } from '@mycel/wire/signal'
import type { CryptoProvider } from '../crypto/provider.js'
import { TransportError } from '../errors.js'
import { Identity } from '../identity.js'
import { PEER_ID_BYTES, parsePeerId } from '../peer-id.js'
import type { ByteStream } from '../stream.js'
import { SecureConnection } from './connection.js'
import { checkCapabilities } from './payload.js'

/** Default limit of one application message: 1 MiB, the largest peer-protocol message. */
export const DEFAULT_MAX_MESSAGE_BYTES = MESSAGE_LIMITS.maxMessageBytes

/** Largest `maxMessageBytes` accepted: 64 MiB. */
export const MAX_MESSAGE_BYTES_LIMIT = 64 * 1024 * 1024

/** Default handshake timeout: 10 seconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000

/** Default high-water mark of the receive queue, in bytes. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024

/** Options of {@link secure}. */
export interface SecureOptions {
  /** True on the side that opened the stream (it sends the first handshake message). */
  initiator: boolean
  /**
   * The peer we expect (bytes or text form). When set, a remote with another
   * identity fails the handshake with `PEER_ID_MISMATCH`.
   */
  remotePeerId?: Uint8Array | string
  /** Capabilities announced to the remote (at most 32, each 1-32 characters). Default none. */
  capabilities?: readonly string[]
  /** Aborts the handshake; the stream is then closed and the promise rejects with `ABORTED`. */
  signal?: AbortSignal
  /** Milliseconds the whole handshake may take before failing with `HANDSHAKE_TIMEOUT`. Default 10 000. */
  handshakeTimeout?: number
  /**
   * Largest application message, sent or received, in bytes. Default 1 MiB;
   * from 1 MiB to 64 MiB. Both peers should use the same value.
   */
  maxMessageBytes?: number
  /** Received bytes queued before the stream is paused. Default 1 MiB. */
  highWaterMark?: number
  /**
   * Messages given to an `onMessage` handler are valid only while it runs:
   * the connection may reuse their memory afterwards (messages it queues, or
   * hands to `messages()`, are copied). Saves an allocation per large
   * message for handlers that copy what they keep. Default false.
   */
  transientMessages?: boolean
  /**
   * The cryptography. Default `getDefaultCrypto()` of `@mycel/wire/crypto`:
   * `node:crypto` where the runtime has it (found at run time, no import),
   * {@link nobleCrypto} elsewhere. Both give the same bytes.
   */
  crypto?: CryptoProvider
  /**
   * Where the connection logs, under the component `mycel:transport`: a
   * failed handshake and a connection dropped for a transport failure
   * (decryption, framing, a reset), with the reason. Default: silent.
   */
  logger?: Logger
}

/**
 * Runs the mycel handshake (Noise XX with identity binding, prologue
 * `mycel/1`) over a byte stream and returns the secure connection. On any
 * failure the stream is closed before the promise rejects, so nothing is
 * left open.
 *
 * @param stream - a fresh stream from a transport (not yet started)
 * @param identity - our identity
 * @param options - role, expected peer, capabilities, limits, signal
 * @returns the connection, with the remote's verified peer id
 * @throws {@link TransportError} `HANDSHAKE_TIMEOUT`, `ABORTED`,
 *   `HANDSHAKE_FAILED`, `PAYLOAD_MALFORMED`, `VERSION_MISMATCH`,
 *   `SIGNATURE_INVALID`, `PEER_ID_MISMATCH`, `FRAME_TRUNCATED`,
 *   `CONNECTION_CLOSED`, `CONNECTION_RESET`
 *
 * @example
 * ```ts
 * const stream = await tcp.dial('tcp://127.0.0.1:4001')
 * const conn = await secure(stream, identity, { initiator: true, remotePeerId: 'q7u3...' })
 * console.log(peerIdToString(conn.remotePeerId), conn.remoteCapabilities)
 * ```
 */
export async function secure(
  stream: ByteStream,
  identity: Identity,
  options: SecureOptions,
): Promise<SecureConnection> {
  if (typeof stream !== 'object' || stream === null || typeof stream.start !== 'function') {
    throw new TypeError('stream must be a ByteStream')
  }
  if (!(identity instanceof Identity)) throw new TypeError('identity must be an Identity')
  if (typeof options !== 'object' || options === null || typeof options.initiator !== 'boolean') {
    throw new TypeError('options.initiator must be a boolean')
  }
  assertSignal(options.signal, 'options.signal')
  const remotePeerId = normalizePeerId(options.remotePeerId)
  const capabilities = checkCapabilities(options.capabilities ?? [])
  const handshakeTimeout = integerOption(options.handshakeTimeout, 'handshakeTimeout', {
    min: 1,
    max: 2 ** 31 - 1,
    fallback: DEFAULT_HANDSHAKE_TIMEOUT_MS,
  })
  const maxMessageBytes = integerOption(options.maxMessageBytes, 'maxMessageBytes', {
    min: DEFAULT_MAX_MESSAGE_BYTES,
    max: MAX_MESSAGE_BYTES_LIMIT,
    fallback: DEFAULT_MAX_MESSAGE_BYTES,
  })
  const highWaterMark = integerOption(options.highWaterMark, 'highWaterMark', {
    min: 1,
    max: 2 ** 30,
    fallback: DEFAULT_HIGH_WATER_MARK,
  })
  const crypto = options.crypto ?? getDefaultCrypto()
  const log = componentLogger(options.logger, 'mycel:transport')
  const operation = linkSignals([options.signal], {
    timeoutMs: handshakeTimeout,
    timeoutReason: () =>
      new TransportError('HANDSHAKE_TIMEOUT', `the handshake took longer than ${handshakeTimeout} ms`),
  })
  const connection = new SecureConnection(stream, identity, {
    initiator: options.initiator,
    remotePeerId,
    capabilities,
    crypto,
    maxMessageBytes,
    highWaterMark,
    transientMessages: options.transientMessages === true,
    log,
  })
  try {
    await connection.start(operation.signal)
  } catch (error) {
    if (log.enabled('debug')) {
      const role = options.initiator ? 'outbound' : 'inbound'
      const remote = stream.remoteAddress ?? 'an unknown address'
      log.debug(`${role} handshake with ${remote} failed: ${describeError(error)}`, { remote: stream.remoteAddress })
    }
    throw error
  } finally {
    operation.dispose()
  }
  return connection
}

function normalizePeerId(value: Uint8Array | string | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return parsePeerId(value)
  if (!(value instanceof Uint8Array) || value.length !== PEER_ID_BYTES) {
    throw new TypeError(`remotePeerId must be ${PEER_ID_BYTES} bytes or its text form`)
  }
  return value
}
