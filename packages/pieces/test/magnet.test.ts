import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { discoveryKey, formatMagnet, MAGNET_LIMITS, PiecesError, parseMagnet } from '../src/index.js'
import { expectPiecesError, fromHex, hex, providers } from './helpers.js'

const infohash = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f')
const hexInfohash = hex(infohash) as string

/** The PiecesError `parse` throws, checked to carry `code`. */
function refusal(parse: () => unknown, code: string): PiecesError {
  try {
    parse()
  } catch (error) {
    expect(error).toBeInstanceOf(PiecesError)
    expect((error as PiecesError).code).toBe(code)
    return error as PiecesError
  }
  throw new Error('expected a PiecesError')
}

describe('magnet links', () => {
  it('formats the BEP 9 / BEP 52 form', () => {
    expect(formatMagnet({ infohash })).toBe(`magnet:?xt=urn:btmh:1220${hexInfohash}`)
    expect(formatMagnet({ infohash, name: 'my photos & more', peers: ['[::1]:4001', 'Example.org:80'] })).toBe(
      `magnet:?xt=urn:btmh:1220${hexInfohash}&dn=my+photos+%26+more&x.pe=%5B%3A%3A1%5D%3A4001&x.pe=example.org%3A80`,
    )
  })

  it('parses what other tools write, ignoring other xt values and unknown parameters', () => {
    const link =
      `magnet:?xt=urn:btih:${'ab'.repeat(20)}&xt=urn:btmh:1220${hexInfohash.toUpperCase()}` +
      `&dn=caf%C3%A9%20au%20lait&tr=udp%3A%2F%2Ftracker.example%3A1337&x.pe=10.0.0.1:6881&x.pe=[2001:db8::1]:51413` +
      `&x.pe=[::ffff:192.0.2.1]:1&x.pe=10.0.0.1:6881`
    expect(parseMagnet(link)).toEqual({
      infohash,
      name: 'café au lait',
      peers: ['10.0.0.1:6881', '[2001:db8::1]:51413', '[::ffff:192.0.2.1]:1'],
      trackers: ['udp://tracker.example:1337'],
    })
    expect(parseMagnet(`  ${hexInfohash}\n`)).toEqual({ infohash, peers: [], trackers: [] })
    expect(parseMagnet(`MAGNET:?xt=urn:btmh:1220${hexInfohash}`).infohash).toEqual(infohash)
  })

  it('round-trips any infohash, name and valid peers', () => {
    const peer = fc.oneof(
      fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `${ip}:${port}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `[${ip}]:${port}`),
      fc.tuple(fc.domain(), fc.integer({ min: 1, max: 65535 })).map(([host, port]) => `${host}:${port}`),
    )
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
        fc.uniqueArray(peer, { maxLength: 5, selector: (p) => p.toLowerCase() }),
        fc.uniqueArray(
          fc.oneof(
            fc.webUrl(),
            fc.tuple(fc.domain(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `udp://${h}:${p}/announce`),
          ),
          { maxLength: 4 },
        ),
        (hash, name, peers, trackers) => {
          const link = parseMagnet(formatMagnet({ infohash: hash, name, peers, trackers }))
          expect(link.infohash).toEqual(hash)
          expect(link.name).toBe(name)
          expect(link.peers.length).toBe(peers.length)
          expect(link.trackers).toEqual(trackers)
          expect(parseMagnet(formatMagnet(link))).toEqual(link)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('keeps tr trackers as given, in order, without duplicates, within the limits', () => {
    const xt = `xt=urn:btmh:1220${hexInfohash}`
    const tr = (url: string) => `tr=${encodeURIComponent(url)}`
    const link = `magnet:?${xt}&${tr('http://a.example/announce?passkey=x&y=1')}&${tr(' udp://b.example:1 ')}&tr=&${tr('http://a.example/announce?passkey=x&y=1')}&${tr('wss://c.example')}`
    expect(parseMagnet(link).trackers).toEqual([
      'http://a.example/announce?passkey=x&y=1',
      'udp://b.example:1',
      'wss://c.example',
    ])
    const long = `http://a.example/${'x'.repeat(MAGNET_LIMITS.maxTrackerLength)}`
    expect(parseMagnet(`magnet:?${xt}&${tr(long)}`).trackers).toEqual([])
    const many = Array.from({ length: MAGNET_LIMITS.maxTrackers + 5 }, (_, i) => tr(`udp://t${i}.example:1`))
    const kept = parseMagnet(`magnet:?${xt}&${many.join('&')}`).trackers
    expect(kept).toHaveLength(MAGNET_LIMITS.maxTrackers)
    expect(kept[0]).toBe('udp://t0.example:1')
    expect(() => formatMagnet({ infohash, trackers: [''] })).toThrow(TypeError)
  })

  it('refuses links that are not mycel magnet links', () => {
    const xt = `xt=urn:btmh:1220${hexInfohash}`
    for (const bad of [
      '',
      'http://example.org',
      hexInfohash.slice(1),
      `${hexInfohash}00`,
      'magnet:?dn=x',
      'magnet:?xt=urn:btih:not-an-infohash',
      `magnet:?xt=urn:btmh:1114${hexInfohash}`,
      `magnet:?xt=urn:btmh:1220${hexInfohash.slice(2)}`,
      `magnet:?${xt}&${xt}`,
      `magnet:?${xt}&dn=a&dn=b`,
      `magnet:?${xt}&dn=${'n'.repeat(MAGNET_LIMITS.maxNameLength + 1)}`,
      `magnet:?${xt}&x.pe=host`,
      `magnet:?${xt}&x.pe=host:0`,
      `magnet:?${xt}&x.pe=host:65536`,
      `magnet:?${xt}&x.pe=host:080`,
      `magnet:?${xt}&x.pe=::1:80`,
      `magnet:?${xt}&x.pe=[::g]:80`,
      `magnet:?${xt}&x.pe=[1:2:3:4:5:6:7:8:9]:80`,
      `magnet:?${xt}&x.pe=-bad-.org:80`,
      `magnet:?${xt}&x.pe=a b:80`,
      `magnet:?${xt}${'&x.pe=1.2.3.4:'.repeat(1)}`,
      `magnet:?${xt}&${Array.from({ length: MAGNET_LIMITS.maxPeers + 1 }, (_, i) => `x.pe=10.0.0.${i}:1`).join('&')}`,
      `magnet:?${xt}&x=${'y'.repeat(MAGNET_LIMITS.maxLength)}`,
    ]) {
      expectPiecesError(() => parseMagnet(bad), 'MAGNET_MALFORMED')
    }
    expect(() => parseMagnet(5 as unknown as string)).toThrow(TypeError)
  })

  it('says that a BitTorrent v1 infohash or v1-only magnet link cannot be fetched, and why', () => {
    const v1 = 'c9e15763f722f23e98a29decdfae341b98d53056'
    for (const link of [
      v1,
      ` ${v1.toUpperCase()} `,
      `magnet:?xt=urn:btih:${v1}&dn=ubuntu.iso&tr=udp%3A%2F%2Ftracker.example%3A1337`,
      'magnet:?xt=urn:btih:ZHQVOY7XELZD5GFCTXW57LRUDOMNKMCW', // base32 form
      `magnet:?xt.1=urn:btih:${v1}`,
    ]) {
      const error = refusal(() => parseMagnet(link), 'MAGNET_V1_ONLY')
      expect(error.message).toMatch(/BitTorrent v1 only/)
      expect(error.message).toMatch(/SHA-256/)
      expect(error.message).toMatch(/SHA-1 of a different dictionary/)
      expect(error.message).toMatch(/urn:btmh:1220.*64 hex.*\.torrent file of a v2 or hybrid torrent/)
    }
    // not a magnet link at all: says what is accepted, not "does not start with magnet:?"
    expect(refusal(() => parseMagnet('hello'), 'MAGNET_MALFORMED').message).toMatch(
      /neither a magnet link \(magnet:\?xt=urn:btmh:1220\.\.\.\) nor an infohash of 64 hex digits/,
    )
  })

  it('reads the v2 infohash of a hybrid magnet link, whatever the order of its topics', () => {
    const v1 = 'c9e15763f722f23e98a29decdfae341b98d53056'
    for (const link of [
      `magnet:?xt=urn:btih:${v1}&xt=urn:btmh:1220${hexInfohash}&dn=hybrid`,
      `magnet:?xt=urn:btmh:1220${hexInfohash}&xt=urn:btih:${v1}&dn=hybrid`,
      `magnet:?xt.1=urn:btih:${v1}&xt.2=urn:btmh:1220${hexInfohash}&dn=hybrid`,
    ]) {
      expect(parseMagnet(link)).toEqual({ infohash, name: 'hybrid', peers: [], trackers: [] })
    }
    expect(() => formatMagnet({ infohash: new Uint8Array(20) })).toThrow(RangeError)
    expect(() => formatMagnet({ infohash, peers: ['nope'] })).toThrow(TypeError)
  })
})

describe.each(providers)('discoveryKey with $name', (hash) => {
  it('is the first 20 bytes of SHA-256("mycel/1 discovery" || infohash) (values from Python hashlib)', () => {
    expect(hex(discoveryKey(infohash, { hash }))).toBe('02afafeb0539009ca564fb04e104f87c2e615e94')
    expect(hex(discoveryKey(new Uint8Array(32).fill(0xff), { hash }))).toBe('6d44a7c1c6f72af21b5e29f9de21572f8f32c251')
    expect(() => discoveryKey(new Uint8Array(20), { hash })).toThrow(RangeError)
  })
})
