import type { CryptoProvider, KeyPair } from '../crypto/provider.js'
import { TransportError } from '../errors.js'
import type { Identity } from '../identity.js'
import { DH_BYTES, HandshakeState, type TransportCiphers } from '../noise/handshake-state.js'
import { peerIdEquals, peerIdToString } from '../peer-id.js'
import {
  decodeHandshakePayload,
  encodeHandshakePayload,
  PROLOGUE,
  SECURE_CHANNEL_VERSION,
  signatureInput,
} from './payload.js'

/** What a completed handshake established. @internal */
export interface HandshakeResult {
  ciphers: TransportCiphers
  remotePeerId: Uint8Array
  remoteVersion: number
  remoteCapabilities: string[]
  handshakeHash: Uint8Array
}

/** What one handshake step produced. @internal */
export interface HandshakeStep {
  /** A handshake message to send, if any. */
  reply: Uint8Array | null
  /** The result, once the handshake is complete. */
  result: HandshakeResult | null
}

/** An identity's Noise static key and its signature, reused across handshakes. */
interface StaticKey {
  keyPair: KeyPair
  signature: Uint8Array
}

const staticKeys = new WeakMap<Identity, StaticKey>()

/**
 * The Noise static key of `identity`: made and signed on first use, then
 * reused by every handshake of this process (a fresh ephemeral key per
 * handshake gives forward secrecy; the static key only authenticates).
 */
function staticKeyOf(identity: Identity, crypto: CryptoProvider): StaticKey {
  let key = staticKeys.get(identity)
  if (key === undefined) {
    const keyPair = crypto.x25519KeyPair()
    key = { keyPair, signature: identity.sign(signatureInput(keyPair.publicKey)) }
    staticKeys.set(identity, key)
  }
  return key
}

/** Options of {@link MycelHandshake}. @internal */
export interface MycelHandshakeOptions {
  initiator: boolean
  remotePeerId: Uint8Array | undefined
  capabilities: string[]
}

const EMPTY = new Uint8Array(0)

/**
 * The mycel handshake as a synchronous state machine: Noise XX with the
 * identity-binding payload in messages 2 (responder) and 3 (initiator).
 * Message 1 carries an empty payload. Being synchronous, it switches to
 * transport messages at the exact frame where the handshake ends.
 * @internal
 */
export class MycelHandshake {
  private readonly noise: HandshakeState
  private readonly ownPayload: Uint8Array
  private remote: { peer: Uint8Array; version: number; capabilities: string[] } | null = null

  constructor(
    private readonly crypto: CryptoProvider,
    identity: Identity,
    private readonly options: MycelHandshakeOptions,
  ) {
    const staticKey = staticKeyOf(identity, crypto)
    this.noise = new HandshakeState(crypto, {
      initiator: options.initiator,
      prologue: PROLOGUE,
      staticKeyPair: staticKey.keyPair,
    })
    this.ownPayload = encodeHandshakePayload({
      version: SECURE_CHANNEL_VERSION,
      peer: identity.peerId,
      signature: staticKey.signature,
      capabilities: options.capabilities,
    })
  }

  /** The first message, for the initiator; null for the responder. */
  start(): Uint8Array | null {
    return this.options.initiator ? this.noise.writeMessage(EMPTY) : null
  }

  /**
   * Processes one handshake message from the remote.
   *
   * @throws {@link TransportError} `HANDSHAKE_FAILED`, `PAYLOAD_MALFORMED`,
   *   `VERSION_MISMATCH`, `SIGNATURE_INVALID` or `PEER_ID_MISMATCH`
   */
  receive(message: Uint8Array): HandshakeStep {
    const payload = this.noise.readMessage(message)
    if (this.options.initiator) {
      // Message 2: the responder's identity.
      this.checkRemote(payload)
      const reply = this.noise.writeMessage(this.ownPayload)
      return { reply, result: this.finish() }
    }
    if (this.noise.remoteStaticKey === null) {
      // Message 1 is the ephemeral key alone: its payload is unauthenticated, and ours is empty.
      if (message.length !== DH_BYTES) {
        throw new TransportError(
          'HANDSHAKE_FAILED',
          `handshake message 1 must be ${DH_BYTES} bytes, got ${message.length}`,
        )
      }
      return { reply: this.noise.writeMessage(this.ownPayload), result: null }
    }
    // Message 3: the initiator's identity.
    this.checkRemote(payload)
    return { reply: null, result: this.finish() }
  }

  private checkRemote(payloadBytes: Uint8Array): void {
    const payload = decodeHandshakePayload(payloadBytes)
    if (payload.version !== SECURE_CHANNEL_VERSION) {
      throw new TransportError(
        'VERSION_MISMATCH',
        `the remote speaks secure-channel version ${payload.version}, we speak ${SECURE_CHANNEL_VERSION}`,
      )
    }
    const remoteStatic = this.noise.remoteStaticKey
    if (
      remoteStatic === null ||
      !this.crypto.ed25519Verify(payload.signature, signatureInput(remoteStatic), payload.peer)
    ) {
      throw new TransportError('SIGNATURE_INVALID', 'the remote identity did not sign its Noise static key')
    }
    const expected = this.options.remotePeerId
    if (expected !== undefined && !peerIdEquals(expected, payload.peer)) {
      throw new TransportError(
        'PEER_ID_MISMATCH',
        `expected peer ${peerIdToString(expected)}, the remote is ${peerIdToString(payload.peer)}`,
      )
    }
    this.remote = { peer: Uint8Array.from(payload.peer), version: payload.version, capabilities: payload.capabilities }
  }

  private finish(): HandshakeResult {
    const remote = this.remote
    if (remote === null || !this.noise.isComplete) throw new Error('handshake finished without a remote identity')
    return {
      ciphers: this.noise.split(),
      remotePeerId: remote.peer,
      remoteVersion: remote.version,
      remoteCapabilities: remote.capabilities,
      handshakeHash: this.noise.handshakeHash,
    }
  }
}
