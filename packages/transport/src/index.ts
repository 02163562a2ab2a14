/**
 * Peer identities (Ed25519), the mycel secure channel
 * (`Noise_XX_25519_ChaChaPoly_SHA256` with identity binding), and one
 * byte-stream contract that every transport implements.
 *
 * This entry runs in browsers and any JavaScript runtime. Node-only parts
 * have their own entries: `@mycel/transport/node` (the `node:crypto`
 * provider, identity files, and a `secure` that uses it by default),
 * `@mycel/transport/tcp`, `@mycel/transport/ws`; test helpers are in
 * `@mycel/transport/testing`.
 *
 * @example
 * ```ts
 * import { Identity, secure } from '@mycel/transport'
 * import { createMemoryNetwork } from '@mycel/transport/testing'
 *
 * const network = createMemoryNetwork()
 * const [alice, bob] = [network.transport(), network.transport()]
 * const aliceId = Identity.generate()
 * const bobId = Identity.generate()
 *
 * const listener = await bob.listen('memory://bob', {
 *   onConnection: async (stream) => {
 *     const conn = await secure(stream, bobId, { initiator: false })
 *     conn.onMessage((message) => conn.write(message)) // echo
 *   },
 * })
 * const conn = await secure(await alice.dial('memory://bob'), aliceId, {
 *   initiator: true,
 *   remotePeerId: bobId.peerId,
 * })
 * await conn.send(new TextEncoder().encode('hello'))
 * for await (const reply of conn.messages()) console.log(new TextDecoder().decode(reply))
 * ```
 *
 * @packageDocumentation
 */

export { nobleCrypto } from '@mycel/wire/crypto'
export { formatAddress, MAX_ADDRESS_LENGTH, type ParsedAddress, parseAddress } from './address.js'
export type { CryptoProvider, KeyPair, StreamDecryption } from './crypto/provider.js'
export { TransportError, type TransportErrorCode } from './errors.js'
export { Identity, SECRET_KEY_BYTES, SIGNATURE_BYTES } from './identity.js'
export { MAX_NONCE } from './noise/cipher-state.js'
export { MAX_NOISE_MESSAGE_BYTES, PROTOCOL_NAME } from './noise/handshake-state.js'
export { PEER_ID_BYTES, PEER_ID_TEXT_LENGTH, parsePeerId, peerIdEquals, peerIdToString } from './peer-id.js'
export {
  MAX_PLAINTEXT_BYTES,
  MESSAGE_PREFIX_BYTES,
  REKEY_INTERVAL,
  SecureConnection,
  type SignalOptions,
} from './secure/connection.js'
export {
  MAX_HANDSHAKE_PAYLOAD_BYTES,
  PROLOGUE,
  SECURE_CHANNEL_VERSION,
  STATIC_KEY_SIGNATURE_PREFIX,
} from './secure/payload.js'
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_MESSAGE_BYTES,
  MAX_MESSAGE_BYTES_LIMIT,
  type SecureOptions,
  secure,
} from './secure/secure.js'
export { type ByteSink, type ByteStream, FLUSH_CLOSE_MS, type StreamCloseOptions } from './stream.js'
export {
  combineTransports,
  type DialOptions,
  type Listener,
  type ListenOptions,
  type Transport,
  transportFor,
} from './transport.js'
