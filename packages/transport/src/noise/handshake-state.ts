import type { CryptoProvider, KeyPair } from '../crypto/provider.js'
import { TransportError } from '../errors.js'
import { type CipherState, TAG_BYTES } from './cipher-state.js'
import { SymmetricState } from './symmetric-state.js'

/** The full Noise protocol name mycel speaks. */
export const PROTOCOL_NAME = 'Noise_XX_25519_ChaChaPoly_SHA256'

/** DHLEN of Curve25519. */
export const DH_BYTES = 32

/** Largest Noise message (spec section 3). */
export const MAX_NOISE_MESSAGE_BYTES = 65535

/** A token of a handshake pattern (spec section 7.1). */
type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss'

/**
 * Pattern XX (spec section 7.5):
 * ```
 * -> e
 * <- e, ee, s, es
 * -> s, se
 * ```
 */
const XX: ReadonlyArray<ReadonlyArray<Token>> = [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']]

/** What {@link HandshakeState} starts from. @internal */
export interface HandshakeStateOptions {
  /** True for the party that sends the first message. */
  initiator: boolean
  /** Bytes both parties must agree on, mixed into `h` first. */
  prologue: Uint8Array
  /** Our static X25519 key pair. */
  staticKeyPair: KeyPair
  /** A fixed ephemeral key pair, for known-answer tests only; fresh otherwise. */
  ephemeralKeyPair?: KeyPair
}

/** The two cipher states a finished handshake yields. @internal */
export interface TransportCiphers {
  /** Encrypts what we send. */
  send: CipherState
  /** Decrypts what we receive. */
  receive: CipherState
}

/**
 * The Noise `HandshakeState` (spec revision 34, section 5.3) for pattern XX
 * with 25519, ChaChaPoly and SHA-256. Each token of the pattern is executed
 * exactly as the spec's `WriteMessage`/`ReadMessage` describe; the message
 * index says whose turn it is.
 * @internal
 */
export class HandshakeState {
  private readonly symmetric: SymmetricState
  private readonly initiator: boolean
  private readonly s: KeyPair
  private e: KeyPair | null = null
  private rs: Uint8Array | null = null
  private re: Uint8Array | null = null
  private readonly fixedEphemeral: KeyPair | undefined
  private messageIndex = 0

  /** `Initialize(handshake_pattern, initiator, prologue, s, e, rs, re)`; XX has no pre-messages. */
  constructor(
    private readonly crypto: CryptoProvider,
    options: HandshakeStateOptions,
  ) {
    this.symmetric = new SymmetricState(crypto, new TextEncoder().encode(PROTOCOL_NAME))
    this.symmetric.mixHash(options.prologue)
    this.initiator = options.initiator
    this.s = options.staticKeyPair
    this.fixedEphemeral = options.ephemeralKeyPair
  }

  /** Whether all three messages have been written or read. */
  get isComplete(): boolean {
    return this.messageIndex === XX.length
  }

  /** Whether the next message is ours to write. */
  get isMyTurn(): boolean {
    return !this.isComplete && (this.messageIndex % 2 === 0) === this.initiator
  }

  /** The remote party's static public key, once received. */
  get remoteStaticKey(): Uint8Array | null {
    return this.rs
  }

  /** `h`, which after the handshake identifies it uniquely (channel binding). */
  get handshakeHash(): Uint8Array {
    return this.symmetric.handshakeHash()
  }

  /**
   * `WriteMessage(payload, message_buffer)`.
   *
   * @returns the handshake message
   */
  writeMessage(payload: Uint8Array): Uint8Array {
    if (!this.isMyTurn) throw new Error('writeMessage out of turn')
    const parts: Uint8Array[] = []
    for (const token of XX[this.messageIndex] as ReadonlyArray<Token>) {
      switch (token) {
        case 'e': {
          const e = this.fixedEphemeral ?? this.crypto.x25519KeyPair()
          this.e = e
          parts.push(e.publicKey)
          this.symmetric.mixHash(e.publicKey)
          break
        }
        case 's':
          parts.push(this.symmetric.encryptAndHash(this.s.publicKey))
          break
        default:
          this.mixDh(token)
      }
    }
    parts.push(this.symmetric.encryptAndHash(payload))
    this.messageIndex++
    const message = concat(parts)
    if (message.length > MAX_NOISE_MESSAGE_BYTES) throw new RangeError('handshake payload too large')
    return message
  }

  /**
   * `ReadMessage(message, payload_buffer)`.
   *
   * @returns the decrypted payload
   * @throws {@link TransportError} `HANDSHAKE_FAILED` for a message that is
   *   too short, does not authenticate, or carries a bad public key
   */
  readMessage(message: Uint8Array): Uint8Array {
    if (this.isComplete || this.isMyTurn) throw new Error('readMessage out of turn')
    let pos = 0
    const take = (length: number): Uint8Array => {
      if (message.length - pos < length) throw failed(`handshake message ${this.messageIndex + 1} is too short`)
      const bytes = message.subarray(pos, pos + length)
      pos += length
      return bytes
    }
    for (const token of XX[this.messageIndex] as ReadonlyArray<Token>) {
      switch (token) {
        case 'e': {
          const re = Uint8Array.from(take(DH_BYTES))
          this.re = re
          this.symmetric.mixHash(re)
          break
        }
        case 's': {
          const length = this.symmetric.hasKey() ? DH_BYTES + TAG_BYTES : DH_BYTES
          const rs = this.symmetric.decryptAndHash(take(length))
          if (rs === null) throw failed('the static key does not authenticate')
          this.rs = Uint8Array.from(rs)
          break
        }
        default:
          this.mixDh(token)
      }
    }
    const payload = this.symmetric.decryptAndHash(message.subarray(pos))
    if (payload === null)
      throw failed(`the payload of handshake message ${this.messageIndex + 1} does not authenticate`)
    this.messageIndex++
    return payload
  }

  /**
   * `Split()` after the last message, ordered for this party.
   */
  split(): TransportCiphers {
    if (!this.isComplete) throw new Error('the handshake is not complete')
    const [c1, c2] = this.symmetric.split()
    return this.initiator ? { send: c1, receive: c2 } : { send: c2, receive: c1 }
  }

  /** The DH tokens: `ee`, `es`, `se`, `ss` with the roles of spec section 5.3. */
  private mixDh(token: Exclude<Token, 'e' | 's'>): void {
    const [local, remote] = this.dhKeys(token)
    if (local === null || remote === null) throw new Error(`token ${token} before its keys`)
    const shared = this.crypto.x25519(local.secretKey, remote)
    if (shared === null) throw failed('a public key gives a degenerate shared secret')
    this.symmetric.mixKey(shared)
  }

  private dhKeys(token: Exclude<Token, 'e' | 's'>): [KeyPair | null, Uint8Array | null] {
    switch (token) {
      case 'ee':
        return [this.e, this.re]
      case 'ss':
        return [this.s, this.rs]
      case 'es':
        return this.initiator ? [this.e, this.rs] : [this.s, this.re]
      case 'se':
        return this.initiator ? [this.s, this.re] : [this.e, this.rs]
    }
  }
}

function failed(message: string): TransportError {
  return new TransportError('HANDSHAKE_FAILED', message)
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
