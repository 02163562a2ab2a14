import { type BencodeInput, encodeBencode } from '@mycel/wire'
import { assertBytes } from '@mycel/wire/assert'
import { getDefaultCrypto, randomBytes } from '@mycel/wire/crypto'
import { DhtError } from '../errors.js'
import { MAX_ITEM_VALUE_BYTES, MAX_SALT_BYTES } from '../limits.js'

/** A BEP 44 sequence number: a non-negative integer up to 2^63 - 1 (a `bigint` past 2^53). */
export type Seq = number | bigint

/** Length of an Ed25519 public key (`k`). */
export const PUBLIC_KEY_LENGTH = 32
/** Length of an Ed25519 signature (`sig`). */
export const SIGNATURE_LENGTH = 64
/** Length of an Ed25519 secret key (the 32-byte seed) taken by {@link signMutableItem}. */
export const SECRET_KEY_LENGTH = 32

const SEQ_MAX = 2n ** 63n - 1n
const encoder = new TextEncoder()

/** SHA-1 of the concatenation of `parts` (BEP 44 targets), with the default provider. */
function sha1(...parts: Uint8Array[]): Uint8Array {
  const state = getDefaultCrypto().createSha1()
  for (const part of parts) state.update(part)
  return state.digest()
}

/** What a mutable item's signature covers: the value, its sequence number and the salt. */
export interface MutableSignatureInput {
  /** The value (`v`); encoded as bencode, or already-encoded bytes with `encoded: true`. */
  readonly value: BencodeInput
  /** Set when `value` is the exact bencoded bytes of `v` rather than the value itself. */
  readonly encoded?: boolean
  /** The sequence number. */
  readonly seq: Seq
  /** The salt (empty or absent means none). */
  readonly salt?: Uint8Array
}

/**
 * The target of an immutable item: SHA-1 of the bencoded value.
 *
 * @param value - the value; or its exact bencoded bytes with `encoded` true
 * @param encoded - whether `value` is already bencoded
 * @returns the 20-byte target
 *
 * @example
 * ```ts
 * bytesToHex(immutableItemTarget('Hello World!')) // 'e5f96f6f38320f0f33959cb4d3d656452117aadb'
 * ```
 */
export function immutableItemTarget(value: BencodeInput, encoded = false): Uint8Array {
  return sha1(encoded ? (value as Uint8Array) : encodeBencode(value))
}

/**
 * The target of a mutable item: SHA-1 of the public key followed by the salt.
 *
 * @param publicKey - 32-byte Ed25519 public key
 * @param salt - optional salt (at most 64 bytes)
 * @returns the 20-byte target
 * @throws RangeError for a key of the wrong length or a salt over 64 bytes
 *
 * @example
 * ```ts
 * mutableItemTarget(publicKey, new TextEncoder().encode('foobar'))
 * ```
 */
export function mutableItemTarget(publicKey: Uint8Array, salt?: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', PUBLIC_KEY_LENGTH)
  assertSalt(salt)
  if (salt === undefined || salt.length === 0) return sha1(publicKey)
  return sha1(publicKey, salt)
}

/**
 * The exact buffer BEP 44 signs for a mutable item:
 * `4:salt<len>:<salt>` (only with a non-empty salt), then `3:seqi<seq>e1:v`
 * and the bencoded value.
 *
 * @param input - value, sequence number and salt
 * @returns the bytes to sign or verify
 * @throws RangeError for a negative or too large `seq` or a salt over 64 bytes
 *
 * @example
 * ```ts
 * new TextDecoder().decode(mutableSignatureData({ value: 'Hello World!', seq: 1 }))
 * // '3:seqi1e1:v12:Hello World!'
 * ```
 */
export function mutableSignatureData(input: MutableSignatureInput): Uint8Array {
  assertSeq(input.seq)
  assertSalt(input.salt)
  const value = input.encoded ? (input.value as Uint8Array) : encodeBencode(input.value)
  const salt = input.salt !== undefined && input.salt.length > 0 ? input.salt : undefined
  const head = encoder.encode(`${salt === undefined ? '' : `4:salt${salt.length}:`}`)
  const middle = encoder.encode(`3:seqi${input.seq.toString()}e1:v`)
  const out = new Uint8Array(head.length + (salt?.length ?? 0) + middle.length + value.length)
  out.set(head)
  let offset = head.length
  if (salt !== undefined) {
    out.set(salt, offset)
    offset += salt.length
  }
  out.set(middle, offset)
  out.set(value, offset + middle.length)
  return out
}

/**
 * Signs a mutable item with an Ed25519 secret key (32-byte seed).
 *
 * @param secretKey - the 32-byte Ed25519 secret key
 * @param input - value, sequence number and salt
 * @returns the 64-byte signature
 * @throws RangeError for a key of the wrong length, a bad `seq` or salt
 *
 * @example
 * ```ts
 * const sig = signMutableItem(secretKey, { value: 'Hello World!', seq: 1 })
 * ```
 */
export function signMutableItem(secretKey: Uint8Array, input: MutableSignatureInput): Uint8Array {
  assertBytes(secretKey, 'secretKey', SECRET_KEY_LENGTH)
  return getDefaultCrypto().ed25519Sign(mutableSignatureData(input), secretKey)
}

/**
 * Verifies a mutable item's signature with the strict rules of RFC 8032
 * (canonical encodings, no cofactor, no small-order key or R), as libsodium
 * does, through `node:crypto` where the runtime has it. Returns false
 * (never throws) for wrong lengths or an invalid key, as these come from the
 * network.
 *
 * @param publicKey - the 32-byte `k`
 * @param signature - the 64-byte `sig`
 * @param input - value, sequence number and salt
 * @returns whether the signature is valid
 *
 * @example
 * ```ts
 * verifyMutableItem(publicKey, sig, { value: 'Hello World!', seq: 1 }) // true
 * ```
 */
export function verifyMutableItem(publicKey: Uint8Array, signature: Uint8Array, input: MutableSignatureInput): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) return false
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) return false
  let data: Uint8Array
  try {
    data = mutableSignatureData(input)
  } catch {
    return false
  }
  return getDefaultCrypto().ed25519Verify(signature, data, publicKey)
}

/**
 * Creates an Ed25519 key pair for publishing mutable items.
 *
 * @param seed - optional 32-byte secret key to derive from (random otherwise)
 * @returns the secret key (32-byte seed) and public key
 *
 * @example
 * ```ts
 * const { secretKey, publicKey } = createItemKeyPair()
 * ```
 */
export function createItemKeyPair(seed?: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  if (seed !== undefined) assertBytes(seed, 'seed', SECRET_KEY_LENGTH)
  const secretKey = seed === undefined ? randomBytes(SECRET_KEY_LENGTH) : seed.slice()
  return { secretKey, publicKey: getDefaultCrypto().ed25519PublicKey(secretKey) }
}

/** Whether `seq` is an integer in the BEP 44 range (0 to 2^63 - 1). @internal */
export function isValidSeq(seq: unknown): seq is Seq {
  if (typeof seq === 'number') return Number.isSafeInteger(seq) && seq >= 0
  return typeof seq === 'bigint' && seq >= 0n && seq <= SEQ_MAX
}

/** Compares two sequence numbers. @internal */
export function compareSeq(a: Seq, b: Seq): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Throws `VALUE_TOO_LARGE` for an encoded value over 1,000 bytes. @internal */
export function assertValueSize(encoded: Uint8Array): void {
  if (encoded.length > MAX_ITEM_VALUE_BYTES) {
    throw new DhtError('VALUE_TOO_LARGE', `bencoded value of ${encoded.length} bytes is over ${MAX_ITEM_VALUE_BYTES}`)
  }
}

function assertSeq(seq: unknown): void {
  if (!isValidSeq(seq)) throw new RangeError('seq must be an integer from 0 to 2^63 - 1')
}

function assertSalt(salt: unknown): void {
  if (salt === undefined) return
  if (!(salt instanceof Uint8Array)) throw new TypeError('salt must be a Uint8Array')
  if (salt.length > MAX_SALT_BYTES) throw new RangeError(`salt must be at most ${MAX_SALT_BYTES} bytes`)
}
