import { encodeBencode } from '@mycel/wire'
import {
  immutableItemTarget,
  isValidSeq,
  mutableItemTarget,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  verifyMutableItem,
} from '../bep44/items.js'
import { KRPC_ERROR } from '../krpc/message.js'
import type { KrpcReply } from '../krpc/rpc.js'
import { MAX_ITEM_VALUE_BYTES, MAX_SALT_BYTES } from '../limits.js'
import type { ItemStoreResult } from '../storage/item-store.js'
import { bytesArg, protocolError, type QueryHandler } from './context.js'

/**
 * `put` (BEP 44): stores an immutable item under SHA-1 of its bencoded `v`,
 * or a mutable item under SHA-1(`k` || `salt`) after checking its signature,
 * `cas` and `seq`. Errors: 203 (bad token or arguments), 205 (`v` over 1,000
 * bytes), 206 (bad signature), 207 (salt over 64 bytes), 301 (`cas` does
 * not match), 302 (`seq` not above the stored one), 202 (storage full, the
 * sender's address or network has its share of it, or the second's budget
 * of signature checks spent).
 * @internal
 */
export const handlePut: QueryHandler = (context, query) => {
  const { args, from } = query
  const token = bytesArg(args, 'token')
  if (token === undefined || !context.tokens.verify(from.host, token)) return protocolError('bad token')
  const v = args.v
  if (v === undefined) return protocolError('put needs v')
  // Decoding was canonical, so this is the verbatim `v` of the message.
  const value = encodeBencode(v)
  if (value.length > MAX_ITEM_VALUE_BYTES) return error(KRPC_ERROR.valueTooBig, 'v is over 1000 bytes')
  const now = context.now()
  if (args.k === undefined && args.sig === undefined) {
    return reply(context.items.putImmutable(immutableItemTarget(value, true), value, now, from.host), context.id)
  }
  const publicKey = bytesArg(args, 'k', PUBLIC_KEY_LENGTH)
  const signature = bytesArg(args, 'sig', SIGNATURE_LENGTH)
  if (publicKey === undefined || signature === undefined)
    return protocolError('mutable put needs a 32-byte k and 64-byte sig')
  const seq = args.seq
  if (!isValidSeq(seq)) return protocolError('mutable put needs seq from 0 to 2^63-1')
  const salt = args.salt === undefined ? new Uint8Array(0) : bytesArg(args, 'salt')
  if (salt === undefined) return protocolError('salt must be a string')
  if (salt.length > MAX_SALT_BYTES) return error(KRPC_ERROR.saltTooBig, 'salt is over 64 bytes')
  const cas = args.cas
  if (cas !== undefined && !isValidSeq(cas)) return protocolError('cas must be an integer from 0 to 2^63-1')
  if (!context.signatureChecks.take(now)) return error(KRPC_ERROR.server, 'busy: too many signed puts, try again later')
  if (!verifyMutableItem(publicKey, signature, { value, encoded: true, seq, salt })) {
    return error(KRPC_ERROR.invalidSignature, 'invalid signature')
  }
  const target = mutableItemTarget(publicKey, salt)
  const item = { value, publicKey, seq, signature, salt, ...(cas === undefined ? {} : { cas }) }
  return reply(context.items.putMutable(target, item, now, from.host), context.id)
}

function reply(result: ItemStoreResult, id: Uint8Array): KrpcReply {
  switch (result) {
    case 'stored':
    case 'refreshed':
      return { values: { id } }
    case 'full':
      return error(KRPC_ERROR.server, 'item storage full')
    case 'address-full':
      return error(KRPC_ERROR.server, 'too many items stored from your address or network')
    case 'cas-mismatch':
      return error(KRPC_ERROR.casMismatch, 'cas mismatch, read the item again')
    case 'seq-too-low':
      return error(KRPC_ERROR.seqTooLow, 'sequence number not above the stored one')
  }
}

function error(code: number, message: string): KrpcReply {
  return { error: { code, message } }
}
