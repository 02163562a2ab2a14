import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type AnnounceRequest,
  decodeAnnounceResponse,
  decodeBencode,
  decodeScrapeResponse,
  encodeAnnounceResponse,
  encodeBencode,
  encodeScrapeResponse,
  encodeTrackerFailure,
  formatAnnounceQuery,
  formatScrapeQuery,
  fromHex,
  parseAnnounceQuery,
  parseScrapeQuery,
  parseTrackerQuery,
  percentEncodeBytes,
  TRACKER_LIMITS,
  toHex,
} from '../src/index.js'
import {
  decodeTrackerPeers as decodeCompactPeers,
  encodeTrackerPeers as encodeCompactPeers,
} from '../src/tracker/compact.js'
import { errorCode, expectWireError } from './helpers.js'
import {
  bytes20,
  counter,
  garbage,
  httpAnnounce,
  mutated,
  peer4,
  peer6,
  scrapeFile,
  valueOrWireError,
} from './tracker-arbitraries.js'

const ascii = (text: string) => new TextEncoder().encode(text)
const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes)

const INFOHASH = fromHex('123456789abcdef123456789abcdef123456789a') as Uint8Array
const PEER_ID = ascii('-AR1360-abcdefghijkl')
/** What aria2 1.36 sends (its order, its escaping), with a leading `+` kept raw the way a lax client would. */
const ARIA2_QUERY =
  'info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A&peer_id=-AR1360-abcdefghijkl&uploaded=0&downloaded=0&left=1048576&compact=1&key=a1b2c3d4&event=started&numwant=50&supportcrypto=1&port=6881'

/** A v3 onion host (56 base32 characters, the last `d`). */
const ONION = `${'a'.repeat(55)}d.onion`

describe('HTTP announce query', () => {
  it('reads a stock client announce', () => {
    const request = parseAnnounceQuery(ARIA2_QUERY)
    expect(request).toEqual({
      infohash: INFOHASH,
      peerId: PEER_ID,
      port: 6881,
      uploaded: 0,
      downloaded: 0,
      left: 1048576,
      event: 'started',
      numwant: 50,
      key: ascii('a1b2c3d4'),
      compact: true,
    })
  })

  it('reads a 32-byte v2 infohash as its first 20 bytes (BEP 52)', () => {
    const v2 = new Uint8Array(32).map((_, i) => i + 1)
    const query = `info_hash=${percentEncodeBytes(v2)}&peer_id=${percentEncodeBytes(PEER_ID)}&port=1`
    expect(parseAnnounceQuery(query).infohash).toEqual(v2.subarray(0, 20))
    expect(parseScrapeQuery(`info_hash=${percentEncodeBytes(v2)}`)).toEqual([v2.subarray(0, 20)])
  })

  it('reads lenient forms: raw bytes, lower-case escapes, empty and unknown parameters, huge and negative counters', () => {
    const query = `info_hash=${latin1(INFOHASH)}&&peer_id=${[...PEER_ID].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}&port=1&left=-1&uploaded=99999999999999999999&numwant=-1&event=&x=y&flag`
    expect(parseAnnounceQuery(query)).toEqual({
      infohash: INFOHASH,
      peerId: PEER_ID,
      port: 1,
      uploaded: Number.MAX_SAFE_INTEGER,
      downloaded: 0,
    })
    // `+` is the byte 0x2b, not a space
    const plus = parseAnnounceQuery(`info_hash=${'+'.repeat(20)}&peer_id=${percentEncodeBytes(PEER_ID)}&port=1`)
    expect(plus.infohash).toEqual(new Uint8Array(20).fill(0x2b))
    // an `ip` that is not a literal (a host name) is left out
    expect(parseAnnounceQuery(`${ARIA2_QUERY}&ip=tracker.example`).ip).toBeUndefined()
    expect(parseAnnounceQuery(`${ARIA2_QUERY}&ip=10.1.2.3`).ip).toBe('10.1.2.3')
    // a v3 onion host is kept (lower-cased): a node behind Tor announces its onion service so
    expect(parseAnnounceQuery(`${ARIA2_QUERY}&ip=${ONION.toUpperCase()}`).ip).toBe(ONION)
    expect(parseAnnounceQuery(`${ARIA2_QUERY}&ip=${ONION.slice(1)}`).ip).toBeUndefined() // 55 characters
    expect(parseAnnounceQuery(`${ARIA2_QUERY}&ip=peer.onion`).ip).toBeUndefined()
  })

  it('refuses missing and wrong fields with a code', () => {
    const peer = `peer_id=${percentEncodeBytes(PEER_ID)}`
    const hash = `info_hash=${percentEncodeBytes(INFOHASH)}`
    const cases: Array<[string, string]> = [
      [`${peer}&port=1`, 'TRACKER_INVALID_FIELD'],
      [`info_hash=abc&${peer}&port=1`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&port=1`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&peer_id=short&port=1`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&${peer}`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&${peer}&port=65536`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&${peer}&port=-1`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&${peer}&port=0x10`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&${peer}&port=1&uploaded=-5`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&${peer}&port=1&left=1e9`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&${peer}&port=1&event=finished`, 'TRACKER_INVALID_FIELD'],
      [`${hash}&${hash}&${peer}&port=1`, 'TRACKER_MALFORMED'],
      [`${hash}&${peer}&port=1&port=2`, 'TRACKER_MALFORMED'],
      [`${hash}&${peer}&port=1&key=%zz`, 'TRACKER_MALFORMED'],
      [`${hash}&${peer}&port=1&key=%4`, 'TRACKER_MALFORMED'],
      [`${hash}&${peer}&port=1&key=\u0100`, 'TRACKER_MALFORMED'],
      [`${hash}&${peer}&port=1&key=${'k'.repeat(TRACKER_LIMITS.maxFieldBytes + 1)}`, 'TRACKER_TOO_LARGE'],
      [`${hash}&${peer}&port=1&x=${'y'.repeat(TRACKER_LIMITS.maxQueryLength)}`, 'TRACKER_TOO_LARGE'],
      [`${hash}&${peer}&port=1${'&a'.repeat(TRACKER_LIMITS.maxQueryParameters)}`, 'TRACKER_TOO_LARGE'],
    ]
    for (const [query, code] of cases)
      expect(
        errorCode(() => parseAnnounceQuery(query)),
        query.slice(0, 80),
      ).toBe(code)
  })

  it('format -> parse round-trips', () => {
    fc.assert(
      fc.property(httpAnnounce, (request) => {
        const { compact, ...rest } = request
        const expected: AnnounceRequest = { ...rest, compact: compact !== false }
        expect(parseAnnounceQuery(formatAnnounceQuery(request))).toEqual(expected)
      }),
      { numRuns: 1000 },
    )
  })

  it('the query parser gives back the bytes of any percent-encoded values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[a-z_]{1,12}$/), fc.uint8Array({ maxLength: 40 })), { maxLength: 20 }),
        (pairs) => {
          const query = pairs.map(([name, value]) => `${name}=${percentEncodeBytes(value)}`).join('&')
          const parsed = parseTrackerQuery(query)
          for (const [name, value] of pairs) expect(parsed.get(name)).toContainEqual(value)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('scrape queries: many infohashes, duplicates dropped, at most the limit', () => {
    fc.assert(
      fc.property(fc.array(bytes20, { minLength: 1, maxLength: TRACKER_LIMITS.maxScrapeInfohashes }), (infohashes) => {
        const parsed = parseScrapeQuery(formatScrapeQuery(infohashes))
        const unique = [...new Map(infohashes.map((h) => [toHex(h), h])).values()]
        expect(parsed).toEqual(unique)
      }),
      { numRuns: 300 },
    )
    expect(parseScrapeQuery('')).toEqual([])
    const many = Array.from({ length: TRACKER_LIMITS.maxScrapeInfohashes + 1 }, (_, i) => {
      const hash = new Uint8Array(20)
      hash[0] = i
      return `info_hash=${percentEncodeBytes(hash)}`
    }).join('&')
    expectWireError(() => parseScrapeQuery(many), 'TRACKER_TOO_LARGE')
    expectWireError(() => parseScrapeQuery('info_hash=short'), 'TRACKER_INVALID_FIELD')
    expect(() => formatScrapeQuery([new Uint8Array(19)])).toThrow(RangeError)
  })

  it('random text gives an announce, a scrape, parameters or a WireError', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      httpAnnounce
        .map(formatAnnounceQuery)
        .chain((query) =>
          fc
            .tuple(fc.nat({ max: query.length }), fc.string({ maxLength: 5 }))
            .map(([at, insert]) => query.slice(0, at) + insert + query.slice(at + 1)),
        ),
    )
    fc.assert(
      fc.property(text, (query) => {
        valueOrWireError(() => {
          for (const infohash of parseScrapeQuery(query)) expect(infohash).toHaveLength(20)
        })
        valueOrWireError(() => {
          for (const values of parseTrackerQuery(query).values()) expect(values.length).toBeGreaterThan(0)
        })
        valueOrWireError(() => {
          const request = parseAnnounceQuery(query)
          expect(request.infohash).toHaveLength(20)
          expect(request.peerId).toHaveLength(20)
        })
      }),
      { numRuns: 1000 },
    )
  })
})

const announceFields = fc.record({
  interval: fc.nat({ max: 86400 }),
  minInterval: fc.option(fc.nat({ max: 86400 }), { nil: undefined }),
  complete: fc.option(counter, { nil: undefined }),
  incomplete: fc.option(counter, { nil: undefined }),
  downloaded: fc.option(counter, { nil: undefined }),
  peers: fc.array(peer4, { maxLength: 50 }),
  peers6: fc.array(peer6, { maxLength: 20 }),
  trackerId: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: undefined }),
  warning: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  externalIp: fc.option(
    fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
    { nil: undefined },
  ),
})

describe('HTTP announce response', () => {
  it('writes the same bytes as the generic bencode encoder, and reads back what it wrote', () => {
    fc.assert(
      fc.property(announceFields, (fields) => {
        const peers = encodeCompactPeers(fields.peers, 4)
        const peers6 = encodeCompactPeers(fields.peers6, 6)
        const bytes = encodeAnnounceResponse({ ...fields, peers, peers6 })
        expect(bytes).toEqual(
          encodeBencode({
            complete: fields.complete,
            downloaded: fields.downloaded,
            'external ip': fields.externalIp,
            incomplete: fields.incomplete,
            interval: fields.interval,
            'min interval': fields.minInterval,
            peers,
            peers6: peers6.length > 0 ? peers6 : undefined,
            'tracker id': fields.trackerId,
            'warning message': fields.warning,
          }),
        )
        const reply = decodeAnnounceResponse(bytes)
        expect(reply.kind).toBe('announce')
        if (reply.kind !== 'announce') return
        expect(reply.peers).toEqual([...decodeCompactPeers(peers, 4), ...decodeCompactPeers(peers6, 6)])
        expect(reply.interval).toBe(fields.interval)
        expect(reply.minInterval).toBe(fields.minInterval)
        expect(reply.complete).toBe(fields.complete)
        expect(reply.incomplete).toBe(fields.incomplete)
        expect(reply.trackerId).toEqual(fields.trackerId)
        expect(reply.warning).toBe(fields.warning?.replace(/\p{Surrogate}/gu, '\ufffd'))
      }),
      { numRuns: 500 },
    )
  })

  it('writes peers as a BEP 3 list of dictionaries when asked, onion hosts included, and reads them back', () => {
    const peerList = [
      { host: '10.0.0.1', port: 6881 },
      { host: ONION, port: 7000 },
      { host: '2001:db8::1', port: 1 },
    ]
    const body = encodeAnnounceResponse({ interval: 900, peers: new Uint8Array(0), peerList })
    expect(new TextDecoder().decode(body)).toBe(
      `d8:intervali900e5:peersld2:ip8:10.0.0.14:porti6881eed2:ip62:${ONION}4:porti7000eed2:ip11:2001:db8::14:porti1eeee`,
    )
    expect(decodeAnnounceResponse(body)).toEqual({ kind: 'announce', interval: 900, peers: peerList })
    expect(() =>
      encodeAnnounceResponse({ interval: 1, peers: new Uint8Array(0), peerList: [{ host: 'a.example', port: 1 }] }),
    ).toThrow(RangeError)
    expect(() =>
      encodeAnnounceResponse({ interval: 1, peers: new Uint8Array(0), peerList: [{ host: ONION, port: 0 }] }),
    ).toThrow(RangeError)
  })

  it('reads BEP 3 lists of dictionaries, leaving out entries without an address literal and a port', () => {
    const body = encodeBencode({
      interval: 900,
      peers: [
        { ip: '10.0.0.1', port: 6881, 'peer id': PEER_ID },
        { ip: 'peer.example', port: 6881 },
        { ip: 'peer.onion', port: 6881 },
        { ip: '2001:db8::1', port: 1 },
        { ip: '10.0.0.2', port: 0 },
        { port: 5 },
        'not a dictionary',
      ],
    })
    expect(decodeAnnounceResponse(body)).toEqual({
      kind: 'announce',
      interval: 900,
      peers: [
        { host: '10.0.0.1', port: 6881, peerId: PEER_ID },
        { host: '2001:db8::1', port: 1 },
      ],
    })
  })

  it('reads failures, with BEP 31 retry in; texts are cut to the limit', () => {
    expect(toHex(encodeTrackerFailure('unregistered torrent'))).toBe(
      toHex(ascii('d14:failure reason20:unregistered torrente')),
    )
    expect(decodeAnnounceResponse(encodeTrackerFailure('no', { retryIn: 'never' }))).toEqual({
      kind: 'failure',
      reason: 'no',
      retryIn: 'never',
    })
    expect(decodeScrapeResponse(encodeTrackerFailure('slow down', { retryIn: 5 }))).toEqual({
      kind: 'failure',
      reason: 'slow down',
      retryIn: 5,
    })
    const long = decodeAnnounceResponse(encodeTrackerFailure('x'.repeat(5000)))
    expect(long).toEqual({ kind: 'failure', reason: 'x'.repeat(TRACKER_LIMITS.maxMessageLength) })
  })

  it('refuses bodies that are not an announce, and lists over the limits', () => {
    const peers = (count: number) => new Uint8Array(count * 6)
    const cases: Array<[Uint8Array, string]> = [
      [ascii('<html>not found</html>'), 'BENCODE_UNEXPECTED_BYTE'],
      [ascii('le'), 'TRACKER_MALFORMED'],
      [ascii('d5:peers0:e'), 'TRACKER_INVALID_FIELD'],
      [encodeBencode({ interval: -1, peers: peers(0) }), 'TRACKER_INVALID_FIELD'],
      [encodeBencode({ interval: 1, peers: new Uint8Array(7) }), 'TRACKER_MALFORMED'],
      [encodeBencode({ interval: 1, peers: peers(0), peers6: new Uint8Array(6) }), 'TRACKER_MALFORMED'],
      [encodeBencode({ interval: 1, peers: 5 }), 'TRACKER_INVALID_FIELD'],
      [encodeBencode({ interval: 1, peers: peers(TRACKER_LIMITS.maxPeers + 1) }), 'TRACKER_TOO_LARGE'],
      [
        encodeBencode({ interval: 1, peers: peers(TRACKER_LIMITS.maxPeers), peers6: new Uint8Array(18) }),
        'TRACKER_TOO_LARGE',
      ],
      [encodeBencode({ interval: 1, 'tracker id': 'x'.repeat(500) }), 'TRACKER_TOO_LARGE'],
      [encodeBencode({ interval: 1, complete: 'many' }), 'TRACKER_INVALID_FIELD'],
      [new Uint8Array(TRACKER_LIMITS.maxResponseBytes + 1), 'TRACKER_TOO_LARGE'],
    ]
    for (const [bytes, code] of cases)
      expect(
        errorCode(() => decodeAnnounceResponse(bytes)),
        latin1(bytes.subarray(0, 40)),
      ).toBe(code)
    expect(decodeAnnounceResponse(encodeBencode({ interval: 1, peers: peers(10) }), { maxPeers: 10 })).toMatchObject({
      kind: 'announce',
    })
  })

  it('random and mutated bodies give a reply or a WireError', () => {
    const valid = announceFields.map((fields) =>
      encodeAnnounceResponse({
        ...fields,
        peers: encodeCompactPeers(fields.peers, 4),
        peers6: encodeCompactPeers(fields.peers6, 6),
      }),
    )
    fc.assert(
      fc.property(fc.oneof(garbage, mutated(valid)), (bytes) => valueOrWireError(() => decodeAnnounceResponse(bytes))),
      { numRuns: 2000 },
    )
  })
})

describe('HTTP scrape response', () => {
  it('round-trips, files in byte order of their infohashes, with flags', () => {
    fc.assert(
      fc.property(
        fc.array(scrapeFile, { maxLength: 20 }),
        fc.option(fc.nat({ max: 3600 }), { nil: undefined }),
        (files, minRequestInterval) => {
          const bytes = encodeScrapeResponse(files, minRequestInterval === undefined ? {} : { minRequestInterval })
          const firstOfEach = new Map<string, (typeof files)[number]>()
          for (const file of files)
            if (!firstOfEach.has(toHex(file.infohash))) firstOfEach.set(toHex(file.infohash), file)
          const inKeyOrder = [...firstOfEach].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, file]) => file)
          expect(decodeScrapeResponse(bytes)).toEqual({
            kind: 'scrape',
            files: inKeyOrder,
            ...(minRequestInterval !== undefined ? { minRequestInterval } : {}),
          })
        },
      ),
      { numRuns: 300 },
    )
    // the first of two entries for the same infohash wins
    const hash = new Uint8Array(20)
    const twice = encodeScrapeResponse([
      { infohash: hash, complete: 1, incomplete: 2, downloaded: 3 },
      { infohash: hash, complete: 9, incomplete: 9, downloaded: 9 },
    ])
    expect(decodeScrapeResponse(twice)).toEqual({
      kind: 'scrape',
      files: [{ infohash: hash, complete: 1, incomplete: 2, downloaded: 3 }],
    })
  })

  it('refuses wrong keys and counts', () => {
    const fileKey = (key: string, value: unknown) => encodeBencode({ files: new Map([[key, value as never]]) })
    const cases: Array<[Uint8Array, string]> = [
      [fileKey('short', { complete: 1 }), 'TRACKER_INVALID_FIELD'],
      [fileKey('a'.repeat(20), 5), 'TRACKER_INVALID_FIELD'],
      [fileKey('a'.repeat(20), { complete: -1 }), 'TRACKER_INVALID_FIELD'],
      [encodeBencode({ files: 'x' }), 'TRACKER_INVALID_FIELD'],
      [ascii('i1e'), 'TRACKER_MALFORMED'],
      [ascii('d5:filesd'), 'BENCODE_TRUNCATED'],
    ]
    for (const [bytes, code] of cases)
      expect(
        errorCode(() => decodeScrapeResponse(bytes)),
        latin1(bytes),
      ).toBe(code)
    expect(decodeBencode(encodeScrapeResponse([]))).toEqual({ files: {} })
  })

  it('random and mutated bodies give a reply or a WireError', () => {
    const valid = fc.array(scrapeFile, { maxLength: 5 }).map((files) => encodeScrapeResponse(files))
    fc.assert(
      fc.property(fc.oneof(garbage, mutated(valid)), (bytes) => valueOrWireError(() => decodeScrapeResponse(bytes))),
      { numRuns: 2000 },
    )
  })
})
