/**
 * Transfer receipts: a downloader's signed statement of how many bytes of a
 * share it received from one uploader **and verified** (cumulative, so a
 * newer receipt replaces an older one). A tracker with accounts keeps the
 * highest receipt per (uploader, downloader, share) and moves credits from
 * the downloader to the uploader by the increase (docs/tracker.md).
 *
 * Layout (113 bytes, then a 64-byte Ed25519 signature by the downloader over
 * {@link RECEIPT_DOMAIN} followed by those 113 bytes):
 *
 * | bytes | field |
 * | --- | --- |
 * | 1 | version (1) |
 * | 32 | share: the v2 infohash |
 * | 32 | uploader's Ed25519 public key |
 * | 32 | downloader's Ed25519 public key (the signer) |
 * | 8 | verified bytes, big-endian, at most 2^53 - 1 |
 * | 8 | issued at, milliseconds since 1970, big-endian, at most 2^53 - 1 |
 * @module
 */
import { assertBytes, assertInteger } from './assert.js'
import { WireError } from './errors.js'

/** The signed form's version byte. */
export const RECEIPT_VERSION = 1
/** Bytes of a receipt's body. */
export const RECEIPT_BODY_BYTES = 113
/** Bytes of a signed receipt (body and signature). */
export const RECEIPT_BYTES = RECEIPT_BODY_BYTES + 64
/** What the signature covers before the body, so a receipt's signature means nothing in another protocol. */
export const RECEIPT_DOMAIN: Uint8Array = new TextEncoder().encode('mycel transfer receipt v1\0')

/** A receipt's content. */
export interface Receipt {
  /** The share: its 32-byte v2 infohash. */
  readonly share: Uint8Array
  /** The uploader's 32-byte Ed25519 public key. */
  readonly uploader: Uint8Array
  /** The downloader's 32-byte Ed25519 public key: the signer. */
  readonly downloader: Uint8Array
  /** Bytes received from the uploader and verified, in all (cumulative). */
  readonly bytes: number
  /** When it was signed, milliseconds since 1970. */
  readonly issuedAt: number
}

/** A receipt and its signature. */
export interface SignedReceipt extends Receipt {
  readonly signature: Uint8Array
}

/** The signing functions a receipt needs (a `CryptoProvider` of `@mycel/wire/crypto` has them). */
export interface ReceiptSigner {
  ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
}

function writeUint64(out: Uint8Array, at: number, value: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  view.setUint32(at, Math.floor(value / 2 ** 32))
  view.setUint32(at + 4, value >>> 0)
}

function readUint64(bytes: Uint8Array, at: number, name: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const high = view.getUint32(at)
  if (high >= 2 ** 21) throw new WireError('MESSAGE_INVALID_FIELD', `receipt ${name} is above 2^53 - 1`)
  return high * 2 ** 32 + view.getUint32(at + 4)
}

/**
 * The bytes a receipt's signature covers: the body (without the domain).
 *
 * @param receipt - the content
 * @returns the 113-byte body
 * @throws TypeError/RangeError for fields of the wrong type, length or range
 */
export function encodeReceiptBody(receipt: Receipt): Uint8Array {
  assertBytes(receipt.share, 'share', 32)
  assertBytes(receipt.uploader, 'uploader', 32)
  assertBytes(receipt.downloader, 'downloader', 32)
  assertInteger(receipt.bytes, 'bytes', { min: 0 })
  assertInteger(receipt.issuedAt, 'issuedAt', { min: 0 })
  const out = new Uint8Array(RECEIPT_BODY_BYTES)
  out[0] = RECEIPT_VERSION
  out.set(receipt.share, 1)
  out.set(receipt.uploader, 33)
  out.set(receipt.downloader, 65)
  writeUint64(out, 97, receipt.bytes)
  writeUint64(out, 105, receipt.issuedAt)
  return out
}

function signedMessage(body: Uint8Array): Uint8Array {
  const message = new Uint8Array(RECEIPT_DOMAIN.length + body.length)
  message.set(RECEIPT_DOMAIN)
  message.set(body, RECEIPT_DOMAIN.length)
  return message
}

/**
 * Signs a receipt with the downloader's key.
 *
 * @param receipt - the content (`downloader` must be the public key of `secretKey`)
 * @param secretKey - the downloader's 32-byte Ed25519 seed
 * @param signer - the crypto provider
 * @returns the 177-byte signed receipt
 * @throws TypeError/RangeError for bad fields
 */
export function signReceipt(receipt: Receipt, secretKey: Uint8Array, signer: ReceiptSigner): Uint8Array {
  const body = encodeReceiptBody(receipt)
  const out = new Uint8Array(RECEIPT_BYTES)
  out.set(body)
  out.set(signer.ed25519Sign(signedMessage(body), secretKey), RECEIPT_BODY_BYTES)
  return out
}

/**
 * Reads a signed receipt and checks its signature against its downloader's key.
 *
 * @param bytes - 177 bytes from a peer or a client
 * @param signer - the crypto provider
 * @returns the receipt
 * @throws {@link WireError} `MESSAGE_MALFORMED` (wrong length or version), `MESSAGE_INVALID_FIELD`
 *   (a number above 2^53 - 1, a signature that does not verify)
 */
export function decodeReceipt(bytes: Uint8Array, signer: ReceiptSigner): SignedReceipt {
  assertBytes(bytes, 'bytes')
  if (bytes.length !== RECEIPT_BYTES) {
    throw new WireError('MESSAGE_MALFORMED', `a receipt has ${RECEIPT_BYTES} bytes, got ${bytes.length}`)
  }
  if (bytes[0] !== RECEIPT_VERSION) throw new WireError('MESSAGE_MALFORMED', `unknown receipt version ${bytes[0]}`)
  const receipt: SignedReceipt = {
    share: bytes.slice(1, 33),
    uploader: bytes.slice(33, 65),
    downloader: bytes.slice(65, 97),
    bytes: readUint64(bytes, 97, 'bytes'),
    issuedAt: readUint64(bytes, 105, 'issuedAt'),
    signature: bytes.slice(RECEIPT_BODY_BYTES),
  }
  const body = bytes.subarray(0, RECEIPT_BODY_BYTES)
  if (!signer.ed25519Verify(receipt.signature, signedMessage(body), receipt.downloader)) {
    throw new WireError('MESSAGE_INVALID_FIELD', 'the receipt signature does not verify against its downloader key')
  }
  return receipt
}
