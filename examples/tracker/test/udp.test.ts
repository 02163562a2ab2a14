import { createSocket } from 'node:dgram'
import { encodeUdpAnnounceRequest, encodeUdpConnectRequest } from '@mycel/wire'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { AccessRequest } from '../src/core/access.js'
import { createTracker, type Tracker } from '../src/tracker.js'
import { BAD_CONNECTION_ID } from '../src/udp/server.js'
import { announceOf, baseOf, httpAnnounceOk, id20, UdpClient } from './helpers/clients.js'

const trackers: Tracker[] = []
const clients: UdpClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
})

/** A clock the test moves. */
function clock(start = 1_700_000_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

async function start(options: Parameters<typeof createTracker>[0] = {}) {
  const tracker = await createTracker({
    http: [{ host: '127.0.0.1', port: 0 }],
    udp: [{ host: '127.0.0.1', port: 0 }],
    rateLimit: false,
    ...options,
  })
  trackers.push(tracker)
  return tracker
}

function client(tracker: Tracker, host = '127.0.0.1', family: 4 | 6 = 4, index = 0): UdpClient {
  const made = new UdpClient(host, tracker.udp[index]?.port as number, family)
  clients.push(made)
  return made
}

const local = (port: number) => ({ host: '127.0.0.1', port })

describe('UDP tracker (BEP 15)', () => {
  it('connects, announces and scrapes; HTTP and UDP peers share swarms', async () => {
    const tracker = await start({ interval: 600 })
    const infohash = id20()
    const udp = client(tracker)
    const first = await udp.announce(announceOf(infohash, { port: 7001, event: 'started' }))
    expect(first).toMatchObject({ action: 'announce', interval: 600, leechers: 1, seeders: 0, peers: [] })
    await httpAnnounceOk(baseOf(tracker.http[0] as { port: number }), announceOf(infohash, { port: 7002, left: 0 }))
    const second = await udp.announce(announceOf(infohash, { port: 7001 }))
    expect(second).toMatchObject({ leechers: 1, seeders: 1, peers: [local(7002)] })
    const other = id20()
    expect(await udp.scrape([infohash, other])).toMatchObject({
      action: 'scrape',
      files: [
        { complete: 1, incomplete: 1, downloaded: 0 },
        { complete: 0, incomplete: 0, downloaded: 0 },
      ],
    })
    expect(tracker.stats().totals).toMatchObject({ announces_udp: 2, scrapes_udp: 1, connects_udp: 1 })
  })

  it('answers over IPv6 with 18-byte peers, and over IPv4 with 6-byte ones', async () => {
    const tracker = await start({ udp: [{ host: '::', port: 0 }] })
    const infohash = id20()
    const v6 = client(tracker, '::1', 6)
    const v4 = client(tracker, '127.0.0.1', 4)
    await v6.announce(announceOf(infohash, { port: 7006 }))
    await v4.announce(announceOf(infohash, { port: 7004 }))
    expect(await v6.announce(announceOf(infohash, { port: 7016 }))).toMatchObject({
      peers: [{ host: '::1', port: 7006 }],
    })
    expect(await v4.announce(announceOf(infohash, { port: 7014 }))).toMatchObject({ peers: [local(7004)] })
  })

  it('accepts a connection id for 2 minutes, from the address it was given to only', async () => {
    const time = clock()
    const tracker = await start({ now: time.now })
    const infohash = id20()
    const udp = client(tracker)
    const id = await udp.connect()
    time.advance(119_000)
    expect(await udp.announce(announceOf(infohash))).toMatchObject({ action: 'announce' })
    time.advance(2000)
    expect(await udp.announce(announceOf(infohash))).toMatchObject({ action: 'error', message: BAD_CONNECTION_ID })
    expect(await udp.scrape([infohash])).toMatchObject({ action: 'error', message: BAD_CONNECTION_ID })
    await udp.connect()
    expect(await udp.announce(announceOf(infohash))).toMatchObject({ action: 'announce' })
    // an id given to 127.0.0.1, used from 127.0.0.2
    const elsewhere = createSocket('udp4')
    await new Promise<void>((resolve) => elsewhere.bind(0, '127.0.0.2', resolve))
    const answer = await new Promise<Buffer>((resolve) => {
      elsewhere.once('message', resolve)
      elsewhere.send(
        encodeUdpAnnounceRequest({
          ...announceOf(infohash),
          connectionId: udp.connectionId as Uint8Array,
          transactionId: 9,
          key: new Uint8Array(4),
        }),
        tracker.udp[0]?.port as number,
        '127.0.0.1',
      )
    })
    elsewhere.close()
    expect(answer.readUInt32BE(0)).toBe(3)
    // a made-up id, and one from the future
    udp.connectionId = new Uint8Array(8).fill(7)
    expect(await udp.announce(announceOf(infohash))).toMatchObject({ action: 'error', message: BAD_CONNECTION_ID })
    const future = Buffer.from(id)
    future.writeUInt32BE(future.readUInt32BE(0) + 3600)
    udp.connectionId = future
    expect(await udp.announce(announceOf(infohash))).toMatchObject({ action: 'error', message: BAD_CONNECTION_ID })
    expect(tracker.stats().totals.refused).toBe(5)
  })

  it('answers malformed packets with an error packet (or nothing, under 16 bytes) and goes on serving', async () => {
    const tracker = await start()
    const udp = client(tracker)
    const connectionId = await udp.connect()
    const announce = encodeUdpAnnounceRequest({
      ...announceOf(id20()),
      connectionId,
      transactionId: 77,
      key: new Uint8Array(4),
    })
    const badEvent = Buffer.from(announce)
    badEvent.writeUInt32BE(99, 80)
    const cases = [
      announce.subarray(0, 60),
      badEvent,
      Buffer.concat([announce, Buffer.from([2, 200, 1])]),
      Buffer.concat([Buffer.from(connectionId), Buffer.from([0, 0, 0, 2, 0, 0, 0, 77]), Buffer.alloc(30)]),
      Buffer.concat([Buffer.from(connectionId), Buffer.from([0, 0, 0, 9, 0, 0, 0, 77])]),
      Buffer.concat([Buffer.from(encodeUdpConnectRequest(77)).subarray(0, 8), Buffer.from([0, 0, 0, 1, 0, 0, 0, 77])]),
      Buffer.alloc(3000),
    ]
    for (const packet of cases) {
      const answer = await udp.request(packet)
      expect(answer, packet.subarray(0, 16).toString('hex')).toMatchObject({
        action: 'error',
        transactionId: packet.length === 3000 ? 0 : 77,
        message: expect.stringMatching(/^malformed request: /),
      })
    }
    expect(await udp.exchange(Buffer.alloc(15), 300)).toBeUndefined()
    expect(await udp.announce(announceOf(id20()))).toMatchObject({ action: 'announce' })
    expect(tracker.stats().totals.malformed).toBe(cases.length + 1)
  })

  it('random and mutated packets get an error packet or nothing, never a crash', async () => {
    const tracker = await start()
    const udp = client(tracker)
    const connectionId = await udp.connect()
    const valid = encodeUdpAnnounceRequest({
      ...announceOf(id20()),
      connectionId,
      transactionId: 5,
      key: new Uint8Array(4),
    })
    const packets = fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 300 }),
      fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 255 })).map(([at, byte]) => {
        const copy = Buffer.from(valid)
        copy[at] = byte
        return copy
      }),
    )
    await fc.assert(
      fc.asyncProperty(packets, async (packet) => {
        const answer = await udp.request(packet, 500)
        if (answer !== undefined) expect(['error', 'announce', 'connect', 'scrape']).toContain(answer.action)
      }),
      { numRuns: 150 },
    )
    expect(await udp.announce(announceOf(id20()))).toMatchObject({ action: 'announce' })
  }, 60_000)

  it('an address over its budget gets an error packet a few times a second, then nothing', async () => {
    const tracker = await start({ rateLimit: { perSecond: 1, burst: 4, refusalsPerSecond: 2 } })
    const udp = client(tracker)
    await udp.connect()
    for (let i = 0; i < 3; i++) expect(await udp.announce(announceOf(id20()))).toMatchObject({ action: 'announce' })
    const refusals = []
    for (let i = 0; i < 4; i++) refusals.push(await udp.announce(announceOf(id20()), {}))
    const errors = refusals.filter((answer) => answer?.action === 'error')
    expect(errors.length).toBeGreaterThanOrEqual(1)
    expect(errors.length).toBeLessThanOrEqual(3)
    for (const error of errors) expect(error).toMatchObject({ message: expect.stringContaining('slow down') })
    expect(refusals.some((answer) => answer === undefined)).toBe(true)
    expect(tracker.stats().totals.rate_limited).toBeGreaterThanOrEqual(3)
  }, 30_000)

  it('private mode reads the passkey from BEP 41 URL data', async () => {
    const seen: AccessRequest[] = []
    const infohash = id20()
    const tracker = await start({
      mode: 'private',
      authorizer: {
        authorize(request) {
          seen.push(request)
          return request.passkey === 'k3y' ? { allowed: true } : { allowed: false, reason: 'bad passkey' }
        },
      },
    })
    await tracker.register([{ infohash, swarm: infohash, torrent: infohash, addedAt: 0 }])
    const udp = client(tracker)
    expect(await udp.announce(announceOf(infohash), { urlData: '/announce/nope' })).toMatchObject({
      action: 'error',
      message: 'bad passkey',
    })
    expect(await udp.announce(announceOf(infohash), { urlData: '/k3y/announce?x=1' })).toMatchObject({
      action: 'announce',
      leechers: 1,
    })
    expect(seen.map((request) => [request.transport, request.passkey])).toEqual([
      ['udp', 'nope'],
      ['udp', 'k3y'],
    ])
  })
})
