import { decode, encode } from '@msgpack/msgpack'
import { MESSAGE_LIMITS, PROTOCOL_VERSION } from '@mycel/wire'
import { TransportError } from '../errors.js'
import { PEER_ID_BYTES } from '../peer-id.js'

/** The Noise prologue of every mycel handshake: the ASCII bytes `mycel/1`. */
export const PROLOGUE = new TextEncoder().encode('mycel/1')

/**
 * What each peer signs with its Ed25519 identity: these ASCII bytes followed
 * by its 32-byte Noise static public key.
 */
export const STATIC_KEY_SIGNATURE_PREFIX = new TextEncoder().encode('mycel/1 noise static key')

/** Version of the secure channel spoken in the handshake payload; a peer with another is refused. */
export const SECURE_CHANNEL_VERSION = PROTOCOL_VERSION

/** Largest handshake payload accepted, in bytes. */
export const MAX_HANDSHAKE_PAYLOAD_BYTES = 4096

/** The identity-binding payload of handshake messages 2 and 3. @internal */
export interface HandshakePayload {
  /** Secure-channel version, {@link SECURE_CHANNEL_VERSION}. */
  version: number
  /** The sender's Ed25519 public key: its peer id. */
  peer: Uint8Array
  /** Ed25519 signature of {@link STATIC_KEY_SIGNATURE_PREFIX} || the sender's Noise static key. */
  signature: Uint8Array
  /** Features the sender supports, each 1-32 characters, at most 32. */
  capabilities: string[]
}

/** The bytes a peer signs to bind its identity to its Noise static key. @internal */
export function signatureInput(staticPublicKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(STATIC_KEY_SIGNATURE_PREFIX.length + staticPublicKey.length)
  input.set(STATIC_KEY_SIGNATURE_PREFIX)
  input.set(staticPublicKey, STATIC_KEY_SIGNATURE_PREFIX.length)
  return input
}

/** Throws unless `capabilities` is a valid capability list (a local programming mistake otherwise). @internal */
export function checkCapabilities(capabilities: readonly string[]): string[] {
  if (!Array.isArray(capabilities)) throw new TypeError('capabilities must be an array of strings')
  if (capabilities.length > MESSAGE_LIMITS.maxCapabilities) {
    throw new RangeError(`at most ${MESSAGE_LIMITS.maxCapabilities} capabilities`)
  }
  for (const capability of capabilities) {
    if (
      typeof capability !== 'string' ||
      capability.length < 1 ||
      capability.length > MESSAGE_LIMITS.maxCapabilityLength
    ) {
      throw new RangeError(`each capability must be a string of 1 to ${MESSAGE_LIMITS.maxCapabilityLength} characters`)
    }
  }
  return [...capabilities]
}

/** Encodes a handshake payload as a msgpack map. @internal */
export function encodeHandshakePayload(payload: HandshakePayload): Uint8Array {
  return encode({
    version: payload.version,
    peer: payload.peer,
    signature: payload.signature,
    capabilities: payload.capabilities,
  })
}

/**
 * Decodes and validates a handshake payload. Unknown fields are ignored.
 *
 * @throws {@link TransportError} `PAYLOAD_MALFORMED` for anything that is not
 *   a msgpack map with the four fields of the right types and sizes
 * @internal
 */
export function decodeHandshakePayload(bytes: Uint8Array): HandshakePayload {
  if (bytes.length > MAX_HANDSHAKE_PAYLOAD_BYTES) throw malformed(`payload of ${bytes.length} bytes is too large`)
  let value: unknown
  try {
    value = decode(bytes, {
      maxStrLength: 4 * MESSAGE_LIMITS.maxCapabilityLength,
      maxBinLength: 64,
      maxArrayLength: MESSAGE_LIMITS.maxCapabilities,
      maxMapLength: 16,
      maxExtLength: 0,
    })
  } catch (err) {
    throw malformed('not msgpack', err)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw malformed('not a map')
  }
  const map = value as Record<string, unknown>
  const { version, peer, signature, capabilities } = map
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw malformed('bad version')
  if (!(peer instanceof Uint8Array) || peer.length !== PEER_ID_BYTES) throw malformed('bad peer')
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw malformed('bad signature field')
  if (!Array.isArray(capabilities)) throw malformed('bad capabilities')
  for (const capability of capabilities) {
    if (
      typeof capability !== 'string' ||
      capability.length < 1 ||
      capability.length > MESSAGE_LIMITS.maxCapabilityLength
    ) {
      throw malformed('bad capability')
    }
  }
  return { version, peer, signature, capabilities: capabilities as string[] }
}

function malformed(why: string, cause?: unknown): TransportError {
  return new TransportError('PAYLOAD_MALFORMED', `malformed handshake payload: ${why}`, { cause })
}
