import { encode as msgpack } from '@msgpack/msgpack'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeGossipBody,
  decodeMessage,
  decodePexBody,
  encodeGossipBody,
  encodeMessage,
  encodePexBody,
  MESSAGE_LIMITS as L,
  PEX_PROTOCOL,
  WireError,
} from '../src/index.js'
import { gossipBody, pexBody } from './arbitraries.js'
import { errorCode, expectWireError } from './helpers.js'

const infohash = new Uint8Array(32).fill(9)

describe('bodies of optional protocols (ext messages)', () => {
  it('round-trip pex/1 and gossip/1 bodies, inside an ext message too', () => {
    fc.assert(
      fc.property(pexBody, gossipBody, (pex, gossip) => {
        expect(decodePexBody(encodePexBody(pex))).toEqual(pex)
        expect(decodeGossipBody(encodeGossipBody(gossip))).toEqual(gossip)
        const ext = decodeMessage(encodeMessage({ type: 'ext', protocol: PEX_PROTOCOL, body: encodePexBody(pex) }))
        expect(ext.type === 'ext' && decodePexBody(ext.body)).toEqual(pex)
      }),
      { numRuns: 500 },
    )
  })

  it('refuse bodies that break a rule, with a typed error', () => {
    const cases: [unknown, string][] = [
      [{ infohash: new Uint8Array(31), added: [], dropped: [] }, 'MESSAGE_INVALID_FIELD'],
      [{ infohash, added: Array(L.maxAddresses + 1).fill('a'), dropped: [] }, 'MESSAGE_INVALID_FIELD'],
      [{ infohash, added: Array(1000).fill('a'), dropped: [] }, 'MESSAGE_MALFORMED'],
      [{ infohash, added: ['x'.repeat(L.maxAddressLength + 1)], dropped: [] }, 'MESSAGE_INVALID_FIELD'],
      [{ infohash, added: [], dropped: 'tcp://x' }, 'MESSAGE_INVALID_FIELD'],
      [[1, 2, 3], 'MESSAGE_MALFORMED'],
    ]
    for (const [raw, code] of cases) {
      expect(errorCode(() => decodePexBody(msgpack(raw)))).toBe(code)
    }
    expectWireError(
      () => decodeGossipBody(msgpack({ topic: new Uint8Array(0), payload: new Uint8Array(1) })),
      'MESSAGE_INVALID_FIELD',
    )
    expectWireError(
      () => decodeGossipBody(msgpack({ topic: new Uint8Array(1), payload: new Uint8Array(L.maxGossipBytes + 1) })),
      'MESSAGE_INVALID_FIELD',
    )
    // 1 MiB of nesting is refused before decoding, as for messages.
    const deep = new Uint8Array(1024 * 1024).fill(0x91)
    deep[0] = 0x81
    expectWireError(() => decodePexBody(deep), 'MESSAGE_TOO_DEEP')
    expectWireError(
      () => encodePexBody({ infohash, added: [7 as unknown as string], dropped: [] }),
      'MESSAGE_INVALID_FIELD',
    )
  })

  it('throw nothing but WireError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        for (const decode of [decodePexBody, decodeGossipBody]) {
          try {
            decode(bytes)
          } catch (error) {
            expect(error).toBeInstanceOf(WireError)
          }
        }
      }),
      { numRuns: 2000 },
    )
  })
})
