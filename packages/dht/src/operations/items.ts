import { type BencodeInput, type BencodeValue, decodeBencode, encodeBencode, equalBytes } from '@mycel/wire'
import { ed25519 } from '@noble/curves/ed25519.js'
import {
  assertValueSize,
  compareSeq,
  immutableItemTarget,
  isValidSeq,
  mutableItemTarget,
  PUBLIC_KEY_LENGTH,
  SECRET_KEY_LENGTH,
  type Seq,
  SIGNATURE_LENGTH,
  signMutableItem,
  verifyMutableItem,
} from '../bep44/items.js'
import { DhtError } from '../errors.js'
import { MAX_SALT_BYTES } from '../limits.js'
import { lookupClosest, type OperationContext, type StoreResult, storeAtClosest } from './context.js'

/** An immutable BEP 44 item found in the DHT. */
export interface ImmutableItem {
  /** SHA-1 of `encoded`. */
  readonly target: Uint8Array
  /** The value, decoded. */
  readonly value: BencodeValue
  /** The exact bencoded value (what the target hashes). */
  readonly encoded: Uint8Array
}

/** A mutable BEP 44 item found in the DHT, its signature verified. */
export interface MutableItem {
  /** SHA-1 of `publicKey` || `salt`. */
  readonly target: Uint8Array
  /** The Ed25519 public key that signed it. */
  readonly publicKey: Uint8Array
  /** The salt asked for (empty if none). */
  readonly salt: Uint8Array
  /** Its sequence number (the highest found). */
  readonly seq: Seq
  /** The value, decoded. */
  readonly value: BencodeValue
  /** The exact bencoded value. */
  readonly encoded: Uint8Array
  /** The 64-byte signature. */
  readonly signature: Uint8Array
}

/** What to publish as a mutable item: signed here with `secretKey`, or re-published with an existing `signature`. */
export type MutablePutInput = {
  /** The value (any bencodable value; at most 1,000 bytes once bencoded). */
  readonly value: BencodeInput
  /** Sequence number; storing nodes keep only the highest. */
  readonly seq: Seq
  /** Optional salt (at most 64 bytes), to publish several items under one key. */
  readonly salt?: Uint8Array
  /** Compare-and-swap: store only where the current `seq` is this one (sent to nodes that had the item). */
  readonly cas?: Seq
} & (
  | {
      /** The 32-byte Ed25519 secret key to sign with. */
      readonly secretKey: Uint8Array
    }
  | {
      /** The 32-byte Ed25519 public key of an item signed elsewhere. */
      readonly publicKey: Uint8Array
      /** Its 64-byte signature (checked before sending). */
      readonly signature: Uint8Array
    }
)

/** Outcome of a put: the item's target and where it was stored. */
export interface PutResult extends StoreResult {
  /** The target the item is stored under. */
  readonly target: Uint8Array
}

/** @internal */
export async function putImmutableItem(
  context: OperationContext,
  value: BencodeInput,
  signal?: AbortSignal,
): Promise<PutResult> {
  const encoded = encodeBencode(value)
  assertValueSize(encoded)
  const target = immutableItemTarget(encoded, true)
  const summary = await lookupClosest(context, { target, method: 'get', args: { target }, signal })
  const result = await storeAtClosest(context, summary.closest, 'put', (_node, token) => ({ token, v: value }), signal)
  return { target, ...result }
}

/** @internal */
export async function getImmutableItem(
  context: OperationContext,
  target: Uint8Array,
  signal?: AbortSignal,
): Promise<ImmutableItem | undefined> {
  const local = context.localItem(target)
  if (local !== undefined && local.mutable === undefined) {
    return { target, value: decodeBencode(local.value), encoded: local.value.slice() }
  }
  for await (const event of context.lookup({ target, method: 'get', args: { target }, signal })) {
    if (event.type !== 'response' || event.values.v === undefined) continue
    const encoded = encodeBencode(event.values.v)
    if (!equalBytes(immutableItemTarget(encoded, true), target)) continue
    return { target, value: decodeBencode(encoded), encoded }
  }
  return undefined
}

/** @internal */
export async function putMutableItem(
  context: OperationContext,
  input: MutablePutInput,
  signal?: AbortSignal,
): Promise<PutResult> {
  if (typeof input !== 'object' || input === null) throw new TypeError('input must be an object')
  if (!isValidSeq(input.seq)) throw new RangeError('seq must be an integer from 0 to 2^63 - 1')
  if (input.cas !== undefined && !isValidSeq(input.cas))
    throw new RangeError('cas must be an integer from 0 to 2^63 - 1')
  const salt = input.salt ?? new Uint8Array(0)
  if (!(salt instanceof Uint8Array)) throw new TypeError('salt must be a Uint8Array')
  if (salt.length > MAX_SALT_BYTES)
    throw new DhtError('SALT_TOO_LARGE', `salt of ${salt.length} bytes is over ${MAX_SALT_BYTES}`)
  const encoded = encodeBencode(input.value)
  assertValueSize(encoded)
  const { seq } = input
  let publicKey: Uint8Array
  let signature: Uint8Array
  if ('secretKey' in input) {
    if (!(input.secretKey instanceof Uint8Array) || input.secretKey.length !== SECRET_KEY_LENGTH) {
      throw new RangeError(`secretKey must be ${SECRET_KEY_LENGTH} bytes`)
    }
    publicKey = ed25519.getPublicKey(input.secretKey)
    signature = signMutableItem(input.secretKey, { value: encoded, encoded: true, seq, salt })
  } else {
    publicKey = input.publicKey
    signature = input.signature
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH)
      throw new RangeError('publicKey must be 32 bytes')
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH)
      throw new RangeError('signature must be 64 bytes')
    if (!verifyMutableItem(publicKey, signature, { value: encoded, encoded: true, seq, salt })) {
      throw new DhtError('INVALID_SIGNATURE', 'the signature does not match the item')
    }
  }
  const target = mutableItemTarget(publicKey, salt)
  const holders = new Set<string>()
  const summary = await lookupClosest(context, { target, method: 'get', args: { target }, signal }, (event) => {
    if (event.values.seq !== undefined) holders.add(`${event.from.host}|${event.from.port}`)
  })
  const result = await storeAtClosest(
    context,
    summary.closest,
    'put',
    (node, token) => ({
      token,
      v: input.value,
      k: publicKey,
      seq,
      sig: signature,
      salt: salt.length > 0 ? salt : undefined,
      cas: holders.has(`${node.host}|${node.port}`) ? input.cas : undefined,
    }),
    signal,
  )
  return { target, ...result }
}

/** @internal */
export async function getMutableItem(
  context: OperationContext,
  publicKey: Uint8Array,
  options: { salt?: Uint8Array; seq?: Seq; signal?: AbortSignal },
): Promise<MutableItem | undefined> {
  const salt = options.salt ?? new Uint8Array(0)
  const target = mutableItemTarget(publicKey, salt)
  if (options.seq !== undefined && !isValidSeq(options.seq))
    throw new RangeError('seq must be an integer from 0 to 2^63 - 1')
  // This node may be one of the closest: what it stores was verified when it was put.
  const stored = context.localItem(target)
  const mine = stored?.mutable
  const newer = mine !== undefined && (options.seq === undefined || compareSeq(mine.seq, options.seq) > 0)
  let best: MutableItem | undefined =
    stored !== undefined && mine !== undefined && newer && equalBytes(mine.publicKey, publicKey)
      ? {
          target,
          publicKey: publicKey.slice(),
          salt: salt.slice(),
          seq: mine.seq,
          value: decodeBencode(stored.value),
          encoded: stored.value.slice(),
          signature: mine.signature.slice(),
        }
      : undefined
  const events = context.lookup({ target, method: 'get', args: { target, seq: options.seq }, signal: options.signal })
  for await (const event of events) {
    if (event.type !== 'response') continue
    const { k, sig, seq, v } = event.values
    if (!(k instanceof Uint8Array) || !(sig instanceof Uint8Array) || v === undefined || !isValidSeq(seq)) continue
    if (!equalBytes(k, publicKey)) continue
    // Most Mainline nodes ignore the `seq` of a `get` and answer with what they hold: an item is a
    // result only if it is newer than the caller's `seq` and than the best one so far (checked
    // before its signature, which is the costly part).
    const floor = best?.seq ?? options.seq
    if (floor !== undefined && compareSeq(seq, floor) <= 0) continue
    const encoded = encodeBencode(v)
    if (!verifyMutableItem(k, sig, { value: encoded, encoded: true, seq, salt })) continue
    best = {
      target,
      publicKey: publicKey.slice(),
      salt: salt.slice(),
      seq,
      value: decodeBencode(encoded),
      encoded,
      signature: sig.slice(),
    }
  }
  return best
}
