/**
 * Bad trackers are bounded: answers that are not tracker answers, huge ones,
 * redirect loops, slow and dead trackers, spoofed and stray UDP packets.
 * Each gives a typed error within its bound, and a dead tracker backs off.
 * Every tracker here is a small server of the test on 127.0.0.1.
 */
import { createServer } from 'node:net'
import { join } from 'node:path'
import { ManualClock } from '@mycel/dht/testing'
import { bindUdpSocket } from '@mycel/dht/udp'
import {
  decodeUdpRequest,
  encodeTrackerFailure,
  encodeUdpAnnounceResponse,
  encodeUdpConnectResponse,
  encodeUdpError,
  parseTrackerUrl,
  WireError,
} from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode, NodeError, type ShareKey, TrackerClient, TrackerPeerSource } from '../src/index.js'
import { cleanup, tempDir, writeContent } from './helpers.js'
import { announceBody, HttpTrackerDouble, reply, UdpTrackerDouble } from './tracker-doubles.js'

const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {})
})

function share(): ShareKey {
  return { infohash: crypto.getRandomValues(new Uint8Array(32)), key: crypto.getRandomValues(new Uint8Array(20)) }
}

async function http(handler: Parameters<typeof HttpTrackerDouble.start>[0]) {
  const double = await HttpTrackerDouble.start(handler)
  closers.push(() => double.close())
  return double
}

async function udp(handler: Parameters<typeof UdpTrackerDouble.start>[0]) {
  const double = await UdpTrackerDouble.start(handler)
  closers.push(() => double.close())
  return double
}

/** A source with short timings (100 ms UDP retransmission, 300 ms HTTP timeout), on its own client. */
function source(urls: string[], clock = new ManualClock(1_000_000)) {
  const client = new TrackerClient({
    bindUdp: (type) => bindUdpSocket({ type }),
    httpTimeoutMs: 300,
    udpRetransmitMs: 100,
    backoffMs: 10_000,
    clock,
  })
  const made = new TrackerPeerSource(urls, { client })
  closers.push(async () => {
    await made.close()
    await client.close()
  })
  return { source: made, client, clock }
}

/** What an operation rejects with. */
async function failure(promise: Promise<unknown>): Promise<NodeError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(NodeError)
    return error as NodeError
  }
  throw new Error('expected a rejection')
}

describe('hostile HTTP trackers', () => {
  it('an answer that is not bencode, or not an announce, is TRACKER_INVALID_RESPONSE with the WireError as cause', async () => {
    for (const body of ['<html>not a tracker</html>', 'le', 'd8:intervali-5ee', 'd5:peers7:abcdefge']) {
      const tracker = await http((_, res) => reply(res, body))
      const error = await failure(source([tracker.url]).source.announce(share(), { port: 7000 }))
      expect(error.code).toBe('TRACKER_INVALID_RESPONSE')
      expect(error.cause).toBeInstanceOf(WireError)
    }
  })

  it('a body over 1 MiB is cut off, declared or streamed without end', async () => {
    const declared = await http((_, res) => {
      res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) })
      res.write(new Uint8Array(1000))
    })
    const one = await failure(source([declared.url]).source.announce(share(), { port: 7000 }))
    expect(one.code).toBe('TRACKER_INVALID_RESPONSE')
    expect((one.cause as WireError).code).toBe('TRACKER_TOO_LARGE')
    let written = 0
    const endless = await http((_, res) => {
      res.writeHead(200)
      const chunk = new Uint8Array(64 * 1024).fill(0x61)
      const more = (): void => {
        while (!res.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', more)
            return
          }
        }
      }
      more()
    })
    const two = await failure(source([endless.url]).source.announce(share(), { port: 7000 }))
    expect(two.code).toBe('TRACKER_INVALID_RESPONSE')
    expect((two.cause as WireError).code).toBe('TRACKER_TOO_LARGE')
    // The client stopped reading at the limit: the server never got to write 64 MiB.
    expect(written).toBeLessThan(16 * 1024 * 1024)
  })

  it('more than 2,000 peers in one answer are refused whole', async () => {
    const peers = Array.from({ length: 2001 }, (_, i) => ({ host: `10.0.${i >> 8}.${i & 255}`, port: 6881 }))
    const tracker = await http((_, res) => reply(res, announceBody(peers)))
    const error = await failure(source([tracker.url]).source.announce(share(), { port: 7000 }))
    expect(error.code).toBe('TRACKER_INVALID_RESPONSE')
    expect((error.cause as WireError).code).toBe('TRACKER_TOO_LARGE')
  })

  it('a redirect loop ends after 5 redirects; a redirect away from http(s) is not followed', async () => {
    const loop = await http((_, res) => {
      res.writeHead(302, { location: '/announce?again=1' })
      res.end()
    })
    const error = await failure(source([loop.url]).source.announce(share(), { port: 7000 }))
    expect(error.code).toBe('TRACKER_UNREACHABLE')
    expect(error.message).toMatch(/more than 5 redirects/)
    expect(loop.requests).toHaveLength(6)
    const away = await http((_, res) => {
      res.writeHead(301, { location: 'file:///etc/passwd' })
      res.end()
    })
    const file = await failure(source([away.url]).source.announce(share(), { port: 7000 }))
    expect(file.code).toBe('TRACKER_UNREACHABLE')
    expect(file.message).toMatch(/file:/)
    // A redirect that goes somewhere good is followed, and the query (a passkey) goes along.
    const good = await http((_, res) => reply(res, announceBody([{ host: '192.0.2.9', port: 6881 }])))
    const moved = await http((request, res) => {
      res.writeHead(307, { location: `${good.url}?${request.query}` })
      res.end()
    })
    expect(await source([moved.url]).source.announce(share(), { port: 7000 })).toMatchObject({ reached: 1 })
    expect(good.requests[0]?.announce?.port).toBe(7000)
  })

  it('a tracker that does not answer, or trickles its answer, times out with TRACKER_TIMEOUT', async () => {
    const silent = await http(() => {})
    const one = await failure(source([silent.url]).source.announce(share(), { port: 7000 }))
    expect(one.code).toBe('TRACKER_TIMEOUT')
    const trickle = await http((_, res) => {
      res.writeHead(200, { 'content-length': '100' })
      const timer = setInterval(() => res.write('d'), 50)
      res.on('close', () => clearInterval(timer))
    })
    const two = await failure(source([trickle.url]).source.announce(share(), { port: 7000 }))
    expect(two.code).toBe('TRACKER_TIMEOUT')
  })

  it('an HTTP error status is TRACKER_UNREACHABLE, unless its body is a failure reason', async () => {
    const plain = await http((_, res) => reply(res, 'busy', 503))
    expect((await failure(source([plain.url]).source.announce(share(), { port: 7000 }))).message).toMatch(/HTTP 503/)
    const refusing = await http((_, res) => reply(res, encodeTrackerFailure('torrent not registered'), 400))
    const error = await failure(source([refusing.url]).source.announce(share(), { port: 7000 }))
    expect(error.code).toBe('TRACKER_FAILURE')
    expect(error.message).toMatch(/torrent not registered/)
  })

  it('a dead tracker is skipped for 10 s here (15 s by default), then for twice as long after it fails again', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as { port: number }
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const url = `http://127.0.0.1:${port}/announce`
    const { source: dead, client, clock } = source([url])
    const tracker = parseTrackerUrl(url)
    expect((await failure(dead.announce(share(), { port: 7000 }))).code).toBe('TRACKER_UNREACHABLE')
    expect(client.backoffUntil(tracker)).toBe(clock.now() + 10_000)
    // While it backs off, no request: the announce reaches nobody and says when to come back.
    expect(await dead.announce(share(), { port: 7000 })).toEqual({ reached: 0, nextAnnounceMs: 10_000 })
    await clock.advance(10_000)
    expect(client.backoffUntil(tracker)).toBeUndefined()
    expect((await failure(dead.announce(share(), { port: 7000 }))).code).toBe('TRACKER_UNREACHABLE')
    expect(client.backoffUntil(tracker)).toBe(clock.now() + 20_000)
  })

  it('a failure reason keeps that tracker from being asked about that share for its retry in (BEP 31); other shares are asked', async () => {
    const tracker = await http((request, res) => {
      if (request.announce?.port === 7001) reply(res, encodeTrackerFailure('go away', { retryIn: 2 }))
      else reply(res, announceBody())
    })
    const { source: trackers, clock } = source([tracker.url])
    const refused = share()
    const error = await failure(trackers.announce(refused, { port: 7001 }))
    expect(error.code).toBe('TRACKER_FAILURE')
    expect(error.message).toMatch(/go away/)
    expect(await trackers.announce(refused, { port: 7001 })).toEqual({ reached: 0, nextAnnounceMs: 120_000 })
    expect(tracker.requests).toHaveLength(1)
    expect(await trackers.announce(share(), { port: 7002 })).toMatchObject({ reached: 1 })
    await clock.advance(120_000)
    await failure(trackers.announce(refused, { port: 7001 }))
    expect(tracker.requests).toHaveLength(3)
  })
})

/** A UDP tracker that answers properly, unless `bad` returns something to send instead. */
function udpTracker(bad: (request: ReturnType<typeof decodeUdpRequest>) => Uint8Array | 'drop' | undefined) {
  return udp((packet, send) => {
    const request = decodeUdpRequest(packet.bytes)
    const instead = bad(request)
    if (instead === 'drop') return
    if (instead !== undefined) {
      send(instead)
      return
    }
    if (request.action === 'connect') {
      send(encodeUdpConnectResponse({ transactionId: request.transactionId, connectionId: new Uint8Array(8).fill(7) }))
    } else if (request.action === 'announce') {
      const peers = new Uint8Array([192, 0, 2, 1, 0x1a, 0xe1])
      send(
        encodeUdpAnnounceResponse({
          transactionId: request.transactionId,
          interval: 900,
          leechers: 1,
          seeders: 0,
          peers,
        }),
      )
    }
  })
}

function withHeader(action: number, transactionId: number, rest: number[]): Uint8Array {
  const out = new Uint8Array(8 + rest.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, action)
  view.setUint32(4, transactionId)
  out.set(rest, 8)
  return out
}

describe('hostile UDP trackers', () => {
  it('silence: the request is sent again after 100 ms here (15 s by default), then given up with TRACKER_TIMEOUT', async () => {
    const tracker = await udpTracker(() => 'drop')
    const error = await failure(source([tracker.url]).source.announce(share(), { port: 7000 }))
    expect(error.code).toBe('TRACKER_TIMEOUT')
    expect(tracker.packets).toHaveLength(2)
    expect(tracker.packets.every((packet) => decodeUdpRequest(packet.bytes).action === 'connect')).toBe(true)
  })

  it('answers for another transaction, and from another address, are dropped; the real one is taken', async () => {
    const spoofer = await bindUdpSocket({ host: '127.0.0.1' })
    closers.push(() => spoofer.close())
    const tracker = await udp((packet, send) => {
      const request = decodeUdpRequest(packet.bytes)
      if (request.action !== 'connect') {
        const peers = new Uint8Array([192, 0, 2, 1, 0x1a, 0xe1])
        send(
          encodeUdpAnnounceResponse({
            transactionId: request.transactionId,
            interval: 900,
            leechers: 1,
            seeders: 0,
            peers,
          }),
        )
        return
      }
      const connectionId = new Uint8Array(8).fill(9)
      const to = { host: packet.from.address, port: packet.from.port }
      spoofer.send(encodeUdpConnectResponse({ transactionId: request.transactionId, connectionId }), to)
      send(encodeUdpConnectResponse({ transactionId: (request.transactionId ^ 1) >>> 0, connectionId }))
      send(new Uint8Array([1, 2, 3]))
      setTimeout(() => send(encodeUdpConnectResponse({ transactionId: request.transactionId, connectionId })), 20)
    })
    const { source: trackers } = source([tracker.url])
    const found: string[] = []
    for await (const peer of trackers.lookup(share(), { port: 7000 })) found.push(peer.address)
    expect(found).toEqual(['tcp://192.0.2.1:6881'])
    const announce = decodeUdpRequest(tracker.packets[1]?.bytes as Uint8Array)
    expect(announce).toMatchObject({
      action: 'announce',
      connectionId: new Uint8Array(8).fill(9),
      port: 7000,
      event: 'started',
    })
  })

  it('an error packet is TRACKER_FAILURE with its text', async () => {
    const tracker = await udpTracker((request) =>
      request.action === 'announce'
        ? encodeUdpError({ transactionId: request.transactionId, message: 'banned client' })
        : undefined,
    )
    const error = await failure(source([tracker.url]).source.announce(share(), { port: 7000 }))
    expect(error.code).toBe('TRACKER_FAILURE')
    expect(error.message).toMatch(/banned client/)
  })

  it('packets of the wrong size, action or peer count are TRACKER_INVALID_RESPONSE', async () => {
    const answers: Array<(transactionId: number) => Uint8Array> = [
      // a connect answer cut short
      (id) => withHeader(0, id, [1, 2, 3, 4]),
      // an announce answered with a scrape
      (id) => withHeader(2, id, []),
      // peers that are not whole
      (id) => withHeader(1, id, [0, 0, 3, 132, 0, 0, 0, 1, 0, 0, 0, 0, 10, 0, 0, 1, 0x1a]),
      // 2,001 peers
      (id) => withHeader(1, id, [0, 0, 3, 132, 0, 0, 0, 1, 0, 0, 0, 0, ...new Array(2001 * 6).fill(1)]),
    ]
    for (const [index, answer] of answers.entries()) {
      const tracker = await udpTracker((request) =>
        index === 0
          ? request.action === 'connect'
            ? answer(request.transactionId)
            : undefined
          : request.action === 'announce'
            ? answer(request.transactionId)
            : undefined,
      )
      const error = await failure(source([tracker.url]).source.announce(share(), { port: 7000 }))
      expect(error.code, `answer ${index}`).toBe('TRACKER_INVALID_RESPONSE')
    }
  })

  it('without UDP sockets (the core in a browser) a udp: tracker is TRACKER_UNSUPPORTED, and an http: one of its list still answers', async () => {
    const good = await http((_, res) => reply(res, announceBody([{ host: '192.0.2.3', port: 6881 }])))
    const client = new TrackerClient({ httpTimeoutMs: 300 })
    const trackers = new TrackerPeerSource([['udp://127.0.0.1:9'], [good.url]], { client })
    closers.push(() => trackers.close())
    expect(await trackers.announce(share(), { port: 7000 })).toMatchObject({ reached: 1 })
    // (A client of its own: the first one skips that tracker now, for every share.)
    const udpOnly = new TrackerPeerSource(['udp://127.0.0.1:9'], { httpTimeoutMs: 300 })
    closers.push(() => udpOnly.close())
    expect((await failure(udpOnly.announce(share(), { port: 7000 }))).code).toBe('TRACKER_UNSUPPORTED')
  })
})

describe('a bad tracker never holds up a download', () => {
  const nodes: MycelNode[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await cleanup(nodes.splice(0), dirs.splice(0))
  })

  it('completes from a direct peer while its only tracker holds the request open', async () => {
    const hanging = await http(() => {})
    const folder = async (): Promise<string> => {
      const dir = await tempDir()
      dirs.push(dir)
      return dir
    }
    const source = await folder()
    const target = await folder()
    await writeContent(join(source, 'a.bin'), 300_000, 71)
    const base = { listen: ['tcp://127.0.0.1:0'], dht: false as const }
    const seeder = await createNode({ ...base, dataDir: await folder() })
    nodes.push(seeder)
    const shared = await seeder.share(join(source, 'a.bin'))
    const leecher = await createNode({ ...base, dataDir: await folder() })
    nodes.push(leecher)
    await leecher.download(shared.magnet, { dir: target, peers: seeder.addresses, trackers: [hanging.url] }).done()
    // The tracker was asked, and has not answered yet: the download did not wait for it.
    expect(hanging.requests.length).toBeGreaterThan(0)
  }, 30_000)
})
