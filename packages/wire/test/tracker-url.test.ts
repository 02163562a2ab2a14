import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  announceRequestUrl,
  formatIp,
  parseAnnounceQuery,
  parseScrapeQuery,
  parseTrackerQuery,
  parseTrackerUrl,
  scrapeRequestUrl,
  scrapeUrlOf,
  TRACKER_LIMITS,
} from '../src/index.js'
import { expectWireError } from './helpers.js'
import { bytes20, httpAnnounce, ipv4Bytes, ipv6Bytes, valueOrWireError } from './tracker-arbitraries.js'

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
const hostName = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => `${labels.join('.')}.example`)
/** A host as it goes in a URL, and as parseTrackerUrl gives it back. */
const host = fc.oneof(
  hostName.map((name) => ({ inUrl: name, parsed: name })),
  ipv4Bytes.map((bytes) => ({ inUrl: formatIp(bytes), parsed: formatIp(bytes) })),
  ipv6Bytes
    .filter((bytes) => !(bytes[10] === 0xff && bytes[11] === 0xff && bytes.slice(0, 10).every((b) => b === 0)))
    .map((bytes) => ({ inUrl: `[${formatIp(bytes)}]`, parsed: formatIp(bytes) })),
)
/** A path segment (not `.` or `..`, which URLs resolve away). */
const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/).filter((s) => s !== '.' && s !== '..')
const path = fc.array(segment, { maxLength: 4 }).map((segments) => segments.map((s) => `/${s}`).join(''))
const query = fc.option(
  fc
    .array(fc.tuple(segment, segment), { minLength: 1, maxLength: 3 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  { nil: undefined },
)

describe('tracker URLs', () => {
  it('reads http, https and udp URLs: host, port (80 and 443 by default), path and query', () => {
    expect(parseTrackerUrl('udp://tracker.example:6969/announce')).toEqual({
      url: 'udp://tracker.example:6969/announce',
      protocol: 'udp',
      host: 'tracker.example',
      port: 6969,
      pathAndQuery: '/announce',
    })
    expect(parseTrackerUrl('http://192.0.2.7/announce.php?passkey=ab%20c#frag')).toEqual({
      url: 'http://192.0.2.7/announce.php?passkey=ab%20c',
      protocol: 'http',
      host: '192.0.2.7',
      port: 80,
      pathAndQuery: '/announce.php?passkey=ab%20c',
    })
    expect(parseTrackerUrl('HTTPS://[2001:DB8::1]/a')).toMatchObject({
      protocol: 'https',
      host: '2001:db8::1',
      port: 443,
    })
    expect(parseTrackerUrl('udp://127.0.0.1:1')).toMatchObject({ pathAndQuery: '', port: 1 })
  })

  it('refuses what a client cannot announce to, with TRACKER_URL_INVALID', () => {
    for (const bad of [
      '',
      'tracker.example/announce',
      'wss://tracker.example/announce',
      'ftp://tracker.example/announce',
      'udp://tracker.example/announce',
      'http://user:secret@tracker.example/announce',
      'http://:80/announce',
      'udp://127.0.0.1:0',
      `http://tracker.example/${'a'.repeat(TRACKER_LIMITS.maxUrlLength)}`,
      `udp://tracker.example:1/${'a'.repeat(TRACKER_LIMITS.maxUrlDataBytes)}`,
    ]) {
      expectWireError(() => parseTrackerUrl(bad), 'TRACKER_URL_INVALID')
    }
    expect(() => parseTrackerUrl(7 as unknown as string)).toThrow(TypeError)
  })

  it('gives back the host, port and path of any URL made of them', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http', 'https', 'udp'),
        host,
        fc.integer({ min: 1, max: 65535 }),
        path,
        query,
        (protocol, { inUrl, parsed }, port, pathText, queryText) => {
          const search = queryText === undefined ? '' : `?${queryText}`
          const url = parseTrackerUrl(`${protocol}://${inUrl}:${port}${pathText}${search}`)
          expect(url.protocol).toBe(protocol)
          expect(url.host).toBe(parsed)
          const defaultPort = (protocol === 'http' && port === 80) || (protocol === 'https' && port === 443)
          expect(url.port).toBe(port)
          expect(url.url.includes(`:${port}`)).toBe(!defaultPort)
          // A udp: URL keeps an empty path empty; http(s) URLs have at least `/`.
          const shownPath = protocol === 'udp' ? pathText : pathText || '/'
          expect(url.pathAndQuery).toBe(pathText === '' && search === '' ? '' : `${shownPath}${search}`)
        },
      ),
    )
  })

  it('random text gives a tracker URL or a WireError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc
            .tuple(fc.constantFrom('http://', 'https://', 'udp://', 'wss://', ''), fc.string({ maxLength: 100 }))
            .map(([scheme, rest]) => scheme + rest),
        ),
        (text) => valueOrWireError(() => parseTrackerUrl(text)),
      ),
    )
  })
})

describe('announce and scrape request URLs', () => {
  it('appends the announce to the tracker URL, keeping its own query (a passkey)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http://t.example/announce', 'http://t.example/announce?passkey=a1', 'http://t.example/a?x=1&'),
        httpAnnounce,
        (base, request) => {
          const url = announceRequestUrl(base, request)
          expect(url.startsWith(base)).toBe(true)
          const text = url.slice(url.indexOf('?') + 1)
          const parsed = parseAnnounceQuery(text)
          expect(parsed.infohash).toEqual(request.infohash)
          expect(parsed.peerId).toEqual(request.peerId)
          expect(parsed.port).toBe(request.port)
          expect(parsed.event).toBe(request.event)
          expect(parsed.left).toBe(request.left)
          if (base.includes('passkey')) expect(parseTrackerQuery(text).get('passkey')).toHaveLength(1)
        },
      ),
    )
  })

  it('derives the scrape URL as BEP 48 says, or none', () => {
    expect(scrapeUrlOf('http://example.com/announce')).toBe('http://example.com/scrape')
    expect(scrapeUrlOf('http://example.com/x/announce')).toBe('http://example.com/x/scrape')
    expect(scrapeUrlOf('http://example.com/announce.php')).toBe('http://example.com/scrape.php')
    expect(scrapeUrlOf('http://example.com/a')).toBeUndefined()
    expect(scrapeUrlOf('http://example.com/announce?x2%0644')).toBe('http://example.com/scrape?x2%0644')
    expect(scrapeUrlOf('http://example.com/announce?x=2/4')).toBe('http://example.com/scrape?x=2/4')
    expect(scrapeUrlOf('http://example.com/x%064announce')).toBeUndefined()
    expect(scrapeUrlOf('http://announce')).toBeUndefined()
    expect(scrapeUrlOf('http://example.com/announce/x')).toBeUndefined()
  })

  it('a scrape URL exists exactly when the last path segment starts with announce, and keeps the rest', () => {
    fc.assert(
      fc.property(hostName, path, segment, query, (name, dir, last, queryText) => {
        const search = queryText === undefined ? '' : `?${queryText}`
        const url = `http://${name}${dir}/${last}${search}`
        const scrape = scrapeUrlOf(url)
        if (last.startsWith('announce')) {
          expect(scrape).toBe(`http://${name}${dir}/scrape${last.slice('announce'.length)}${search}`)
        } else {
          expect(scrape).toBeUndefined()
        }
      }),
    )
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (text) => void scrapeUrlOf(text)))
  })

  it('writes one info_hash per infohash into the scrape URL', () => {
    fc.assert(
      fc.property(fc.array(bytes20, { minLength: 1, maxLength: 10 }), (infohashes) => {
        const url = scrapeRequestUrl('http://t.example/scrape?passkey=z', infohashes)
        const unique = [...new Map(infohashes.map((h) => [h.join(), h])).values()]
        expect(parseScrapeQuery(url.slice(url.indexOf('?') + 1))).toEqual(unique)
      }),
    )
  })
})
