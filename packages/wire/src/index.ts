/**
 * Byte formats of mycel, with no I/O: strict canonical bencode (BitTorrent
 * metadata and the Mainline DHT), the msgpack messages of the peer protocol,
 * an incremental decoder for length-prefixed frames, compact peer info (the
 * 6- and 18-byte addresses of the DHT and of trackers) and IP address text,
 * and the BitTorrent tracker protocols (HTTP announce and scrape, BEP
 * 3/7/23/48; UDP, BEP 15).
 *
 * Every decoder validates its input completely and throws only
 * {@link WireError}, whose `code` is stable.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeBencode, encodeFramePrefix, encodeMessage, FrameDecoder } from '@mycel/wire'
 *
 * const info = encodeBencode({ name: 'photos', 'piece length': 65536 })
 *
 * const frames = new FrameDecoder({
 *   prefixLength: 4,
 *   maxFrameLength: 1 << 20,
 *   onFrame: (frame) => console.log(decodeMessage(frame).type),
 * })
 * const body = encodeMessage({ type: 'cancel', id: 1 })
 * frames.push(encodeFramePrefix(body.length, 4))
 * frames.push(body) // logs 'cancel'
 * ```
 *
 * @packageDocumentation
 */

export {
  ANNOUNCE_KEY_MAX_LENGTH,
  ANNOUNCE_SIGNATURE_DOMAIN,
  type AnnounceKey,
  isSignedAnnounceKey,
  signAnnounceKey,
  verifyAnnounceKey,
} from './announce-signature.js'
export * from './bencode/index.js'
export { compareBytes, equalBytes, fromHex, toHex } from './bytes.js'
export {
  type CompactPeer,
  compactPeerLength,
  decodeCompactPeer,
  decodeCompactPeers,
  encodeCompactPeer,
  encodeCompactPeers,
  type IpFamily,
} from './compact.js'
export { WireError, type WireErrorCode } from './errors.js'
export {
  encodeFramePrefix,
  FrameDecoder,
  type FrameDecoderOptions,
  type PrefixLength,
  writeFramePrefix,
} from './framing.js'
export { formatIp, formatIpv4, formatIpv6, isIpv4Mapped, parseIp, parseIpv4, parseIpv6 } from './ip.js'
export * from './messages/index.js'
export { MycelError, type MycelErrorClass, type MycelErrorOptions } from './mycel-error.js'
export {
  decodeReceipt,
  encodeReceiptBody,
  RECEIPT_BODY_BYTES,
  RECEIPT_BYTES,
  RECEIPT_DOMAIN,
  RECEIPT_VERSION,
  type Receipt,
  type ReceiptSigner,
  type SignedReceipt,
  signReceipt,
} from './receipt.js'
export * from './tracker/index.js'
