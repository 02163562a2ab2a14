import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeUdpRequest,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpAnnounceResponse,
  encodeUdpConnectRequest,
  encodeUdpConnectResponse,
  encodeUdpError,
  encodeUdpScrapeRequest,
  encodeUdpScrapeResponse,
  fromHex,
  TRACKER_LIMITS,
  toHex,
  UDP_ANNOUNCE_LENGTH,
  udpTransactionId,
} from '../src/index.js'
import {
  decodeTrackerPeers as decodeCompactPeers,
  encodeTrackerPeers as encodeCompactPeers,
} from '../src/tracker/compact.js'
import { errorCode } from './helpers.js'
import { bytes20, garbage, mutated, peer4, peer6, udpAnnounce, valueOrWireError } from './tracker-arbitraries.js'

const hex = (text: string) => fromHex(text.replace(/\s+/g, '')) as Uint8Array
const CONNECTION_ID = hex('0102030405060708')
const INFOHASH = hex('aa'.repeat(20))
const PEER_ID = hex('bb'.repeat(20))

describe('UDP tracker requests (BEP 15)', () => {
  it('reads and writes the connect request', () => {
    const packet = hex('0000041727101980 00000000 12345678')
    expect(decodeUdpRequest(packet)).toEqual({ action: 'connect', transactionId: 0x12345678 })
    expect(encodeUdpConnectRequest(0x12345678)).toEqual(packet)
  })

  it('reads an announce byte by byte as BEP 15 lays it out', () => {
    const packet = hex(`0102030405060708 00000001 0000abcd ${'aa'.repeat(20)} ${'bb'.repeat(20)}
      0000000000000010 ffffffffffffffff 0000000000000020 00000002 c0000207 deadbeef ffffffff 1ae1`)
    expect(packet).toHaveLength(UDP_ANNOUNCE_LENGTH)
    expect(decodeUdpRequest(packet)).toEqual({
      action: 'announce',
      connectionId: CONNECTION_ID,
      transactionId: 0xabcd,
      infohash: INFOHASH,
      peerId: PEER_ID,
      downloaded: 16,
      uploaded: 32,
      event: 'started',
      ip: '192.0.2.7',
      key: hex('deadbeef'),
      port: 6881,
    })
  })

  it('reads BEP 41 URL data after an announce: several options joined, NOPs and unknown options skipped', () => {
    const base = encodeUdpAnnounceRequest({
      connectionId: CONNECTION_ID,
      transactionId: 1,
      infohash: INFOHASH,
      peerId: PEER_ID,
      port: 1,
      uploaded: 0,
      downloaded: 0,
    })
    const options = hex(`01 02 05 2f616e6e6f 09 02 6868 01 02 03 756e63 00 ffff`)
    const packet = new Uint8Array([...base, ...options])
    expect(decodeUdpRequest(packet)).toMatchObject({ action: 'announce', urlData: '/announc' })
    const runsPast = new Uint8Array([...base, 0x02, 0x09, 0x41])
    expect(errorCode(() => decodeUdpRequest(runsPast))).toBe('TRACKER_MALFORMED')
    const noLength = new Uint8Array([...base, 0x02])
    expect(errorCode(() => decodeUdpRequest(noLength))).toBe('TRACKER_MALFORMED')
    // a URL longer than 255 bytes travels in several options
    const long = `/announce/${'k'.repeat(400)}`
    const written = encodeUdpAnnounceRequest({
      connectionId: CONNECTION_ID,
      transactionId: 1,
      infohash: INFOHASH,
      peerId: PEER_ID,
      port: 1,
      uploaded: 0,
      downloaded: 0,
      urlData: long,
    })
    expect(decodeUdpRequest(written)).toMatchObject({ urlData: long })
  })

  it('announce and scrape round-trip', () => {
    fc.assert(
      fc.property(udpAnnounce, (request) => {
        expect(decodeUdpRequest(encodeUdpAnnounceRequest(request))).toEqual({ action: 'announce', ...request })
      }),
      { numRuns: 1000 },
    )
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.nat({ max: 0xffff_ffff }),
        fc.array(bytes20, { minLength: 1, maxLength: TRACKER_LIMITS.maxScrapeInfohashes }),
        (connectionId, transactionId, infohashes) => {
          const packet = encodeUdpScrapeRequest({ connectionId, transactionId, infohashes })
          expect(decodeUdpRequest(packet)).toEqual({ action: 'scrape', connectionId, transactionId, infohashes })
          expect(udpTransactionId(packet)).toBe(transactionId)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('refuses short, ill-sized and unknown packets', () => {
    const announce = encodeUdpAnnounceRequest({
      connectionId: CONNECTION_ID,
      transactionId: 1,
      infohash: INFOHASH,
      peerId: PEER_ID,
      port: 1,
      uploaded: 0,
      downloaded: 0,
    })
    const withEvent = (event: number) => {
      const out = announce.slice()
      new DataView(out.buffer).setUint32(80, event)
      return out
    }
    const negative = announce.slice()
    new DataView(negative.buffer).setBigInt64(72, -5n)
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array(15), 'TRACKER_MALFORMED'],
      [hex('0000041727101980 00000001 00000000'), 'TRACKER_MALFORMED'],
      [hex('0102030405060708 00000000 00000000'), 'TRACKER_MALFORMED'],
      [hex('0102030405060708 00000007 00000000'), 'TRACKER_MALFORMED'],
      [hex('0102030405060708 00000003 00000000'), 'TRACKER_MALFORMED'],
      [announce.subarray(0, UDP_ANNOUNCE_LENGTH - 1), 'TRACKER_MALFORMED'],
      [withEvent(5), 'TRACKER_INVALID_FIELD'],
      [negative, 'TRACKER_INVALID_FIELD'],
      [hex(`0102030405060708 00000002 00000000`), 'TRACKER_MALFORMED'],
      [hex(`0102030405060708 00000002 00000000 ${'aa'.repeat(21)}`), 'TRACKER_MALFORMED'],
      [new Uint8Array([...hex('0102030405060708 00000002 00000000'), ...new Uint8Array(20 * 75)]), 'TRACKER_TOO_LARGE'],
      [new Uint8Array(TRACKER_LIMITS.maxPacketBytes + 1), 'TRACKER_TOO_LARGE'],
    ]
    for (const [packet, code] of cases)
      expect(
        errorCode(() => decodeUdpRequest(packet)),
        toHex(packet.subarray(0, 16)),
      ).toBe(code)
    expect(decodeUdpRequest(withEvent(4))).toMatchObject({ event: 'paused' })
    expect(udpTransactionId(new Uint8Array(15))).toBeUndefined()
  })

  it('random and mutated packets give a request or a WireError', () => {
    const valid = fc.oneof(
      udpAnnounce.map(encodeUdpAnnounceRequest),
      fc.nat({ max: 0xffff_ffff }).map(encodeUdpConnectRequest),
      fc
        .array(bytes20, { minLength: 1, maxLength: 5 })
        .map((infohashes) => encodeUdpScrapeRequest({ connectionId: CONNECTION_ID, transactionId: 7, infohashes })),
    )
    fc.assert(
      fc.property(fc.oneof(garbage, mutated(valid)), (bytes) => valueOrWireError(() => decodeUdpRequest(bytes))),
      { numRuns: 3000 },
    )
  })

  it('writers refuse fields out of range', () => {
    expect(() => encodeUdpConnectRequest(-1)).toThrow(RangeError)
    expect(() => encodeUdpConnectRequest(2 ** 32)).toThrow(RangeError)
    const request = {
      connectionId: CONNECTION_ID,
      transactionId: 1,
      infohash: INFOHASH,
      peerId: PEER_ID,
      port: 1,
      uploaded: 0,
      downloaded: 0,
    }
    expect(() => encodeUdpAnnounceRequest({ ...request, infohash: new Uint8Array(32) })).toThrow(RangeError)
    expect(() => encodeUdpAnnounceRequest({ ...request, infohash: 'x' as never })).toThrow(TypeError)
    expect(() => encodeUdpAnnounceRequest({ ...request, port: 70000 })).toThrow(RangeError)
    expect(() => encodeUdpAnnounceRequest({ ...request, ip: '::1' })).toThrow(RangeError)
    expect(() => encodeUdpAnnounceRequest({ ...request, uploaded: -1 })).toThrow(RangeError)
    expect(() => encodeUdpAnnounceRequest({ ...request, urlData: '\u0100' })).toThrow(RangeError)
    expect(() => encodeUdpScrapeRequest({ connectionId: CONNECTION_ID, transactionId: 1, infohashes: [] })).toThrow(
      RangeError,
    )
  })
})

describe('UDP tracker responses (BEP 15)', () => {
  it('connect, error, scrape and announce layouts', () => {
    expect(toHex(encodeUdpConnectResponse({ transactionId: 9, connectionId: CONNECTION_ID }))).toBe(
      '00000000000000090102030405060708',
    )
    expect(toHex(encodeUdpError({ transactionId: 9, message: 'no' }))).toBe('00000003000000096e6f')
    expect(
      toHex(encodeUdpScrapeResponse({ transactionId: 9, files: [{ complete: 1, downloaded: 2, incomplete: 3 }] })),
    ).toBe('0000000200000009000000010000000200000003')
    const peers = encodeCompactPeers([{ host: '10.0.0.1', port: 6881 }], 4)
    expect(toHex(encodeUdpAnnounceResponse({ transactionId: 9, interval: 1800, leechers: 2, seeders: 3, peers }))).toBe(
      '00000001000000090000070800000002000000030a0000011ae1',
    )
  })

  it('round-trip, IPv4 and IPv6 peers', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }),
        fc.nat({ max: 0xffff_ffff }),
        fc.oneof(
          fc.array(peer4, { maxLength: 74 }).map((p) => [4, p] as const),
          fc.array(peer6, { maxLength: 74 }).map((p) => [6, p] as const),
        ),
        (transactionId, leechers, seeders, [family, list]) => {
          const peers = encodeCompactPeers(list, family)
          const packet = encodeUdpAnnounceResponse({ transactionId, interval: 60, leechers, seeders, peers })
          expect(decodeUdpResponse(packet, { family })).toEqual({
            action: 'announce',
            transactionId,
            interval: 60,
            leechers,
            seeders,
            peers: decodeCompactPeers(peers, family),
          })
        },
      ),
      { numRuns: 500 },
    )
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffff_ffff }),
        fc.array(
          fc.record({
            complete: fc.nat({ max: 0xffff_ffff }),
            downloaded: fc.nat({ max: 0xffff_ffff }),
            incomplete: fc.nat({ max: 0xffff_ffff }),
          }),
          { maxLength: 74 },
        ),
        (transactionId, files) => {
          expect(decodeUdpResponse(encodeUdpScrapeResponse({ transactionId, files }), { family: 4 })).toEqual({
            action: 'scrape',
            transactionId,
            files,
          })
        },
      ),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(fc.nat({ max: 0xffff_ffff }), fc.string({ maxLength: 100 }), (transactionId, message) => {
        const decoded = decodeUdpResponse(encodeUdpError({ transactionId, message }), { family: 6 })
        expect(decoded).toEqual({
          action: 'error',
          transactionId,
          message: message.replace(/\p{Surrogate}/gu, '\ufffd'),
        })
      }),
      { numRuns: 300 },
    )
  })

  it('counts over 32 bits are written as the largest 32-bit value', () => {
    const packet = encodeUdpScrapeResponse({
      transactionId: 1,
      files: [{ complete: 2 ** 40, downloaded: 0, incomplete: 0 }],
    })
    expect(decodeUdpResponse(packet, { family: 4 })).toMatchObject({ files: [{ complete: 0xffff_ffff }] })
  })

  it('refuses packets too short for their action, and peer lists of the wrong family or over the limit', () => {
    const cases: Array<[Uint8Array, 4 | 6, string]> = [
      [new Uint8Array(7), 4, 'TRACKER_MALFORMED'],
      [hex('00000000 00000001 0102'), 4, 'TRACKER_MALFORMED'],
      [hex('00000001 00000001 00000001 00000002'), 4, 'TRACKER_MALFORMED'],
      [
        encodeUdpAnnounceResponse({
          transactionId: 1,
          interval: 1,
          leechers: 0,
          seeders: 0,
          peers: new Uint8Array(12),
        }),
        6,
        'TRACKER_MALFORMED',
      ],
      [hex('00000002 00000001 00000001'), 4, 'TRACKER_MALFORMED'],
      [hex('00000009 00000001'), 4, 'TRACKER_MALFORMED'],
    ]
    for (const [packet, family, code] of cases)
      expect(
        errorCode(() => decodeUdpResponse(packet, { family })),
        toHex(packet),
      ).toBe(code)
    const many = encodeUdpAnnounceResponse({
      transactionId: 1,
      interval: 1,
      leechers: 0,
      seeders: 0,
      peers: new Uint8Array(6 * 11),
    })
    expect(errorCode(() => decodeUdpResponse(many, { family: 4, maxPeers: 10 }))).toBe('TRACKER_TOO_LARGE')
  })

  it('random packets give a response or a WireError', () => {
    fc.assert(
      fc.property(garbage, fc.constantFrom(4 as const, 6 as const), (bytes, family) =>
        valueOrWireError(() => decodeUdpResponse(bytes, { family })),
      ),
      { numRuns: 2000 },
    )
  })
})
