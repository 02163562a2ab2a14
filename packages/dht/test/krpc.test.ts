import { type BencodeDict, encodeBencode } from '@mycel/wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeKrpc, encodeKrpc, KRPC_ERROR, type KrpcMessage } from '../src/index.js'
import { ascii, errorCode, text } from './helpers.js'

const querier = ascii('abcdefghij0123456789')
const queried = ascii('mnopqrstuvwxyz123456')
const aa = ascii('aa')

function roundTrip(packet: string): KrpcMessage {
  const message = decodeKrpc(ascii(packet))
  // Re-encoding what was decoded gives the packet back, byte for byte.
  const values = message.kind === 'query' ? { ...message, args: message.args } : message
  expect(text(encodeKrpc(values as Parameters<typeof encodeKrpc>[0]))).toBe(packet)
  return message
}

describe('KRPC known answers (the example packets of BEP 5)', () => {
  it('ping query and response', () => {
    const query = 'd1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe'
    expect(text(encodeKrpc({ kind: 'query', transactionId: aa, method: 'ping', args: { id: querier } }))).toBe(query)
    const decoded = roundTrip(query)
    expect(decoded).toMatchObject({ kind: 'query', method: 'ping', readOnly: false })
    expect(text(decoded.transactionId)).toBe('aa')
    const response = 'd1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re'
    expect(text(encodeKrpc({ kind: 'response', transactionId: aa, values: { id: queried } }))).toBe(response)
    const answer = roundTrip(response)
    expect(answer.kind).toBe('response')
    expect(text((answer as { values: BencodeDict }).values.id as Uint8Array)).toBe('mnopqrstuvwxyz123456')
  })

  it('find_node query and response', () => {
    const query = 'd1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe'
    expect(
      text(
        encodeKrpc({ kind: 'query', transactionId: aa, method: 'find_node', args: { id: querier, target: queried } }),
      ),
    ).toBe(query)
    expect(roundTrip(query)).toMatchObject({ kind: 'query', method: 'find_node' })
    const response = 'd1:rd2:id20:0123456789abcdefghij5:nodes9:def456...e1:t2:aa1:y1:re'
    const values = { id: ascii('0123456789abcdefghij'), nodes: ascii('def456...') }
    expect(text(encodeKrpc({ kind: 'response', transactionId: aa, values }))).toBe(response)
    roundTrip(response)
  })

  it('get_peers query and both responses', () => {
    const query = 'd1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe'
    const args = { id: querier, info_hash: queried }
    expect(text(encodeKrpc({ kind: 'query', transactionId: aa, method: 'get_peers', args }))).toBe(query)
    roundTrip(query)
    const withPeers = 'd1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re'
    const peersValues = { id: querier, token: ascii('aoeusnth'), values: [ascii('axje.u'), ascii('idhtnm')] }
    expect(text(encodeKrpc({ kind: 'response', transactionId: aa, values: peersValues }))).toBe(withPeers)
    const decoded = roundTrip(withPeers) as { values: BencodeDict }
    expect((decoded.values.values as Uint8Array[]).map(text)).toEqual(['axje.u', 'idhtnm'])
    const withNodes = 'd1:rd2:id20:abcdefghij01234567895:nodes9:def456...5:token8:aoeusnthe1:t2:aa1:y1:re'
    const nodesValues = { id: querier, token: ascii('aoeusnth'), nodes: ascii('def456...') }
    expect(text(encodeKrpc({ kind: 'response', transactionId: aa, values: nodesValues }))).toBe(withNodes)
    roundTrip(withNodes)
  })

  it('announce_peer query (with and without implied_port) and response', () => {
    const query =
      'd1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe'
    const args = { id: querier, info_hash: queried, port: 6881, token: ascii('aoeusnth') }
    expect(text(encodeKrpc({ kind: 'query', transactionId: aa, method: 'announce_peer', args }))).toBe(query)
    const decoded = roundTrip(query) as { args: BencodeDict }
    expect(decoded.args.port).toBe(6881)
    // BEP 5 shows implied_port in the dictionary form; its key sorts between id and info_hash.
    const implied =
      'd1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe'
    expect(
      text(
        encodeKrpc({ kind: 'query', transactionId: aa, method: 'announce_peer', args: { ...args, implied_port: 1 } }),
      ),
    ).toBe(implied)
    expect((roundTrip(implied) as { args: BencodeDict }).args.implied_port).toBe(1)
    roundTrip('d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re')
  })

  it('error packet', () => {
    const packet = 'd1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee'
    const error = {
      kind: 'error' as const,
      transactionId: aa,
      code: KRPC_ERROR.generic,
      message: 'A Generic Error Ocurred',
    }
    expect(text(encodeKrpc(error))).toBe(packet)
    expect(decodeKrpc(ascii(packet))).toEqual(error)
  })

  it('has the BEP 5 and BEP 44 error codes', () => {
    expect(KRPC_ERROR).toEqual({
      generic: 201,
      server: 202,
      protocol: 203,
      methodUnknown: 204,
      valueTooBig: 205,
      invalidSignature: 206,
      saltTooBig: 207,
      casMismatch: 301,
      seqTooLow: 302,
    })
  })
})

describe('KRPC envelope: liberal in what is optional, strict in what is required', () => {
  it('reads ro (BEP 43), v and ip, and ignores unknown keys', () => {
    const packet = encodeBencode({
      a: { id: querier, extra: 'x' },
      q: 'ping',
      ro: 1,
      t: 'ab',
      v: 'LT01',
      y: 'q',
      zzz: [1, 2],
    })
    const message = decodeKrpc(packet)
    expect(message).toMatchObject({ kind: 'query', method: 'ping', readOnly: true })
    expect(text(message.version as Uint8Array)).toBe('LT01')
    const response = decodeKrpc(
      encodeBencode({ ip: new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1]), r: { id: queried }, t: 'ab', y: 'r' }),
    )
    expect(response.kind === 'response' && response.ip?.length).toBe(6)
  })

  it('writes ro and v when asked', () => {
    const bytes = encodeKrpc({
      kind: 'query',
      transactionId: aa,
      method: 'ping',
      args: { id: querier },
      readOnly: true,
      version: ascii('MC01'),
    })
    expect(text(bytes)).toBe('d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa1:v4:MC011:y1:qe')
  })

  it('accepts an error list with only a code, and clips long error text', () => {
    expect(decodeKrpc(encodeBencode({ e: [202], t: 'x', y: 'e' }))).toMatchObject({
      kind: 'error',
      code: 202,
      message: '',
    })
    const long = decodeKrpc(encodeBencode({ e: [201, 'x'.repeat(1000)], t: 'x', y: 'e' }))
    expect(long.kind === 'error' && long.message.length).toBe(256)
  })

  it('refuses what is not a KRPC message with MALFORMED_PACKET', () => {
    const cases: unknown[] = [
      [1, 2],
      { t: 'aa', y: 'x' },
      { t: 'aa', y: 'qq', q: 'ping', a: {} },
      { t: 1, y: 'q', q: 'ping', a: {} },
      { t: 'a'.repeat(33), y: 'q', q: 'ping', a: {} },
      { t: 'aa', y: 'q', q: 'ping' },
      { t: 'aa', y: 'q', q: 'ping', a: 'x' },
      { t: 'aa', y: 'q', q: '', a: {} },
      { t: 'aa', y: 'q', q: 'pi ng', a: {} },
      { t: 'aa', y: 'q', q: 'x'.repeat(33), a: {} },
      { t: 'aa', y: 'r', r: 'x' },
      { t: 'aa', y: 'e', e: 'x' },
      { t: 'aa', y: 'e', e: [] },
      { t: 'aa', y: 'e', e: ['x', 'y'] },
      { y: 'q', q: 'ping', a: {} },
    ]
    for (const value of cases) {
      expect(errorCode(() => decodeKrpc(encodeBencode(value as Parameters<typeof encodeBencode>[0])))).toBe(
        'MALFORMED_PACKET',
      )
    }
    for (const raw of ['', 'd', 'i1e', 'd1:t2:aa1:y1:qe garbage', 'de', 'd1:y1:q1:t2:aae']) {
      expect(errorCode(() => decodeKrpc(ascii(raw)))).toBe('MALFORMED_PACKET')
    }
  })

  it('refuses datagrams over the size limit with PACKET_TOO_LARGE', () => {
    const big = encodeBencode({ a: { id: querier, pad: new Uint8Array(2100) }, q: 'ping', t: 'aa', y: 'q' })
    expect(errorCode(() => decodeKrpc(big))).toBe('PACKET_TOO_LARGE')
    expect(decodeKrpc(big, 4096).kind).toBe('query')
  })

  it('refuses deep nesting', () => {
    let value: unknown = 1
    for (let i = 0; i < 40; i++) value = [value]
    expect(
      errorCode(() => decodeKrpc(encodeBencode({ a: { id: querier, v: value }, q: 'put', t: 'aa', y: 'q' } as never))),
    ).toBe('MALFORMED_PACKET')
  })
})

describe('KRPC properties', () => {
  const bytes = (max: number) => fc.uint8Array({ maxLength: max })
  const message: fc.Arbitrary<KrpcMessage> = fc.oneof(
    fc.record({
      kind: fc.constant('query' as const),
      transactionId: bytes(8),
      method: fc.constantFrom('ping', 'find_node', 'get_peers', 'announce_peer', 'get', 'put', 'sample_infohashes'),
      args: fc.record({ id: fc.uint8Array({ minLength: 20, maxLength: 20 }), port: fc.nat(65535), target: bytes(20) }),
      readOnly: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('response' as const),
      transactionId: bytes(8),
      values: fc.record({
        id: fc.uint8Array({ minLength: 20, maxLength: 20 }),
        nodes: bytes(200),
        values: fc.array(bytes(6), { maxLength: 10 }),
      }),
    }),
    fc.record({
      kind: fc.constant('error' as const),
      transactionId: bytes(8),
      code: fc.integer({ min: 0, max: 999 }),
      message: fc.string({ maxLength: 100 }).filter((s) => !/\p{Surrogate}/u.test(s)),
    }),
  ) as fc.Arbitrary<KrpcMessage>

  it('decode(encode(message)) gives the message back', () => {
    fc.assert(
      fc.property(message, (original) => {
        const decoded = decodeKrpc(encodeKrpc(original as Parameters<typeof encodeKrpc>[0]))
        expect(decoded).toEqual(original)
      }),
    )
  })

  it('any bytes decode to a message or a DhtError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        try {
          decodeKrpc(input)
        } catch (err) {
          expect(['MALFORMED_PACKET', 'PACKET_TOO_LARGE']).toContain((err as { code?: string }).code)
        }
      }),
    )
  })
})
