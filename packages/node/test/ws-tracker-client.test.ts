/**
 * The WebSocket tracker client against a tracker of the test's own (a real
 * WebSocket server on 127.0.0.1 that says what the test wants) and a WebRTC
 * stand-in that counts offers: every bound of docs/limits.md, a malformed
 * message closing that tracker's socket only, the interval clamp,
 * `stopped`; and the message decoder under fast-check.
 */
import { once } from 'node:events'
import { MemoryStateStore } from '@mycel/store'
import { openNodeWebSocket } from '@mycel/transport/ws'
import { componentLogger } from '@mycel/wire/log'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import { checkTrackers, loadShareTrackers, ShareTrackers } from '../src/discovery/share-trackers.js'
import { TrackerClient } from '../src/discovery/tracker/tracker-client.js'
import {
  binaryString,
  decodeWsTrackerMessage,
  MAX_WS_TRACKER_MESSAGE_CHARS,
  MAX_WS_TRACKER_SDP_CHARS,
} from '../src/discovery/ws-tracker/messages.js'
import {
  MAX_ANSWERED_WAITING,
  MAX_ANSWERING_PER_SOCKET,
  MAX_PENDING_OFFERS_PER_SHARE,
  MAX_WS_TRACKER_SOCKETS,
  type UnaddressedRtc,
  WS_OFFERS_PER_ANNOUNCE,
  WsTrackerClient,
} from '../src/discovery/ws-tracker/ws-tracker-client.js'
import {
  WS_MAX_INTERVAL_MS,
  WS_MIN_INTERVAL_MS,
  WsTrackerPeerSource,
} from '../src/discovery/ws-tracker/ws-tracker-source.js'
import { NodeError } from '../src/errors.js'

/** A tracker that records what it hears and answers announces with `interval` (unless told otherwise). */
class FakeTracker {
  readonly heard: Array<Record<string, unknown>> = []
  readonly sockets: WebSocket[] = []
  interval: number | undefined = 120
  /** Answers each offer of an announce at once, as a member of the swarm would. */
  answerOffers = false
  constructor(readonly server: WebSocketServer) {
    server.on('connection', (socket) => {
      this.sockets.push(socket)
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as Record<string, unknown>
        this.heard.push(message)
        if (message.action === 'announce' && message.answer === undefined && this.interval !== undefined) {
          socket.send(JSON.stringify({ action: 'announce', info_hash: message.info_hash, interval: this.interval }))
        }
        const offers = (message.offers as Array<{ offer_id: string }> | undefined) ?? []
        for (const offer of this.answerOffers ? offers : []) {
          socket.send(
            JSON.stringify({
              action: 'announce',
              info_hash: message.info_hash,
              peer_id: 'm'.repeat(20),
              offer_id: offer.offer_id,
              answer: { type: 'answer', sdp: 'v=0 member' },
            }),
          )
        }
      })
    })
  }
  static async start(): Promise<FakeTracker> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await once(server, 'listening')
    const tracker = new FakeTracker(server)
    servers.push(tracker)
    return tracker
  }
  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as { port: number }).port}/announce`
  }
  /** Sends to every client socket. */
  send(message: unknown): void {
    for (const socket of this.sockets) socket.send(typeof message === 'string' ? message : JSON.stringify(message))
  }
  announces(): Array<Record<string, unknown>> {
    return this.heard.filter((message) => message.action === 'announce' && message.answer === undefined)
  }
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

/** WebRTC that makes offers instantly and answers only when told. */
class FakeRtc implements UnaddressedRtc {
  offers = 0
  cancelled = new Set<string>()
  answering: Array<(sdp: string) => void> = []
  accepted: string[] = []
  async createOffer(): Promise<{ id: string; sdp: string }> {
    this.offers++
    return { id: this.offers.toString(16).padStart(32, '0'), sdp: `v=0 offer ${this.offers}` }
  }
  async acceptAnswer(id: string): Promise<string> {
    this.accepted.push(id)
    return `webrtc-offer://${id}`
  }
  cancelOffer(id: string): void {
    this.cancelled.add(id)
  }
  answerOffer(): Promise<string> {
    return new Promise((resolve) => this.answering.push(resolve))
  }
}

const servers: FakeTracker[] = []
const clients: WsTrackerClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

function client(rtc: UnaddressedRtc = new FakeRtc()): WsTrackerClient {
  const made = new WsTrackerClient({
    rtc,
    openSocket: (url) => openNodeWebSocket(url, { maxPayload: 1 << 20 }),
  })
  clients.push(made)
  return made
}

const key = (fill: number) => ({ infohash: new Uint8Array(32).fill(fill), key: new Uint8Array(20).fill(fill) })

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

describe('the WebSocket tracker client', () => {
  it('announces with 20-byte binary strings: the share key as info_hash, a random peer id that is not the node’s', async () => {
    const tracker = await FakeTracker.start()
    const ws = client()
    const other = client()
    const source = new WsTrackerPeerSource([tracker.url], ws)
    expect(await source.announce(key(0xfe), { port: undefined, event: 'started', left: 10 })).toEqual({
      reached: 1,
      nextAnnounceMs: 120_000,
    })
    const [announce] = tracker.announces()
    expect(announce?.info_hash).toBe(binaryString(new Uint8Array(20).fill(0xfe)))
    expect(announce?.peer_id).toBe(ws.peerId)
    expect(ws.peerId).toHaveLength(20)
    expect(ws.peerId).not.toBe(other.peerId)
    expect(announce?.event).toBe('started')
  })

  it(`offers only with lookups: at most ${WS_OFFERS_PER_ANNOUNCE} per announce, at most ${MAX_PENDING_OFFERS_PER_SHARE} waiting per share, none from a seeder or a plain announce`, async () => {
    const tracker = await FakeTracker.start()
    const rtc = new FakeRtc()
    const ws = client(rtc)
    const source = new WsTrackerPeerSource([tracker.url], ws)
    await source.announce(key(1), { port: undefined, event: 'started', left: 100 })
    const socket = ws.socket(tracker.url)
    for (let i = 0; i < 3; i++) {
      await socket.announce({ infoHash: binaryString(key(1).key), left: 100 }, WS_OFFERS_PER_ANNOUNCE, undefined)
    }
    const seeding = source.lookup(key(2), { left: 0 })
    for await (const candidate of seeding) expect.unreachable(candidate.address)
    const offers = tracker.announces().map((message) => (message.offers as unknown[] | undefined)?.length ?? 0)
    expect(offers).toEqual([0, WS_OFFERS_PER_ANNOUNCE, WS_OFFERS_PER_ANNOUNCE, 0, 0])
    expect(tracker.announces().map((message) => message.numwant)).toEqual(offers)
    expect(rtc.offers).toBe(MAX_PENDING_OFFERS_PER_SHARE)
    // A lookup of a share that wants data offers, and yields each answered offer for the node to dial.
    tracker.answerOffers = true
    const found: string[] = []
    for await (const candidate of source.lookup(key(3), { left: 100 })) found.push(candidate.address)
    expect(tracker.announces().at(-1)?.offers).toHaveLength(WS_OFFERS_PER_ANNOUNCE)
    expect(found).toHaveLength(WS_OFFERS_PER_ANNOUNCE)
  })

  it(`answers at most ${MAX_ANSWERING_PER_SOCKET} forwarded offers at once, only for shares it announced, with the answer routed back`, async () => {
    const tracker = await FakeTracker.start()
    const rtc = new FakeRtc()
    const ws = client(rtc)
    const source = new WsTrackerPeerSource([tracker.url], ws)
    await source.announce(key(3), { port: undefined, left: 0 })
    const infoHash = binaryString(new Uint8Array(20).fill(3))
    const from = binaryString(new Uint8Array(20).fill(7))
    tracker.send({
      action: 'announce',
      info_hash: binaryString(new Uint8Array(20).fill(4)),
      peer_id: from,
      offer_id: from,
      offer: { type: 'offer', sdp: 'v=0' },
    })
    for (let i = 0; i < 20; i++) {
      const offerId = binaryString(new Uint8Array(20).fill(100 + i))
      tracker.send({
        action: 'announce',
        info_hash: infoHash,
        peer_id: from,
        offer_id: offerId,
        offer: { type: 'offer', sdp: 'v=0' },
      })
    }
    await until(() => rtc.answering.length === MAX_ANSWERING_PER_SOCKET)
    rtc.answering[0]?.('v=0 answer')
    await until(() => tracker.heard.some((message) => message.answer !== undefined))
    const answer = tracker.heard.find((message) => message.answer !== undefined)
    expect(answer).toMatchObject({
      info_hash: infoHash,
      peer_id: ws.peerId,
      to_peer_id: from,
      offer_id: binaryString(new Uint8Array(20).fill(100)),
      answer: { type: 'answer', sdp: 'v=0 answer' },
    })
    expect(rtc.answering).toHaveLength(MAX_ANSWERING_PER_SOCKET)
  })

  it(`a lookup yields the webrtc-offer:// address of each answered offer (at most ${MAX_ANSWERED_WAITING} wait), and ignores answers to offers it never made`, async () => {
    const tracker = await FakeTracker.start()
    const rtc = new FakeRtc()
    const ws = client(rtc)
    const source = new WsTrackerPeerSource([tracker.url], ws)
    const infoHash = binaryString(new Uint8Array(20).fill(5))
    for (let i = 0; i < 2; i++) {
      await ws.socket(tracker.url).announce({ infoHash, left: 100 }, WS_OFFERS_PER_ANNOUNCE, undefined)
    }
    const offerIds = tracker
      .announces()
      .flatMap((message) => (message.offers as Array<{ offer_id: string }>).map((offer) => offer.offer_id))
    expect(offerIds).toHaveLength(MAX_PENDING_OFFERS_PER_SHARE)
    const stranger = binaryString(new Uint8Array(20).fill(9))
    for (const offerId of [stranger, ...offerIds, offerIds[0]]) {
      tracker.send({
        action: 'announce',
        info_hash: infoHash,
        peer_id: stranger,
        offer_id: offerId,
        answer: { type: 'answer', sdp: 'v=0' },
      })
    }
    await until(() => rtc.accepted.length === MAX_ANSWERED_WAITING)
    // The lookup's own offers are answered at once too: no room is left for them.
    tracker.answerOffers = true
    const found: string[] = []
    for await (const candidate of source.lookup(key(5), { left: 100 })) found.push(candidate.address)
    expect(found).toHaveLength(MAX_ANSWERED_WAITING)
    expect(new Set(found).size).toBe(MAX_ANSWERED_WAITING)
    for (const address of found) expect(address).toMatch(/^webrtc-offer:\/\/[0-9a-f]{32}$/)
  })

  it('a malformed or oversized message closes that tracker’s socket only, and the client reconnects later', async () => {
    const good = await FakeTracker.start()
    const bad = await FakeTracker.start()
    const ws = client()
    const source = new WsTrackerPeerSource([good.url, bad.url], ws)
    expect((await source.announce(key(6), { port: undefined, left: 0 })).reached).toBe(2)
    const closed = once(bad.sockets[0] as WebSocket, 'close')
    bad.send('{"action":"announce","info_hash":"short"}')
    await closed
    expect((good.sockets[0] as WebSocket).readyState).toBe(1)
    // The good tracker still answers; the bad one is in its backoff.
    const result = await source.announce(key(6), { port: undefined, left: 0 })
    expect(result.reached).toBe(1)
    // The reconnect after the backoff rejoins the swarm.
    await until(() => bad.sockets.length === 2)
    await until(() => bad.announces().length === 2)
    const big = once(good.sockets[0] as WebSocket, 'close')
    good.send(
      JSON.stringify({ action: 'announce', info_hash: 'x'.repeat(20), pad: 'x'.repeat(MAX_WS_TRACKER_MESSAGE_CHARS) }),
    )
    await big
  }, 20_000)

  it(`clamps the tracker's interval to [${WS_MIN_INTERVAL_MS / 1000} s, ${WS_MAX_INTERVAL_MS / 1000} s], and refuses with TRACKER_FAILURE on a failure reason`, async () => {
    const tracker = await FakeTracker.start()
    const source = new WsTrackerPeerSource([tracker.url], client())
    tracker.interval = 1
    expect((await source.announce(key(7), { port: undefined, left: 0 })).nextAnnounceMs).toBe(WS_MIN_INTERVAL_MS)
    tracker.interval = 10 ** 9
    expect((await source.announce(key(7), { port: undefined, left: 0 })).nextAnnounceMs).toBe(WS_MAX_INTERVAL_MS)
    tracker.interval = undefined
    const infoHash = binaryString(new Uint8Array(20).fill(7))
    const refused = source.announce(key(7), { port: undefined, left: 0 })
    await until(() => tracker.announces().length === 3)
    tracker.send({ action: 'announce', info_hash: infoHash, 'failure reason': 'not here' })
    await expect(refused).rejects.toMatchObject({ code: 'TRACKER_FAILURE' })
  })

  it(`connects at most ${MAX_WS_TRACKER_SOCKETS} trackers at once: a share's list is cut there, and another share's new tracker is refused`, async () => {
    const tracker = await FakeTracker.start()
    const ws = client()
    const urls = Array.from({ length: MAX_WS_TRACKER_SOCKETS + 4 }, (_, i) => `${tracker.url}/${i}`)
    const many = new WsTrackerPeerSource(urls, ws)
    expect((await many.announce(key(10), { port: undefined, left: 0 })).reached).toBe(MAX_WS_TRACKER_SOCKETS)
    expect(tracker.sockets).toHaveLength(MAX_WS_TRACKER_SOCKETS)
    const other = new WsTrackerPeerSource([`${tracker.url}/other`], ws)
    await expect(other.announce(key(11), { port: undefined, left: 0 })).rejects.toMatchObject({
      code: 'TRACKER_UNREACHABLE',
    })
    await many.close()
    expect((await other.announce(key(11), { port: undefined, left: 0 })).reached).toBe(1)
  })

  it('tells the tracker stopped, gives up its offers and closes the socket when the share stops', async () => {
    const tracker = await FakeTracker.start()
    const rtc = new FakeRtc()
    const ws = client(rtc)
    const source = new WsTrackerPeerSource([tracker.url], ws)
    await source.announce(key(8), { port: undefined, left: 100 })
    await ws.socket(tracker.url).announce({ infoHash: binaryString(key(8).key), left: 100 }, 5, undefined)
    const closed = once(tracker.sockets[0] as WebSocket, 'close')
    await source.announce(key(8), { port: undefined, event: 'stopped', left: 100 })
    await closed
    expect(tracker.heard.at(-1)).toMatchObject({ event: 'stopped' })
    expect(rtc.cancelled.size).toBe(WS_OFFERS_PER_ANNOUNCE)
    expect(ws.existing(tracker.url)).toBeUndefined()
  })
})

describe('WebSocket tracker messages', () => {
  const id = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(binaryString)
  const sdp = fc.string({ minLength: 1, maxLength: 300 })

  it('decode offers, answers and replies as the tracker sends them', () => {
    fc.assert(
      fc.property(id, id, id, sdp, fc.boolean(), (infoHash, peerId, offerId, text, isOffer) => {
        const kind = isOffer ? 'offer' : 'answer'
        const got = decodeWsTrackerMessage(
          JSON.stringify({
            action: 'announce',
            info_hash: infoHash,
            peer_id: peerId,
            offer_id: offerId,
            [kind]: { type: kind, sdp: text },
          }),
        )
        expect(got).toEqual({ kind, infoHash, peerId, offerId, sdp: text })
      }),
    )
    fc.assert(
      fc.property(id, fc.nat(), (infoHash, interval) => {
        expect(decodeWsTrackerMessage(JSON.stringify({ action: 'announce', info_hash: infoHash, interval }))).toEqual({
          kind: 'reply',
          infoHash,
          interval,
          failure: undefined,
        })
      }),
    )
  })

  it('refuse anything else with TRACKER_INVALID_RESPONSE, never another error', () => {
    const anything = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.json(),
      fc
        .record(
          {
            action: fc.constantFrom('announce', 'scrape', 'x'),
            info_hash: fc.oneof(id, fc.string()),
            peer_id: fc.oneof(id, fc.string(), fc.integer()),
            offer_id: fc.oneof(id, fc.string()),
            offer: fc.oneof(
              fc.record({ type: fc.constantFrom('offer', 'answer'), sdp: fc.oneof(sdp, fc.integer()) }),
              fc.string(),
            ),
            interval: fc.oneof(fc.integer(), fc.string(), fc.double()),
          },
          { requiredKeys: [] },
        )
        .map((message) => JSON.stringify(message)),
    )
    fc.assert(
      fc.property(anything, (text) => {
        try {
          decodeWsTrackerMessage(text)
        } catch (error) {
          expect(error).toBeInstanceOf(NodeError)
          expect((error as NodeError).code).toBe('TRACKER_INVALID_RESPONSE')
        }
      }),
      { numRuns: 500 },
    )
    const valid = { action: 'announce', info_hash: 'a'.repeat(20), peer_id: 'b'.repeat(20), offer_id: 'c'.repeat(20) }
    const bad = [
      new Uint8Array(3),
      'x'.repeat(MAX_WS_TRACKER_MESSAGE_CHARS + 1),
      JSON.stringify({ ...valid, info_hash: 'é'.repeat(19) }),
      JSON.stringify({ ...valid, info_hash: '\u0100'.repeat(20) }),
      JSON.stringify({ ...valid, offer: { type: 'offer', sdp: 'x'.repeat(MAX_WS_TRACKER_SDP_CHARS + 1) } }),
      JSON.stringify({ ...valid, answer: { type: 'offer', sdp: 'v=0' } }),
      JSON.stringify({ ...valid, interval: -1 }),
      JSON.stringify({ ...valid, 'failure reason': 3 }),
      JSON.stringify({ action: 'hello' }),
      '[]',
    ]
    for (const data of bad) expect(() => decodeWsTrackerMessage(data)).toThrow(NodeError)
  })
})

describe('a share’s ws trackers', () => {
  it('are kept with its other trackers in the state store, come back after a restart, and are left out without WebRTC', async () => {
    const state = new MemoryStateStore()
    const trackerClient = new TrackerClient({})
    const log = componentLogger(undefined, 'mycel:tracker')
    const infohashHex = 'cd'.repeat(32)
    const ws = client()
    try {
      const first = new ShareTrackers({ state, client: trackerClient, log, ws })
      const sources = await first.add(infohashHex, ['wss://tracker.example/announce', 'http://a.example/announce'])
      expect(sources.map((source) => source.constructor.name)).toEqual(['TrackerPeerSource', 'WsTrackerPeerSource'])
      expect(sources[1]?.name).toBe('tracker:wss://tracker.example/announce')
      expect(await loadShareTrackers(state, infohashHex)).toEqual([
        ['http://a.example/announce'],
        ['wss://tracker.example/announce'],
      ])
      const restarted = new ShareTrackers({ state, client: trackerClient, log, ws })
      const again = await restarted.add(infohashHex)
      expect(again.map((source) => source.name)).toEqual([
        'tracker:http://a.example/announce',
        'tracker:wss://tracker.example/announce',
      ])
      const withoutRtc = new ShareTrackers({ state, client: trackerClient, log })
      expect((await withoutRtc.add(infohashHex)).map((source) => source.name)).toEqual([
        'tracker:http://a.example/announce',
      ])
      expect(() => checkTrackers(['ws://tracker.example', ['udp://b.example:1']])).not.toThrow()
      expect(() => checkTrackers(['ws://'])).toThrow(TypeError)
    } finally {
      await trackerClient.close()
    }
  })
})
