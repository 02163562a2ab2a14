import { connect, type Socket } from 'node:net'
import { encodeTorrent } from '@mycel/pieces'
import { ingestFile } from '@mycel/pieces/node'
import { decodeAnnounceResponse, decodeScrapeResponse, percentEncodeBytes, toHex } from '@mycel/wire'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { AccessRequest } from '../src/core/access.js'
import { keyOf } from '../src/core/registry.js'
import { torrentEntries } from '../src/registration.js'
import { createTracker, type Tracker } from '../src/tracker.js'
import { announceOf, baseOf, get, httpAnnounce, httpAnnounceOk, httpScrape, id20, rawHttp } from './helpers/clients.js'
import { Scratch } from './helpers/scratch.js'

const trackers: Tracker[] = []
const scratch = new Scratch()
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
  await scratch.cleanup()
})

async function start(
  options: Parameters<typeof createTracker>[0] = {},
): Promise<{ tracker: Tracker; base: string; port: number }> {
  const tracker = await createTracker({
    http: [{ host: '127.0.0.1', port: 0 }],
    udp: [],
    rateLimit: false,
    ...options,
  })
  trackers.push(tracker)
  const port = tracker.http[0]?.port as number
  return { tracker, base: baseOf({ port }), port }
}

const local = (port: number) => ({ host: '127.0.0.1', port })

describe('HTTP announce and scrape', () => {
  it('two peers find each other: counts, intervals, compact peers and the external address in the answer', async () => {
    const { base } = await start({ interval: 900, minInterval: 30 })
    const infohash = id20()
    const first = await httpAnnounceOk(base, announceOf(infohash, { port: 7001, event: 'started' }))
    expect(first).toMatchObject({
      interval: 900,
      minInterval: 30,
      complete: 0,
      incomplete: 1,
      peers: [],
      externalIp: '127.0.0.1',
    })
    const second = await httpAnnounceOk(base, announceOf(infohash, { port: 7002, left: 0, event: 'started' }))
    expect(second).toMatchObject({ complete: 1, incomplete: 1, peers: [local(7001)] })
    const again = await httpAnnounceOk(base, announceOf(infohash, { port: 7001 }))
    expect(again.peers).toEqual([local(7002)])
  })

  it('counts a leecher that completes, forgets a stopped peer, and scrapes (BEP 48)', async () => {
    const { base } = await start()
    const infohash = id20()
    const leecher = announceOf(infohash, { port: 7001, event: 'started' })
    await httpAnnounceOk(base, leecher)
    await httpAnnounceOk(base, announceOf(infohash, { port: 7002, left: 0 }))
    await httpAnnounceOk(base, { ...leecher, left: 0, event: 'completed' })
    const unknown = id20()
    expect(await httpScrape(base, [infohash, unknown])).toEqual({
      kind: 'scrape',
      files: [{ infohash, complete: 2, incomplete: 0, downloaded: 1 }],
      minRequestInterval: 60,
    })
    const stopped = await httpAnnounceOk(base, { ...leecher, left: 0, event: 'stopped' })
    expect(stopped).toMatchObject({ complete: 1, incomplete: 0, peers: [] })
    expect(await httpScrape(base, [])).toEqual({
      kind: 'failure',
      reason: expect.stringContaining('scrape without info_hash'),
    })
  })

  it('a full 32-byte v2 infohash announces into the swarm of its first 20 bytes (BEP 52)', async () => {
    const { base, port } = await start()
    const v2 = new Uint8Array(32).map((_, i) => i * 7)
    await httpAnnounceOk(base, announceOf(v2.slice(0, 20), { port: 7001 }))
    const query = `info_hash=${percentEncodeBytes(v2)}&peer_id=${percentEncodeBytes(id20())}&port=7002&left=5&compact=1`
    const reply = await rawHttp(port, [`GET /announce?${query} HTTP/1.1\r\nConnection: close\r\n\r\n`])
    const body = Buffer.from(reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4), 'latin1')
    expect(decodeAnnounceResponse(body)).toMatchObject({ kind: 'announce', incomplete: 2, peers: [local(7001)] })
  })

  it('answers a port-0 announce with peers without listing it', async () => {
    const { base, tracker } = await start()
    const infohash = id20()
    await httpAnnounceOk(base, announceOf(infohash, { port: 7001 }))
    const reply = await httpAnnounceOk(base, announceOf(infohash, { port: 0 }))
    expect(reply.peers).toEqual([local(7001)])
    expect(tracker.stats().peers).toBe(1)
  })

  it('malformed and oversize queries get a bencoded failure reason, and the tracker goes on serving', async () => {
    const { base, tracker } = await start()
    const hash = `info_hash=${percentEncodeBytes(id20())}`
    const peer = `peer_id=${percentEncodeBytes(id20())}`
    const queries = [
      '',
      `${peer}&port=1`,
      `info_hash=short&${peer}&port=1`,
      `${hash}&${peer}&port=99999`,
      `${hash}&${peer}&port=1&event=exploded`,
      `${hash}&${hash}&${peer}&port=1`,
      `${hash}&${peer}&port=1&key=%G0`,
      `${hash}&${peer}&port=1&key=${'k'.repeat(200)}`,
      `${hash}&${peer}&port=1&pad=${'x'.repeat(7000)}`,
      `${hash}&${peer}&port=1${'&a=1'.repeat(200)}`,
      `${hash}&${peer}&port=1&uploaded=-1`,
    ]
    for (const query of queries) {
      const reply = await httpAnnounce(base, announceOf(id20()), `/announce?${query}&`)
      expect(reply.kind, query.slice(0, 60)).toBe('failure')
      if (reply.kind === 'failure') expect(reply.reason).toMatch(/^malformed request: /)
    }
    const scrape = await get(base, '/scrape?info_hash=abc')
    expect(decodeAnnounceResponse(scrape.body)).toMatchObject({ kind: 'failure' })
    expect(tracker.stats().totals.malformed).toBe(queries.length + 1)
    await httpAnnounceOk(base, announceOf(id20()))
  })

  it('refuses what is not a tracker GET and closes the connection: huge or slow heads, other methods, bodies, garbage', async () => {
    const { base, port } = await start({ httpLimits: { headTimeoutMs: 300, maxHeadBytes: 1024 } })
    const huge = await rawHttp(port, [`GET /announce?${'a'.repeat(3000)} HTTP/1.1\r\n\r\n`])
    expect(huge.text).toMatch(/^HTTP\/1\.1 431 /)
    const endless = await rawHttp(port, ['GET /announce HTTP/1.1\r\n', `X-Pad: ${'p'.repeat(2000)}`])
    expect(endless.text).toMatch(/^HTTP\/1\.1 431 /)
    const slow = await rawHttp(port, ['GET /announce HTTP/1.1\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n'], {
      gapMs: 200,
    })
    expect(slow.text).toMatch(/^HTTP\/1\.1 400 /)
    const post = await rawHttp(port, ['POST /announce HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi'])
    expect(post.text).toMatch(/^HTTP\/1\.1 405 /)
    const body = await rawHttp(port, ['GET /announce HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello'])
    expect(body.text).toMatch(/^HTTP\/1\.1 400 /)
    const chunked = await rawHttp(port, ['GET /announce HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'])
    expect(chunked.text).toMatch(/^HTTP\/1\.1 400 /)
    const garbage = await rawHttp(port, [new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xa5, 13, 10, 13, 10])])
    expect(garbage.text).toMatch(/^HTTP\/1\.1 400 /)
    const version = await rawHttp(port, ['GET / HTTP/2.0\r\n\r\n'])
    expect(version.text).toMatch(/^HTTP\/1\.1 400 /)
    for (const reply of [huge, endless, slow, post, body, chunked, garbage, version]) expect(reply.closed).toBe(true)
    expect((await get(base, '/nothing-here')).status).toBe(404)
    await httpAnnounceOk(base, announceOf(id20()))
  })

  it('keeps a connection alive and answers pipelined requests in order; HTTP/1.0 closes unless asked', async () => {
    const { port } = await start()
    const infohash = id20()
    const request = (peerPort: number) =>
      `GET /announce?info_hash=${percentEncodeBytes(infohash)}&peer_id=${percentEncodeBytes(id20())}&port=${peerPort}&left=1 HTTP/1.1\r\nHost: x\r\n\r\n`
    const pipelined = await rawHttp(port, [request(7001) + request(7002) + request(7003)], { timeoutMs: 1000 })
    const answers = pipelined.text.split('HTTP/1.1 200 OK').slice(1)
    expect(answers).toHaveLength(3)
    const incomplete = answers.map((answer) => {
      const body = Buffer.from(answer.slice(answer.indexOf('\r\n\r\n') + 4), 'latin1')
      const reply = decodeAnnounceResponse(body)
      return reply.kind === 'announce' ? reply.incomplete : -1
    })
    expect(incomplete).toEqual([1, 2, 3])
    expect(pipelined.closed).toBe(false)
    const old = await rawHttp(port, ['GET /stats HTTP/1.0\r\n\r\n'], { timeoutMs: 1000 })
    expect(old.closed).toBe(true)
    expect(old.text).toContain('Connection: close')
  })

  it('shows the figures as JSON at /stats and on a status page', async () => {
    const { base } = await start()
    await httpAnnounceOk(base, announceOf(id20(), { port: 7001 }))
    const stats = await get(base, '/stats')
    expect(stats.type).toBe('application/json')
    expect(JSON.parse(Buffer.from(stats.body).toString())).toMatchObject({
      mode: 'open',
      storage: 'sqlite',
      swarms: 1,
      peers: 1,
      leechers: 1,
      seeders: 0,
      totals: { announces_http: 1 },
    })
    const page = await get(base, '/')
    expect(page.type).toContain('text/html')
    expect(Buffer.from(page.body).toString()).toMatch(/<td>1<\/td>/)
  })
})

describe('HTTP hostile bytes', () => {
  it('random and mutated requests get an answer or a closed connection, never a crash', async () => {
    const { base, port } = await start({ httpLimits: { headTimeoutMs: 200 } })
    const valid = `GET /announce?info_hash=${percentEncodeBytes(id20())}&peer_id=${percentEncodeBytes(id20())}&port=1 HTTP/1.1\r\n\r\n`
    const requests = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 600 }),
      fc
        .tuple(fc.nat({ max: valid.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 8 }))
        .map(([at, bytes]) => Buffer.concat([Buffer.from(valid.slice(0, at)), bytes, Buffer.from(valid.slice(at))])),
    )
    await fc.assert(
      fc.asyncProperty(requests, async (bytes) => {
        const reply = await rawHttp(port, [bytes, Buffer.from('\r\n\r\n')], { timeoutMs: 3000 })
        expect(reply.text === '' || /^HTTP\/1\.1 (200|400|404|405|431|505) /.test(reply.text)).toBe(true)
      }),
      { numRuns: 60 },
    )
    await httpAnnounceOk(base, announceOf(id20()))
  }, 60_000)
})

describe('HTTP floods', () => {
  it('an address over its budget gets a failure reason a few times a second, then its connections are closed; others are served', async () => {
    const { base, port, tracker } = await start({ rateLimit: { perSecond: 1, burst: 5, refusalsPerSecond: 2 } })
    const infohash = id20()
    const replies = []
    for (let i = 0; i < 5; i++) replies.push(await httpAnnounce(base, announceOf(infohash, { port: 7000 + i })))
    expect(replies.every((reply) => reply.kind === 'announce')).toBe(true)
    const over = await httpAnnounce(base, announceOf(infohash))
    expect(over).toEqual({ kind: 'failure', reason: expect.stringContaining('slow down') })
    await httpAnnounce(base, announceOf(infohash)).catch(() => undefined)
    const dropped = await rawHttp(port, [`GET /stats HTTP/1.1\r\n\r\n`], { timeoutMs: 2000 })
    expect(dropped.text).toBe('')
    // another address (127.0.0.2 reaches 127.0.0.1 on loopback) has its own budget
    const other = await new Promise<string>((resolve) => {
      const socket: Socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' })
      let text = ''
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1')
      })
      socket.on('close', () => resolve(text))
      socket.on('connect', () => socket.write('GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n'))
    })
    expect(other).toMatch(/^HTTP\/1\.1 200 /)
    expect(tracker.stats().totals.rate_limited).toBeGreaterThanOrEqual(3)
  })

  it('closes connections from one address beyond its connection limit', async () => {
    const { port, base } = await start({ httpLimits: { maxConnectionsPerAddress: 3 } })
    const sockets = await Promise.all(
      Array.from(
        { length: 3 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => resolve(socket))
          }),
      ),
    )
    // the fourth is closed at once, unanswered
    const fourth = await rawHttp(port, ['GET /stats HTTP/1.1\r\n\r\n'], { timeoutMs: 2000 })
    expect(fourth).toEqual({ text: '', closed: true })
    for (const socket of sockets) socket.destroy()
    await expect.poll(async () => (await get(base, '/stats')).status, { timeout: 5000 }).toBe(200)
  })
})

describe('modes', () => {
  it('whitelist: unregistered infohashes are refused; a hybrid torrent registered from its .torrent is one swarm under its v1 and v2 infohashes', async () => {
    const dir = await scratch.dir()
    const file = await scratch.file(dir, 'hybrid.bin', 200_000)
    const torrent = encodeTorrent(await ingestFile(file, { v1: true }), { hybrid: true })
    const { base, tracker } = await start({ mode: 'whitelist' })
    expect(await httpAnnounce(base, announceOf(id20()))).toEqual({ kind: 'failure', reason: 'unregistered torrent' })
    await tracker.register(torrentEntries(torrent.bytes, 0).entries)
    const v1 = torrent.infohashV1 as Uint8Array
    const v2 = torrent.infohash.slice(0, 20)
    await httpAnnounceOk(base, announceOf(v1, { port: 7001 }))
    const fromV2 = await httpAnnounceOk(base, announceOf(v2, { port: 7002, left: 0 }))
    expect(fromV2).toMatchObject({ complete: 1, incomplete: 1, peers: [local(7001)] })
    const scrape = await httpScrape(base, [v1, v2, id20()])
    expect(scrape).toMatchObject({
      kind: 'scrape',
      files: expect.arrayContaining([
        { infohash: v1, complete: 1, incomplete: 1, downloaded: 0 },
        { infohash: v2, complete: 1, incomplete: 1, downloaded: 0 },
      ]),
    })
    expect(tracker.stats()).toMatchObject({ swarms: 1, registered: 3 })
    expect(await tracker.unregister([v2])).toBe(3)
    expect(await httpAnnounce(base, announceOf(v1))).toEqual({ kind: 'failure', reason: 'unregistered torrent' })
  })

  it('private: every request goes to the authorizer, with the passkey from either URL form; its refusal is the failure reason', async () => {
    const seen: AccessRequest[] = []
    const infohash = id20()
    const { base, tracker } = await start({
      mode: 'private',
      authorizer: {
        authorize(request) {
          seen.push(request)
          if (request.passkey === 'good') return { allowed: true }
          if (request.passkey === 'later') return Promise.resolve({ allowed: true })
          if (request.passkey === 'broken') return Promise.reject(new Error('database down'))
          return { allowed: false, reason: 'unknown passkey' }
        },
      },
    })
    await tracker.register([{ infohash, swarm: infohash, torrent: infohash, addedAt: 0 }])
    expect(await httpAnnounce(base, announceOf(infohash), '/announce/bad')).toEqual({
      kind: 'failure',
      reason: 'unknown passkey',
    })
    expect(await httpAnnounce(base, announceOf(infohash))).toEqual({ kind: 'failure', reason: 'unknown passkey' })
    await httpAnnounceOk(base, announceOf(infohash, { port: 7001 }), '/announce/good')
    const later = await httpAnnounceOk(base, announceOf(infohash, { port: 7002 }), '/later/announce')
    expect(later.peers).toEqual([local(7001)])
    expect(await httpAnnounce(base, announceOf(infohash), '/broken/announce')).toEqual({
      kind: 'failure',
      reason: 'access denied',
    })
    expect(await httpAnnounce(base, announceOf(id20()), '/announce/good')).toEqual({
      kind: 'failure',
      reason: 'unregistered torrent',
    })
    expect(seen.map((request) => request.passkey)).toEqual(['bad', undefined, 'good', 'later', 'broken'])
    expect(seen[2]).toMatchObject({ kind: 'announce', transport: 'http', address: { text: '127.0.0.1' } })
    expect(toHex(seen[2]?.infohashes[0] as Uint8Array)).toBe(toHex(infohash))
    expect(keyOf(seen[2]?.announce?.infohash as Uint8Array)).toBe(keyOf(infohash))
    const scrape = await get(base, `/good/scrape?info_hash=${percentEncodeBytes(infohash)}`)
    expect(decodeScrapeResponse(scrape.body)).toMatchObject({ kind: 'scrape', files: [{ complete: 0, incomplete: 2 }] })
  })

  it('refuses private mode without an authorizer', async () => {
    await expect(createTracker({ mode: 'private', http: [], udp: [] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    })
  })
})

describe('compact answers', () => {
  it('carry IPv6 peers in peers6 (BEP 7) beside IPv4 ones', async () => {
    const tracker = await createTracker({ http: [{ host: '::', port: 0 }], udp: [], rateLimit: false })
    trackers.push(tracker)
    const port = tracker.http[0]?.port as number
    const infohash = id20()
    await httpAnnounceOk(`http://[::1]:${port}`, announceOf(infohash, { port: 7006 }))
    const reply = await httpAnnounceOk(`http://127.0.0.1:${port}`, announceOf(infohash, { port: 7004 }))
    expect(reply.peers).toEqual([{ host: '::1', port: 7006 }])
    expect(reply.externalIp).toBe('127.0.0.1')
    const fromV6 = await httpAnnounceOk(`http://[::1]:${port}`, announceOf(infohash, { port: 7008 }))
    expect(fromV6.peers).toEqual(
      expect.arrayContaining([
        { host: '127.0.0.1', port: 7004 },
        { host: '::1', port: 7006 },
      ]),
    )
    expect(fromV6.externalIp).toBe('::1')
  })
})
