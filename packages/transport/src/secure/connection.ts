import { FrameDecoder, WireError, writeFramePrefix } from '@mycel/wire'
import { type ComponentLogger, describeError } from '@mycel/wire/log'
import { abortError, onAbort } from '../abort.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { TransportError } from '../errors.js'
import type { Identity } from '../identity.js'
import { type CipherState, TAG_BYTES } from '../noise/cipher-state.js'
import { MAX_NOISE_MESSAGE_BYTES } from '../noise/handshake-state.js'
import { peerIdToString } from '../peer-id.js'
import { type ByteStream, FLUSH_CLOSE_MS } from '../stream.js'
import { type HandshakeResult, MycelHandshake, type MycelHandshakeOptions } from './handshake.js'
import { Inbound } from './inbound.js'
import { NoiseReader } from './noise-reader.js'

/** Most plaintext bytes in one Noise transport message. */
export const MAX_PLAINTEXT_BYTES = MAX_NOISE_MESSAGE_BYTES - TAG_BYTES

/** Bytes of the length prefix of an application message inside the decrypted stream. */
export const MESSAGE_PREFIX_BYTES = 4

/**
 * Each direction rekeys (Noise `Rekey()`) after every this many transport
 * messages: after the message with nonce 65535, 131071, and so on.
 */
export const REKEY_INTERVAL = 65536

const EMPTY = new Uint8Array(0)
const RESOLVED = Promise.resolve()

/** Internal settings of a {@link SecureConnection}. @internal */
export interface ConnectionSettings extends MycelHandshakeOptions {
  crypto: CryptoProvider
  maxMessageBytes: number
  highWaterMark: number
  transientMessages: boolean
  /** Where transport failures of an open connection are logged. */
  log: ComponentLogger
}

/** Options of {@link SecureConnection.messages}, {@link SecureConnection.send} and {@link SecureConnection.drained}. */
export interface SignalOptions {
  /** Aborts the wait (not the connection) with an `ABORTED` error. */
  signal?: AbortSignal
}

type State = 'handshaking' | 'open' | 'closed'

/**
 * An encrypted, authenticated connection to one peer, made by `secure()`.
 * It carries application messages (byte strings up to `maxMessageBytes`)
 * in order, with backpressure both ways.
 *
 * Sending: {@link SecureConnection.write} queues a message and returns false
 * when the caller should wait ({@link SecureConnection.drained});
 * {@link SecureConnection.send} does both. Messages written in the same
 * tick are packed into as few Noise messages as possible.
 *
 * Receiving: either a callback ({@link SecureConnection.onMessage}, fastest,
 * with {@link SecureConnection.pause}/{@link SecureConnection.resume}) or one
 * async iterator ({@link SecureConnection.messages}). Until one is set,
 * messages wait in a bounded queue (the stream is paused when it fills).
 * A received message is a view the connection never reuses (keep it as long
 * as you like), unless the connection was made with `transientMessages`:
 * then a message given to an `onMessage` handler is valid only while the
 * handler runs.
 *
 * @example
 * ```ts
 * const conn = await secure(stream, identity, { initiator: true })
 * await conn.send(encodeMessage({ type: 'cancel', id: 1 }))
 * for await (const message of conn.messages()) handle(decodeMessage(message))
 * ```
 */
export class SecureConnection {
  /** True for the side that dialled (sent Noise message 1). */
  readonly initiator: boolean
  /** Resolves once the connection is closed: with the error that closed it, or undefined for a clean close. */
  readonly closed: Promise<Error | undefined>

  private state: State = 'handshaking'
  private info: HandshakeResult | null = null
  private sendCipher: CipherState | null = null
  private receiveCipher: CipherState | null = null
  private readonly handshake: MycelHandshake
  private readonly noiseFrames: FrameDecoder
  /** Reads transport messages once the handshake frames are all consumed. */
  private noiseReader: NoiseReader | null = null
  private readonly messageFrames: FrameDecoder
  private readonly inbound: Inbound
  private staging: Uint8Array | null = null
  private stagedBytes = 0
  private flushScheduled = false
  private streamNeedsDrain = false
  private drainWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = []
  private closing: Promise<void> | null = null
  private resolveClosed!: (error: Error | undefined) => void
  private handshakeDone!: { resolve: () => void; reject: (error: Error) => void }
  private readonly handshakePromise: Promise<void>

  /** @internal */
  constructor(
    private readonly stream: ByteStream,
    identity: Identity,
    private readonly settings: ConnectionSettings,
  ) {
    this.initiator = settings.initiator
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    this.handshakePromise = new Promise<void>((resolve, reject) => {
      this.handshakeDone = { resolve, reject }
    })
    this.handshake = new MycelHandshake(settings.crypto, identity, settings)
    this.noiseFrames = new FrameDecoder({
      prefixLength: 2,
      maxFrameLength: MAX_NOISE_MESSAGE_BYTES,
      onFrame: (frame) => this.onNoiseMessage(frame),
    })
    this.messageFrames = new FrameDecoder({
      prefixLength: MESSAGE_PREFIX_BYTES,
      maxFrameLength: settings.maxMessageBytes,
      onFrame: (message) => this.inbound.push(message),
      reuseBuffer: settings.transientMessages,
    })
    this.inbound = new Inbound(
      settings.highWaterMark,
      settings.transientMessages,
      (paused) => (paused ? stream.pause() : stream.resume()),
      (error) => this.fail(error),
    )
  }

  /** The remote peer's id (its Ed25519 public key, 32 bytes). */
  get remotePeerId(): Uint8Array {
    return this.established().remotePeerId
  }

  /** The secure-channel version the remote announced. */
  get remoteVersion(): number {
    return this.established().remoteVersion
  }

  /** The capabilities the remote announced. */
  get remoteCapabilities(): readonly string[] {
    return this.established().remoteCapabilities
  }

  /** The Noise handshake hash `h`: the same on both sides, unique to this connection (channel binding). */
  get handshakeHash(): Uint8Array {
    return this.established().handshakeHash
  }

  /** The transport address of the remote, when the stream knows it. */
  get remoteAddress(): string | undefined {
    return this.stream.remoteAddress
  }

  /** Whether `write` would return false: the caller should wait for {@link SecureConnection.drained}. */
  get writableNeedDrain(): boolean {
    return this.streamNeedsDrain
  }

  /** Whether the connection is closed or closing. */
  get isClosed(): boolean {
    return this.state === 'closed'
  }

  /**
   * Queues one application message. It is copied, so the caller may reuse
   * `message` at once.
   *
   * @param message - up to `maxMessageBytes` bytes
   * @returns false when the caller should wait for {@link SecureConnection.drained} before writing more
   * @throws {@link TransportError} `CLOSED` once closed; `MESSAGE_TOO_LARGE` over the limit
   */
  write(message: Uint8Array): boolean {
    if (!(message instanceof Uint8Array)) throw new TypeError('message must be a Uint8Array')
    return this.stage([message], message.length)
  }

  /**
   * Queues one application message given as several parts (for example a
   * header and a payload), without joining them first: they are copied once,
   * straight into the outgoing buffer.
   *
   * @param parts - the message's bytes, in order; up to `maxMessageBytes` in all
   * @returns false when the caller should wait for {@link SecureConnection.drained} before writing more
   * @throws {@link TransportError} `CLOSED` once closed; `MESSAGE_TOO_LARGE` over the limit
   */
  writeParts(parts: readonly Uint8Array[]): boolean {
    let length = 0
    for (const part of parts) {
      if (!(part instanceof Uint8Array)) throw new TypeError('every part must be a Uint8Array')
      length += part.length
    }
    return this.stage(parts, length)
  }

  /** Copies one message (its length prefix, then its parts) into the plaintext being sealed. */
  private stage(parts: readonly Uint8Array[], length: number): boolean {
    if (this.state !== 'open') throw TransportError.closed('the connection')
    if (length > this.settings.maxMessageBytes) {
      throw new TransportError(
        'MESSAGE_TOO_LARGE',
        `message of ${length} bytes is over the limit of ${this.settings.maxMessageBytes}`,
      )
    }
    const frameLength = MESSAGE_PREFIX_BYTES + length
    // A message that fits in one Noise message is never split across two,
    // so the receiver can hand it out as a view without copying.
    if (frameLength <= MAX_PLAINTEXT_BYTES && this.stagedBytes + frameLength > MAX_PLAINTEXT_BYTES) this.seal()
    this.staging ??= new Uint8Array(MAX_PLAINTEXT_BYTES)
    const staging = this.staging
    if (this.stagedBytes + MESSAGE_PREFIX_BYTES > MAX_PLAINTEXT_BYTES) this.seal()
    writeFramePrefix(staging, this.stagedBytes, length, MESSAGE_PREFIX_BYTES)
    this.stagedBytes += MESSAGE_PREFIX_BYTES
    for (const part of parts) {
      let offset = 0
      while (offset < part.length) {
        if (this.stagedBytes === MAX_PLAINTEXT_BYTES) this.seal()
        const take = Math.min(part.length - offset, MAX_PLAINTEXT_BYTES - this.stagedBytes)
        staging.set(part.subarray(offset, offset + take), this.stagedBytes)
        this.stagedBytes += take
        offset += take
      }
    }
    if (this.stagedBytes === MAX_PLAINTEXT_BYTES) this.seal()
    if (this.stagedBytes > 0 && !this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(() => {
        this.flushScheduled = false
        if (this.state !== 'open') return
        try {
          this.seal()
        } catch (err) {
          this.fail(err instanceof Error ? err : new Error(String(err)))
        }
      })
    }
    return !this.streamNeedsDrain
  }

  /**
   * Writes one message and, if the connection is backed up, waits until it drains.
   *
   * @param message - up to `maxMessageBytes` bytes
   * @param options - abort signal for the wait
   * @returns a promise that resolves when more may be written
   * @throws {@link TransportError} as {@link SecureConnection.write}, or `ABORTED`
   */
  send(message: Uint8Array, options?: SignalOptions): Promise<void> {
    try {
      if (this.write(message)) return RESOLVED
    } catch (err) {
      return Promise.reject(err)
    }
    return this.drained(options)
  }

  /**
   * Waits until buffered outgoing bytes fall below the high-water mark.
   *
   * @param options - abort signal for the wait
   * @returns a promise that resolves at once when nothing is backed up
   * @throws {@link TransportError} `CLOSED` (or the closing error) when the connection closes first; `ABORTED`
   */
  drained(options?: SignalOptions): Promise<void> {
    if (this.state === 'closed') return Promise.reject(TransportError.closed('the connection'))
    if (!this.streamNeedsDrain) return RESOLVED
    const signal = options?.signal
    if (signal?.aborted) return Promise.reject(TransportError.aborted(signal.reason))
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          unlisten()
          resolve()
        },
        reject: (error: Error) => {
          unlisten()
          reject(error)
        },
      }
      const unlisten = onAbort(signal, () => {
        this.drainWaiters = this.drainWaiters.filter((other) => other !== waiter)
        reject(TransportError.aborted(signal?.reason))
      })
      this.drainWaiters.push(waiter)
    })
  }

  /**
   * Delivers every message to `handler`, synchronously as it is decrypted
   * (messages queued so far first). If the handler throws, the connection
   * closes with that error. Pass null to go back to queueing.
   *
   * @param handler - called once per message, in order
   * @throws Error when {@link SecureConnection.messages} is already iterating
   */
  onMessage(handler: ((message: Uint8Array) => void) | null): void {
    if (handler !== null && typeof handler !== 'function') throw new TypeError('handler must be a function')
    this.inbound.setHandler(handler)
  }

  /**
   * The received messages as an async iterator (one at a time per
   * connection). It ends when the remote closes cleanly and throws the
   * error when the connection fails.
   *
   * @param options - abort signal: stops the iteration (not the connection) with `ABORTED`
   * @returns the iterator
   * @throws Error when another consumer is set
   */
  messages(options?: SignalOptions): AsyncIterableIterator<Uint8Array> {
    return this.inbound.iterate(options?.signal)
  }

  /** Stops delivering messages (and reading from the network) until {@link SecureConnection.resume}. */
  pause(): void {
    this.inbound.pause()
  }

  /** Resumes delivery after {@link SecureConnection.pause}. */
  resume(): void {
    this.inbound.resume()
  }

  /**
   * Closes the connection. Messages already written are sent first, with or
   * without an error (so a last message, such as a refusal, reaches the
   * remote before the close): they are sealed, the stream is half-closed
   * once they are out, and it is released when the remote has ended too.
   * Without an error that takes at most 5 s; with one, at most
   * {@link FLUSH_CLOSE_MS} (2 s), after which the stream is reset, so a
   * remote that does not read cannot hold the connection. A connection still
   * in its handshake is reset at once. Idempotent: every call returns the
   * same promise, which resolves once the stream is released.
   *
   * @param error - why, if the close is abnormal; it is what `closed` resolves to
   * @returns a promise that resolves when everything is released
   */
  close(error?: Error): Promise<void> {
    if (this.closing !== null) return this.closing
    const wasHandshaking = this.state === 'handshaking'
    const wasOpen = this.state === 'open'
    this.state = 'closed'
    let flush = wasOpen
    if (wasOpen) {
      try {
        this.seal()
      } catch (err) {
        // The stream refused the bytes (it is closing already): nothing can be flushed.
        error ??= err instanceof Error ? err : new Error(String(err))
        flush = false
      }
    }
    const reason = error ?? TransportError.closed('the connection')
    this.inbound.end(error)
    for (const waiter of this.drainWaiters.splice(0)) waiter.reject(reason)
    this.staging = null
    this.stagedBytes = 0
    const released = error === undefined ? this.stream.close() : this.stream.close(error, { flush })
    this.closing = released.then(() => {
      if (wasHandshaking) this.handshakeDone.reject(reason)
      this.resolveClosed(error)
    })
    return this.closing
  }

  /**
   * Starts the handshake on the stream and resolves when it completes.
   * @internal
   */
  start(signal: AbortSignal): Promise<void> {
    const unlisten = onAbort(signal, () => void this.close(abortError(signal)))
    this.stream.start({
      // Transport messages are decrypted into new buffers as they stream in,
      // so nothing keeps a view of a network chunk once onData returns.
      transientChunks: true,
      onData: (chunk) => this.onData(chunk),
      onEnd: () => this.onEnd(),
      onDrain: () => this.onDrain(),
      onClose: (error) => this.onStreamClose(error),
    })
    try {
      const first = this.handshake.start()
      if (first !== null) this.writeNoiseMessage(first)
    } catch (err) {
      void this.close(err instanceof Error ? err : new Error(String(err)))
    }
    return this.handshakePromise.finally(unlisten)
  }

  private established(): HandshakeResult {
    if (this.info === null) throw new Error('the handshake has not completed')
    return this.info
  }

  private onData(chunk: Uint8Array): void {
    if (this.state === 'closed') return
    try {
      if (this.noiseReader !== null) {
        this.noiseReader.push(chunk)
        return
      }
      // The handshake may keep views of its messages (keys, payload): it gets
      // a copy of the chunk, which may be a read buffer the stream reuses.
      this.noiseFrames.push(chunk.slice())
      // Handshake messages are gathered whole; after the handshake, once no
      // frame is half-read, transport messages are decrypted as they stream in.
      if (this.state === 'open' && this.noiseFrames.bufferedBytes === 0) this.noiseReader = this.createNoiseReader()
    } catch (err) {
      this.fail(asFrameError(err))
    }
  }

  private createNoiseReader(): NoiseReader {
    const cipher = this.receiveCipher as CipherState
    const afterMessage = (): void => {
      if (cipher.nextNonce % REKEY_INTERVAL === 0) cipher.rekey()
    }
    return new NoiseReader(
      (length) => cipher.decryptStreamWithAd(EMPTY, length, afterMessage),
      (pieces) => {
        for (const piece of pieces) this.messageFrames.push(piece)
      },
    )
  }

  private onNoiseMessage(frame: Uint8Array): void {
    if (this.state === 'open') {
      this.onTransportMessage(frame)
      return
    }
    if (this.state !== 'handshaking') return
    const { reply, result } = this.handshake.receive(frame)
    if (reply !== null) this.writeNoiseMessage(reply)
    if (result !== null) {
      this.info = result
      this.sendCipher = result.ciphers.send
      this.receiveCipher = result.ciphers.receive
      this.state = 'open'
      this.handshakeDone.resolve()
    }
  }

  private onTransportMessage(frame: Uint8Array): void {
    const cipher = this.receiveCipher as CipherState
    const plaintext = cipher.decryptWithAd(EMPTY, frame)
    if (plaintext === null) {
      throw new TransportError('DECRYPT_FAILED', 'a transport message does not authenticate')
    }
    if (cipher.nextNonce % REKEY_INTERVAL === 0) cipher.rekey()
    this.messageFrames.push(plaintext)
  }

  private onEnd(): void {
    if (this.state === 'closed') return
    if (this.state === 'handshaking') {
      void this.close(
        this.noiseFrames.bufferedBytes > 0
          ? new TransportError('FRAME_TRUNCATED', 'the stream ended inside a handshake message')
          : new TransportError('CONNECTION_CLOSED', 'the remote closed the stream during the handshake'),
      )
      return
    }
    if (this.noiseFrames.bufferedBytes > 0 || this.noiseReader?.pending || this.messageFrames.bufferedBytes > 0) {
      this.fail(new TransportError('FRAME_TRUNCATED', 'the stream ended inside a message'))
      return
    }
    void this.close()
  }

  private onDrain(): void {
    this.streamNeedsDrain = false
    for (const waiter of this.drainWaiters.splice(0)) waiter.resolve()
  }

  private onStreamClose(error: Error | undefined): void {
    if (this.state === 'closed') return
    if (error === undefined && this.state === 'handshaking') {
      error = new TransportError('CONNECTION_CLOSED', 'the stream closed during the handshake')
    }
    if (error === undefined) void this.close()
    else this.fail(error)
  }

  /**
   * Closes the connection for a failure found here (not one a caller gave to
   * {@link SecureConnection.close}), logging it once the handshake is over
   * (`secure()` logs a failed handshake).
   */
  private fail(error: Error): void {
    const { log } = this.settings
    if (this.state === 'open' && log.enabled('debug')) {
      const remote = this.stream.remoteAddress ?? 'an unknown address'
      log.debug(`dropped the connection to ${this.toString()} at ${remote}: ${describeError(error)}`, {
        remote: this.stream.remoteAddress,
      })
    }
    void this.close(error)
  }

  /** Encrypts the staged plaintext into one Noise transport message and writes it. */
  private seal(): void {
    if (this.stagedBytes === 0 || this.staging === null) return
    const cipher = this.sendCipher as CipherState
    const [ciphertext, tag] = cipher.encryptWithAdParts(EMPTY, this.staging.subarray(0, this.stagedBytes))
    const prefix = new Uint8Array(2)
    writeFramePrefix(prefix, 0, ciphertext.length + TAG_BYTES, 2)
    this.stagedBytes = 0
    if (cipher.nextNonce % REKEY_INTERVAL === 0) cipher.rekey()
    if (!this.stream.writev([prefix, ciphertext, tag])) this.streamNeedsDrain = true
  }

  private writeNoiseMessage(message: Uint8Array): void {
    const frame = new Uint8Array(2 + message.length)
    writeFramePrefix(frame, 0, message.length, 2)
    frame.set(message, 2)
    if (!this.stream.write(frame)) this.streamNeedsDrain = true
  }

  /** For error messages and logs. */
  toString(): string {
    return this.info === null
      ? 'SecureConnection(handshaking)'
      : `SecureConnection(${peerIdToString(this.info.remotePeerId)})`
  }
}

function asFrameError(err: unknown): Error {
  if (err instanceof TransportError) return err
  if (err instanceof WireError) {
    return new TransportError(err.code === 'FRAME_TOO_LARGE' ? 'FRAME_TOO_LARGE' : 'FRAME_TRUNCATED', err.message, {
      cause: err,
    })
  }
  return err instanceof Error ? err : new Error(String(err))
}
