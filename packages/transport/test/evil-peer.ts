import { encode } from '@msgpack/msgpack'
import { FrameDecoder, writeFramePrefix } from '@mycel/wire'
import type { CryptoProvider } from '../src/index.js'
import { Identity, nobleCrypto } from '../src/index.js'
import { type MemoryStream, memoryPipe } from '../src/memory/pipe.js'
import { HandshakeState } from '../src/noise/handshake-state.js'
import { PROLOGUE, STATIC_KEY_SIGNATURE_PREFIX } from '../src/secure/payload.js'

/** Frames `message` with the 2-byte Noise prefix. */
export function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + message.length)
  writeFramePrefix(out, 0, message.length, 2)
  out.set(message, 2)
  return out
}

/** What a misbehaving peer puts in its identity payload. */
export interface EvilPayload {
  version?: unknown
  peer?: unknown
  signature?: unknown
  capabilities?: unknown
  /** Raw payload bytes instead of a msgpack map. */
  raw?: Uint8Array
}

/**
 * A correct identity payload for `identity` and Noise static key `staticPublic`, with fields overridden.
 */
export function payloadBytes(identity: Identity, staticPublic: Uint8Array, override: EvilPayload = {}): Uint8Array {
  if (override.raw !== undefined) return override.raw
  const input = new Uint8Array([...STATIC_KEY_SIGNATURE_PREFIX, ...staticPublic])
  return encode({
    version: 'version' in override ? override.version : 1,
    peer: 'peer' in override ? override.peer : identity.peerId,
    signature: 'signature' in override ? override.signature : identity.sign(input),
    capabilities: 'capabilities' in override ? override.capabilities : [],
  })
}

/**
 * A hand-driven Noise XX peer on one end of a memory pipe, which sends
 * whatever identity payload a test asks for. Returns the other end, for
 * `secure()`.
 */
export function evilPeer(options: {
  initiator: boolean
  payload: (staticPublic: Uint8Array) => Uint8Array
  crypto?: CryptoProvider
}): { stream: MemoryStream; evil: MemoryStream } {
  const crypto = options.crypto ?? nobleCrypto
  const [stream, evil] = memoryPipe()
  const staticKeyPair = crypto.x25519KeyPair()
  const noise = new HandshakeState(crypto, { initiator: options.initiator, prologue: PROLOGUE, staticKeyPair })
  const frames = new FrameDecoder({
    prefixLength: 2,
    maxFrameLength: 65535,
    onFrame: (message) => {
      if (noise.isComplete) return
      noise.readMessage(message)
      if (!noise.isComplete) evil.write(frame(noise.writeMessage(options.payload(staticKeyPair.publicKey))))
    },
  })
  evil.start({ onData: (chunk) => frames.push(chunk), onEnd: () => evil.end(), onDrain: () => {}, onClose: () => {} })
  if (options.initiator) evil.write(frame(noise.writeMessage(new Uint8Array(0))))
  return { stream, evil }
}

/** A fresh identity, for brevity. */
export const someone = (): Identity => Identity.generate()
