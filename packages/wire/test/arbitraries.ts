import fc from 'fast-check'
import { BENCODE_INT_MAX, BENCODE_INT_MIN, type BencodeValue, MESSAGE_LIMITS as L, type Message } from '../src/index.js'

/** An integer as the decoder returns it: `number` when safe, `bigint` otherwise. */
export const bencodeInteger: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc
    .bigInt({ min: BENCODE_INT_MIN, max: BENCODE_INT_MAX })
    .map((n) => (Number.isSafeInteger(Number(n)) ? Number(n) : n)),
)

const key = fc.string({ unit: 'binary', maxLength: 10 })

/** Any value the bencode decoder can return. */
export const bencodeValue: fc.Arbitrary<BencodeValue> = fc.letrec<{ value: BencodeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    bencodeInteger,
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value

const infohash = fc.uint8Array({ minLength: 32, maxLength: 32 })
const id = fc.nat({ max: L.maxId })
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength }).filter((s) => s.length <= maxLength) // limits count UTF-16 units
const textList = (maxItems: number, maxLength: number) => fc.array(text(maxLength), { maxLength: maxItems })
const piece = fc.nat({ max: L.maxPieces - 1 })

/** One valid message of every type, with fields anywhere in their allowed ranges. */
export const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    version: fc.nat({ max: 0xffff }),
    agent: text(L.maxAgentLength),
    listen: textList(L.maxAddresses, 60),
    capabilities: textList(L.maxCapabilities, L.maxCapabilityLength),
  }),
  fc.record({ type: fc.constant('meta-get' as const), id, infohash, offset: fc.nat({ max: L.maxMetadataBytes }) }),
  fc
    .record({ id, total: fc.nat({ max: L.maxMetadataBytes }), chunk: fc.uint8Array({ maxLength: 300 }) })
    .chain(({ id, total, chunk }) => {
      const bytes = chunk.subarray(0, total)
      return fc.nat({ max: total - bytes.length }).map((offset) => ({
        type: 'meta' as const,
        id,
        total,
        offset,
        bytes,
      }))
    }),
  fc.record({ type: fc.constant('bitfield' as const), infohash, bits: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ type: fc.constant('have' as const), infohash, piece }),
  fc
    .record({
      id,
      infohash,
      piece,
      offset: fc.nat({ max: L.maxPieceOffset - 1 }),
      proof: fc.boolean(),
    })
    .chain((r) =>
      fc
        .integer({ min: 1, max: Math.min(L.maxRequestBytes, L.maxPieceOffset - r.offset) })
        .map((length) => ({ type: 'request' as const, ...r, length })),
    ),
  fc.record(
    {
      type: fc.constant('data' as const),
      id,
      bytes: fc.uint8Array({ maxLength: 1024 }),
      proof: fc.nat({ max: L.maxProofHashes }).chain((n) => fc.uint8Array({ minLength: n * 32, maxLength: n * 32 })),
    },
    { requiredKeys: ['type', 'id', 'bytes'] },
  ),
  fc.record(
    {
      type: fc.constant('reject' as const),
      id,
      code: fc.string({ minLength: 1, maxLength: L.maxRejectCodeLength }),
      reason: text(L.maxReasonLength),
    },
    { requiredKeys: ['type', 'id', 'code'] },
  ),
  fc.record({ type: fc.constant('cancel' as const), id }),
  fc.record({
    type: fc.constant('ext' as const),
    protocol: fc.string({ minLength: 1, maxLength: L.maxCapabilityLength }),
    body: fc.uint8Array({ maxLength: 2000 }),
  }),
)

/** Any valid `pex/1` body. */
export const pexBody = fc.record({
  infohash,
  added: textList(L.maxAddresses, 40),
  dropped: textList(L.maxAddresses, 40),
})

/** Any valid `gossip/1` body. */
export const gossipBody = fc.record({
  topic: fc.uint8Array({ minLength: 1, maxLength: L.maxTopicBytes }),
  payload: fc.uint8Array({ maxLength: 2000 }),
})
