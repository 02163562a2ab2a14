import { isIPv6 } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compactPeerLength,
  decodeCompactPeer,
  decodeCompactPeers,
  encodeCompactPeer,
  encodeCompactPeers,
  formatIpv4,
  formatIpv6,
  parseIpv4,
  parseIpv6,
} from '../src/index.js'

describe('compact peer info', () => {
  it('encodes the BEP 5 / BEP 23 vectors: 6 bytes for IPv4, 18 for IPv6, port big-endian', () => {
    expect(encodeCompactPeer({ host: '127.0.0.1', port: 6881 })).toEqual(new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1]))
    expect(encodeCompactPeer({ host: '2001:db8::7', port: 80 })).toEqual(
      new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 80]),
    )
    expect(decodeCompactPeer(new Uint8Array([10, 1, 2, 3, 0xff, 0xff]))).toEqual({ host: '10.1.2.3', port: 65535 })
    expect(compactPeerLength(4)).toBe(6)
    expect(compactPeerLength(6)).toBe(18)
  })

  it('refuses what is not an IP address and port on encode, with typed errors', () => {
    expect(() => encodeCompactPeer({ host: 'tracker.example.org', port: 1 })).toThrow(TypeError)
    expect(() => encodeCompactPeer({ host: '[::1]', port: 1 })).toThrow(TypeError)
    expect(() => encodeCompactPeer({ host: 'fe80::1%eth0', port: 1 })).toThrow(TypeError)
    expect(() => encodeCompactPeer({ host: '010.0.0.1', port: 1 })).toThrow(TypeError)
    for (const port of [-1, 65536, 1.5, Number.NaN]) {
      expect(() => encodeCompactPeer({ host: '10.0.0.1', port })).toThrow(RangeError)
    }
  })

  it('decodes one peer to undefined for a wrong length or port 0', () => {
    expect(decodeCompactPeer(new Uint8Array([10, 0, 0, 1, 0, 0]))).toBeUndefined()
    for (const length of [0, 5, 7, 17, 19, 26]) expect(decodeCompactPeer(new Uint8Array(length))).toBeUndefined()
  })

  it('writes a list of one family, leaving the other out, and reads it back', () => {
    const peers = [
      { host: '10.0.0.1', port: 1 },
      { host: '::1', port: 2 },
      { host: '192.0.2.9', port: 3 },
    ]
    const v4 = encodeCompactPeers(peers, 4)
    expect(v4.length).toBe(12)
    expect(decodeCompactPeers(v4, 4)).toEqual([peers[0], peers[2]])
    const v6 = encodeCompactPeers(peers, 6)
    expect(decodeCompactPeers(v6, 6)).toEqual([peers[1]])
    expect(encodeCompactPeers([], 4)).toEqual(new Uint8Array(0))
  })

  it('refuses a list that is not whole entries, and skips entries with port 0', () => {
    expect(decodeCompactPeers(new Uint8Array(7), 4)).toBeUndefined()
    expect(decodeCompactPeers(new Uint8Array(6), 6)).toBeUndefined()
    expect(decodeCompactPeers(new Uint8Array(12), 4)).toEqual([])
    expect(decodeCompactPeers(new Uint8Array([1, 2, 3, 4, 0, 9, 1, 2, 3, 4, 0, 0]), 4)).toEqual([
      { host: '1.2.3.4', port: 9 },
    ])
  })

  it('round-trips random peers of both families', () => {
    const peer = fc.record({
      host: fc.oneof(
        fc.ipV4(),
        fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => formatIpv6(bytes)),
      ),
      port: fc.integer({ min: 1, max: 65535 }),
    })
    fc.assert(
      fc.property(fc.array(peer, { maxLength: 20 }), (peers) => {
        for (const family of [4, 6] as const) {
          const ofFamily = peers.filter((p) => (family === 4) === !p.host.includes(':'))
          expect(decodeCompactPeers(encodeCompactPeers(peers, family), family)).toEqual(ofFamily)
        }
        for (const one of peers) expect(decodeCompactPeer(encodeCompactPeer(one))).toEqual(one)
      }),
    )
  })

  it('decodes any bytes to peers or undefined, never throwing; IPv6 hosts are what node:net calls IPv6', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(4 as const, 6 as const), (bytes, family) => {
        const peers = decodeCompactPeers(bytes, family)
        if (peers === undefined) return
        for (const peer of peers) {
          expect(peer.port).toBeGreaterThan(0)
          if (family === 6) expect(isIPv6(peer.host)).toBe(true)
          else expect(parseIpv4(peer.host)).toBeDefined()
        }
      }),
    )
  })
})

describe('IP address text', () => {
  it('round-trips every 4- and 16-byte address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
        expect(parseIpv4(formatIpv4(bytes))).toEqual(bytes)
      }),
    )
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(parseIpv6(formatIpv6(bytes))).toEqual(bytes)
      }),
    )
  })

  it('writes RFC 5952 text and refuses malformed text', () => {
    expect(formatIpv6(parseIpv6('2001:0db8:0000:0000:0000:0000:0000:0001') as Uint8Array)).toBe('2001:db8::1')
    expect(formatIpv6(parseIpv6('::ffff:192.0.2.1') as Uint8Array)).toBe('::ffff:192.0.2.1')
    for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', ' 1.2.3.4', '1.2.3.4.5', '']) {
      expect(parseIpv4(bad), bad).toBeUndefined()
    }
    for (const bad of [':::', '1::2::3', '12345::', 'g::1', '[::1]', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9']) {
      expect(parseIpv6(bad), bad).toBeUndefined()
    }
  })
})
