import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compactNodeLength,
  compactPeerLength,
  decodeCompactNodes,
  decodeCompactPeer,
  encodeCompactNodes,
  encodeCompactPeer,
  formatHostPort,
  parseHostPort,
} from '../src/index.js'
import { addressPrefix, formatIpv6, ipFamily, normalizeHost, parseIpv4, parseIpv6 } from '../src/ip.js'
import { errorCode } from './helpers.js'

describe('host:port lists', () => {
  it('parses IPv4, bracketed IPv6 and host names', () => {
    expect(parseHostPort('127.0.0.1:6881')).toEqual({ host: '127.0.0.1', port: 6881 })
    expect(parseHostPort('[::1]:6881')).toEqual({ host: '::1', port: 6881 })
    expect(parseHostPort('[2001:DB8:0:0:0:0:0:1]:1')).toEqual({ host: '2001:db8::1', port: 1 })
    expect(parseHostPort('router.example.org:65535')).toEqual({ host: 'router.example.org', port: 65535 })
  })

  it('refuses entries without a usable port or host with INVALID_ADDRESS', () => {
    for (const bad of [
      '127.0.0.1',
      '127.0.0.1:',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '127.0.0.1:01',
      ':6881',
      '::1:6881',
      '[::1]6881',
      '[1.2.3.4]:5',
      '[::1',
      'a b:1',
      '[::g]:1',
      'x:-1',
    ]) {
      expect(
        errorCode(() => parseHostPort(bad)),
        bad,
      ).toBe('INVALID_ADDRESS')
    }
  })

  it('formats addresses so that they parse back', () => {
    expect(formatHostPort({ host: '10.0.0.1', port: 80 })).toBe('10.0.0.1:80')
    expect(formatHostPort({ host: 'fd00::1', port: 80 })).toBe('[fd00::1]:80')
  })
})

describe('IP text', () => {
  it('parses dotted quads strictly', () => {
    expect(parseIpv4('1.2.3.4')).toEqual(new Uint8Array([1, 2, 3, 4]))
    expect(parseIpv4('255.255.255.255')).toEqual(new Uint8Array([255, 255, 255, 255]))
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..3.4', '1.2.3.4 ', 'a.b.c.d', ''])
      expect(parseIpv4(bad), bad).toBeUndefined()
  })

  it('parses and writes IPv6 as RFC 5952 says', () => {
    const cases: [string, string][] = [
      ['::', '::'],
      ['::1', '::1'],
      ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['fe80::1:2', 'fe80::1:2'],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ]
    for (const [input, canonical] of cases) {
      expect(normalizeHost(input), input).toBe(canonical)
      expect(ipFamily(input)).toBe(6)
    }
    for (const bad of [
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      ':::',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7',
      '::1.2.3',
      '1:2:3:4:5:6:7:1.2.3.4',
    ]) {
      expect(parseIpv6(bad), bad).toBeUndefined()
    }
    expect(ipFamily('example.org')).toBe(0)
  })

  it('names the network of an address: /24 for IPv4 (also mapped into IPv6), /48 for IPv6', () => {
    expect(addressPrefix('192.0.2.77')).toBe('192.0.2.0/24')
    expect(addressPrefix('::ffff:192.0.2.1')).toBe('192.0.2.0/24')
    expect(addressPrefix('2001:db8:1:2::3')).toBe('2001:db8:1::/48')
    expect(addressPrefix('2001:db8:1:ffff:ffff::')).toBe('2001:db8:1::/48')
    expect(addressPrefix('::1')).toBe('0:0:0::/48')
    expect(addressPrefix('router.example.org')).toBe('router.example.org')
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        (a, tail) => {
          fc.pre(!formatIpv6(a).startsWith('::ffff:') && !formatIpv6(tail.length ? a : a).includes('.')) // not IPv4-mapped
          const b = new Uint8Array(16)
          b.set(a.subarray(0, 6))
          b.set(tail, 6)
          expect(addressPrefix(formatIpv6(a))).toBe(addressPrefix(formatIpv6(b))) // the same first 48 bits
        },
      ),
    )
  })

  it('round-trips every 16-byte address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(parseIpv6(formatIpv6(bytes))).toEqual(bytes)
      }),
    )
  })
})

describe('compact peer and node info', () => {
  const id = Uint8Array.from({ length: 20 }, (_, i) => i + 1)

  it('encodes peers in 6 (IPv4) or 18 (IPv6) bytes, port big-endian', () => {
    expect(encodeCompactPeer({ host: '127.0.0.1', port: 6881 })).toEqual(new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1]))
    const v6 = encodeCompactPeer({ host: '::1', port: 1 })
    expect(v6.length).toBe(18)
    expect(decodeCompactPeer(v6)).toEqual({ host: '::1', port: 1 })
    expect(decodeCompactPeer(new Uint8Array([10, 0, 0, 1, 0, 0]))).toBeUndefined()
    expect(decodeCompactPeer(new Uint8Array(7))).toBeUndefined()
    expect(() => encodeCompactPeer({ host: 'example.org', port: 1 })).toThrow(TypeError)
    expect(compactPeerLength(4)).toBe(6)
    expect(compactPeerLength(6)).toBe(18)
  })

  it('encodes nodes in 26 (BEP 5) or 38 (BEP 32) bytes and skips the other family', () => {
    const nodes = [
      { id, host: '10.1.2.3', port: 4000 },
      { id, host: 'fd00::5', port: 5000 },
    ]
    const v4 = encodeCompactNodes(nodes, 4)
    expect(v4.length).toBe(compactNodeLength(4))
    expect([...v4.subarray(20)]).toEqual([10, 1, 2, 3, 0x0f, 0xa0])
    expect(decodeCompactNodes(v4, 4)).toEqual([nodes[0]])
    const v6 = encodeCompactNodes(nodes, 6)
    expect(v6.length).toBe(38)
    expect(decodeCompactNodes(v6, 6)).toEqual([nodes[1]])
  })

  it('refuses a node list that is not whole entries, and skips port 0', () => {
    expect(decodeCompactNodes(new Uint8Array(27), 4)).toBeUndefined()
    expect(decodeCompactNodes(new Uint8Array(26), 4)).toEqual([])
    expect(decodeCompactNodes(new Uint8Array(0), 6)).toEqual([])
  })

  it('round-trips random node lists', () => {
    const node = fc.record({
      id: fc.uint8Array({ minLength: 20, maxLength: 20 }),
      host: fc.ipV4(),
      port: fc.integer({ min: 1, max: 65535 }),
    })
    fc.assert(
      fc.property(fc.array(node, { maxLength: 16 }), (nodes) => {
        expect(decodeCompactNodes(encodeCompactNodes(nodes, 4), 4)).toEqual(nodes)
      }),
    )
  })

  it('decodes any bytes to a list or undefined', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(4 as const, 6 as const), (bytes, family) => {
        const nodes = decodeCompactNodes(bytes, family)
        if (nodes !== undefined) for (const node of nodes) expect(node.id.length).toBe(20)
      }),
    )
  })
})
