import { isIP } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatIp, fromHex, parseIp, parseIpv4, parseIpv6, toHex } from '../src/index.js'
import {
  decodeTrackerPeer as decodeCompactPeer,
  decodeTrackerPeers as decodeCompactPeers,
  encodeTrackerPeer as encodeCompactPeer,
  encodeTrackerPeers as encodeCompactPeers,
} from '../src/tracker/compact.js'
import { expectWireError } from './helpers.js'
import { garbage, ipv4Bytes, ipv6Bytes, peer4, peer6, valueOrWireError } from './tracker-arbitraries.js'

describe('IP literals', () => {
  it('reads and writes the RFC 5952 forms', () => {
    const cases: Array<[string, string, string]> = [
      ['2001:db8::1', '20010db8000000000000000000000001', '2001:db8::1'],
      ['2001:DB8:0:0:0:0:2:1', '20010db8000000000000000000020001', '2001:db8::2:1'],
      // a single zero group is not compressed; of two equal runs the first is
      ['2001:db8:0:1:1:1:1:1', '20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '20010000000000010000000000000001', '2001:0:0:1::1'],
      ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
      ['::', '00000000000000000000000000000000', '::'],
      ['::1', '00000000000000000000000000000001', '::1'],
      ['1::', '00010000000000000000000000000000', '1::'],
      ['::ffff:192.0.2.7', '00000000000000000000ffffc0000207', '::ffff:192.0.2.7'],
      ['::FFFF:c000:207', '00000000000000000000ffffc0000207', '::ffff:192.0.2.7'],
      ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221', '64:ff9b::c000:221'],
    ]
    for (const [text, hex, canonical] of cases) {
      expect(toHex(parseIpv6(text) as Uint8Array), text).toBe(hex)
      expect(formatIp(fromHex(hex) as Uint8Array), hex).toBe(canonical)
    }
    expect(toHex(parseIpv4('192.0.2.255') as Uint8Array)).toBe('c00002ff')
    expect(formatIp(new Uint8Array([10, 0, 0, 1]))).toBe('10.0.0.1')
  })

  it('refuses what is not an address literal', () => {
    for (const text of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.4 ',
      '+1.2.3.4',
      'localhost',
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1::2:3:4:5:6:7:8',
      '12345::',
      'fe80::1%eth0',
      '[::1]',
      '::ffff:1.2.3',
      '1.2.3.4::',
      'g::',
    ]) {
      expect(parseIp(text), text).toBeUndefined()
    }
    expect(() => formatIp(new Uint8Array(5))).toThrow(RangeError)
  })

  it('bytes -> text -> bytes round-trips, the text is canonical (as WHATWG URLs write it) and node:net agrees', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4Bytes, ipv6Bytes), (bytes) => {
        const text = formatIp(bytes)
        expect(parseIp(text)).toEqual(bytes)
        expect(isIP(text)).toBe(bytes.length === 4 ? 4 : 6)
        if (bytes.length === 16 && !text.includes('.')) expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`)
      }),
      { numRuns: 2000 },
    )
  })

  it('parses exactly what node:net calls an address, for strings made of address characters', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''))
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 45 }), (text) => {
        expect(parseIp(text) !== undefined, text).toBe(isIP(text) !== 0)
      }),
      { numRuns: 5000 },
    )
  })
})

describe('compact peers', () => {
  it('encodes the BEP 23 and BEP 7 layouts', () => {
    expect(toHex(encodeCompactPeer({ host: '192.0.2.7', port: 6881 }))).toBe('c00002071ae1')
    expect(toHex(encodeCompactPeer({ host: '2001:db8::7', port: 51413 }))).toBe('20010db8000000000000000000000007c8d5')
    expect(decodeCompactPeer(fromHex('7f0000011f90') as Uint8Array)).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(decodeCompactPeers(fromHex('7f0000011f900a0000010001') as Uint8Array, 4)).toEqual([
      { host: '127.0.0.1', port: 8080 },
      { host: '10.0.0.1', port: 1 },
    ])
  })

  it('round-trips lists of either family', () => {
    fc.assert(
      fc.property(fc.array(peer4, { maxLength: 60 }), fc.array(peer6, { maxLength: 60 }), (v4, v6) => {
        expect(decodeCompactPeers(encodeCompactPeers(v4, 4), 4)).toEqual(v4)
        expect(decodeCompactPeers(encodeCompactPeers(v6, 6), 6)).toEqual(v6)
        for (const peer of [...v4, ...v6]) expect(decodeCompactPeer(encodeCompactPeer(peer))).toEqual(peer)
      }),
      { numRuns: 500 },
    )
  })

  it('refuses lists that are not whole peers, and lists over the limit', () => {
    expectWireError(() => decodeCompactPeers(new Uint8Array(7), 4), 'TRACKER_MALFORMED')
    expectWireError(() => decodeCompactPeers(new Uint8Array(36 + 1), 6), 'TRACKER_MALFORMED')
    expectWireError(() => decodeCompactPeers(new Uint8Array(12), 6), 'TRACKER_MALFORMED')
    expectWireError(() => decodeCompactPeers(new Uint8Array(6 * 11), 4, 10), 'TRACKER_TOO_LARGE')
    expect(decodeCompactPeers(new Uint8Array(6 * 10), 4, 10)).toHaveLength(10)
    for (const length of [0, 5, 7, 17, 19]) {
      expectWireError(() => decodeCompactPeer(new Uint8Array(length)), 'TRACKER_MALFORMED')
    }
  })

  it('encoders refuse host names, bad ports and mixed families', () => {
    expect(() => encodeCompactPeer({ host: 'example.org', port: 1 })).toThrow(RangeError)
    expect(() => encodeCompactPeer({ host: '1.2.3.4', port: 65536 })).toThrow(RangeError)
    expect(() => encodeCompactPeer({ host: '1.2.3.4', port: 1.5 })).toThrow(RangeError)
    expect(() => encodeCompactPeers([{ host: '::1', port: 1 }], 4)).toThrow(RangeError)
  })

  it('random bytes give peers or a WireError', () => {
    fc.assert(
      fc.property(garbage, fc.constantFrom(4 as const, 6 as const), (bytes, family) =>
        valueOrWireError(() => {
          for (const peer of decodeCompactPeers(bytes, family)) expect(isIP(peer.host)).toBe(family)
        }),
      ),
      { numRuns: 1000 },
    )
  })
})
