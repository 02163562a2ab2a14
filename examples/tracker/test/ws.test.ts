/**
 * The WebSocket tracker (WebTorrent-style WebRTC signalling): a real
 * `mycel-tracker` process relaying an offer and its answer between two
 * sockets, then every bound and malformed input on an in-process tracker,
 * and the message decoder under fast-check.
 */
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_WS_LIMITS, type WsLimits } from '../src/config.js'
import { infohashEntries } from '../src/registration.js'
import { createTracker, type Tracker } from '../src/tracker.js'
import { decodeWsMessage, WsMessageError } from '../src/ws/message.js'
import { ensureBuilt, Processes } from './helpers/processes.js'
import { binaryId, WsTrackerClient } from './helpers/ws-client.js'

const processes = new Processes()
const trackers: Tracker[] = []
const clients: WsTrackerClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
  await processes.cleanup()
})
afterAll(() => processes.cleanup())

async function open(url: string, headers?: Record<string, string>): Promise<WsTrackerClient> {
  const client = await WsTrackerClient.open(url, headers)
  clients.push(client)
  return client
}

async function start(
  wsLimits: Partial<WsLimits> = {},
  options: Parameters<typeof createTracker>[0] = {},
): Promise<string> {
  const tracker = await createTracker({
    http: [],
    udp: [],
    ws: [{ host: '127.0.0.1', port: 0 }],
    wsLimits,
    // A clock that stands still: the per-socket message budget never refills.
    now: () => 1_700_000_000_000,
    ...options,
  })
  trackers.push(tracker)
  return `ws://127.0.0.1:${tracker.ws[0]?.port}/announce`
}

const sdp = (kind: string) => `v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=${kind}\r\n`
const announce = (infoHash: string, peerId: string, extra: object = {}) => ({
  action: 'announce',
  info_hash: infoHash,
  peer_id: peerId,
  numwant: 5,
  left: 100,
  event: 'started',
  ...extra,
})
const isAnswerTo = (infoHash: string) => (m: Record<string, unknown>) => m.info_hash === infoHash && 'interval' in m

describe('mycel-tracker --ws: a real process', () => {
  beforeAll(ensureBuilt, 600_000)

  it('relays an offer from one peer to the other and its answer back, and answers each announce with counts', async () => {
    const tracker = await processes.tracker(['--http', 'none', '--udp', 'none', '--ws', '127.0.0.1:0'])
    const port = (tracker.listening as unknown as { ws: Array<{ port: number }> }).ws[0]?.port
    const url = `ws://127.0.0.1:${port}/announce`
    const infoHash = binaryId()
    const [alice, bob] = [binaryId(), binaryId()]
    const a = await open(url)
    const b = await open(url)
    b.send(announce(infoHash, bob, { left: 0 }))
    expect(await b.next(isAnswerTo(infoHash))).toEqual({
      action: 'announce',
      interval: 1800,
      info_hash: infoHash,
      complete: 1,
      incomplete: 0,
    })
    const offerId = binaryId()
    a.send(announce(infoHash, alice, { offers: [{ offer: { type: 'offer', sdp: sdp('offer') }, offer_id: offerId }] }))
    expect(await a.next(isAnswerTo(infoHash))).toMatchObject({ complete: 1, incomplete: 1 })
    const offered = await b.next((m) => 'offer' in m)
    expect(offered).toEqual({
      action: 'announce',
      info_hash: infoHash,
      peer_id: alice,
      offer: { type: 'offer', sdp: sdp('offer') },
      offer_id: offerId,
    })
    b.send({
      action: 'announce',
      info_hash: infoHash,
      peer_id: bob,
      to_peer_id: alice,
      answer: { type: 'answer', sdp: sdp('answer') },
      offer_id: offerId,
    })
    expect(await a.next((m) => 'answer' in m)).toEqual({
      action: 'announce',
      info_hash: infoHash,
      peer_id: bob,
      answer: { type: 'answer', sdp: sdp('answer') },
      offer_id: offerId,
    })
    // Binary ids survive the trip byte for byte.
    expect(Buffer.from(offered.peer_id as string, 'latin1')).toEqual(Buffer.from(alice, 'latin1'))
  })
})

describe('WebSocket signalling: swarms and bounds', () => {
  it('sends each offer to a different other peer, never back to its sender, at most numwant of them', async () => {
    const url = await start()
    const infoHash = binaryId()
    const peers = await Promise.all([0, 1, 2].map(() => open(url)))
    for (const peer of peers) {
      peer.send(announce(infoHash, binaryId()))
      await peer.next(isAnswerTo(infoHash))
    }
    // A scrape answered to a socket comes after every offer the tracker forwarded to it before.
    const offersSeen = async (client: WsTrackerClient) => {
      client.send({ action: 'scrape', info_hash: infoHash })
      await client.next((m) => m.action === 'scrape')
      return client.waiting().filter((m) => 'offer' in m)
    }
    const offer = (i: number) => ({ offer: { type: 'offer', sdp: sdp(`o${i}`) }, offer_id: binaryId() })
    const sender = await open(url)
    const offers = [0, 1, 2, 3].map(offer)
    sender.send(announce(infoHash, binaryId(), { offers, numwant: 10 }))
    expect(await sender.next(isAnswerTo(infoHash))).toMatchObject({ incomplete: 4 })
    // Four offers, three other peers: one offer each, the fourth not sent, none back to the sender.
    const got = await Promise.all(peers.map((peer) => peer.next((m) => 'offer' in m)))
    expect(new Set(got.map((m) => m.offer_id)).size).toBe(3)
    for (const m of got) expect(offers.slice(0, 3).map((o) => o.offer_id)).toContain(m.offer_id)
    expect(await offersSeen(sender)).toEqual([])
    for (const peer of peers) expect(await offersSeen(peer)).toEqual([])

    const frugal = await open(url)
    frugal.send(announce(infoHash, binaryId(), { offers: [offer(4), offer(5), offer(6)], numwant: 1 }))
    await frugal.next(isAnswerTo(infoHash))
    const counts = await Promise.all([...peers, sender].map(async (peer) => (await offersSeen(peer)).length))
    expect(counts.reduce((a, b) => a + b)).toBe(1)
  })

  it('a stop or a closed socket leaves the swarm; an answer is relayed only to a peer of the same swarm', async () => {
    const url = await start({ messageBurst: 10_000 })
    const [swarm, otherSwarm] = [binaryId(), binaryId()]
    const [alice, bob] = [binaryId(), binaryId()]
    const a = await open(url)
    const b = await open(url)
    a.send(announce(swarm, alice))
    await a.next(isAnswerTo(swarm))
    b.send(announce(swarm, bob))
    expect(await b.next(isAnswerTo(swarm))).toMatchObject({ incomplete: 2 })
    b.send(announce(otherSwarm, bob))
    await b.next(isAnswerTo(otherSwarm))
    // An answer naming alice in a swarm she is not in is dropped; the next one, in her swarm, reaches her.
    const answer = (infoHash: string, offerId: string) => ({
      ...announce(infoHash, bob),
      to_peer_id: alice,
      answer: { type: 'answer', sdp: sdp('a') },
      offer_id: offerId,
    })
    const [dropped, relayed] = [binaryId(), binaryId()]
    b.send(answer(otherSwarm, dropped))
    b.send(answer(swarm, relayed))
    expect(await a.next((m) => 'answer' in m)).toMatchObject({ peer_id: bob, offer_id: relayed })

    const scrape = async (client: WsTrackerClient) => {
      client.send({ action: 'scrape', info_hash: swarm })
      const files = (await client.next((m) => m.action === 'scrape')).files as Record<string, { incomplete: number }>
      return files[swarm]?.incomplete
    }
    a.send(announce(swarm, alice, { event: 'stopped' }))
    expect(await scrape(a)).toBe(1)
    b.close()
    // The server sees the close a little later: wait for the condition.
    for (let tries = 0; (await scrape(a)) !== 0; tries++) {
      expect(tries).toBeLessThan(500)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })

  it('refuses a second peer id on one socket in one swarm, and a peer id another socket holds', async () => {
    const url = await start()
    const swarm = binaryId()
    const alice = binaryId()
    const a = await open(url)
    a.send(announce(swarm, alice))
    await a.next(isAnswerTo(swarm))
    a.send(announce(swarm, binaryId()))
    expect(await a.next()).toEqual({
      action: 'announce',
      info_hash: swarm,
      'failure reason': 'one peer id per swarm and socket',
    })
    const thief = await open(url)
    thief.send(announce(swarm, alice))
    expect(await thief.next()).toMatchObject({ 'failure reason': 'peer id in use in this swarm' })
  })

  it('malformed JSON, a bad field, or a binary frame closes that socket only', async () => {
    const url = await start()
    const swarm = binaryId()
    const good = await open(url)
    for (const bad of [
      '{"action":"announce",',
      '[1,2]',
      JSON.stringify({ action: 'hello' }),
      JSON.stringify(announce('short', binaryId())),
      JSON.stringify(
        announce(swarm, binaryId(), { offers: [{ offer: { type: 'answer', sdp: 'x' }, offer_id: binaryId() }] }),
      ),
      JSON.stringify(announce(swarm, '\u0100'.repeat(20))),
    ]) {
      const client = await open(url)
      client.send(bad)
      expect((await client.closed).code).toBe(1003)
    }
    const binary = await open(url)
    binary.socket.send(Buffer.from([1, 2, 3]))
    expect((await binary.closed).code).toBe(1003)
    good.send(announce(swarm, binaryId()))
    expect(await good.next(isAnswerTo(swarm))).toMatchObject({ incomplete: 1 })
  })

  it('bounds: offers per announce, message size, sockets at once, swarms per socket, messages per socket', async () => {
    const url = await start({
      maxOffers: 2,
      maxMessageBytes: 4096,
      maxSockets: 3,
      maxSwarmsPerSocket: 2,
      messageBurst: 6,
    })
    const offer = () => ({ offer: { type: 'offer', sdp: sdp('o') }, offer_id: binaryId() })

    const offers = await open(url)
    offers.send(announce(binaryId(), binaryId(), { offers: [offer(), offer(), offer()] }))
    expect(await offers.closed).toEqual({ code: 1003, reason: 'more than 2 offers' })

    const big = await open(url)
    big.send(
      announce(binaryId(), binaryId(), {
        offers: [{ offer: { type: 'offer', sdp: 'x'.repeat(5000) }, offer_id: binaryId() }],
      }),
    )
    expect((await big.closed).code).toBe(1009)

    const swarms = await open(url)
    for (let i = 0; i < 2; i++) {
      const infoHash = binaryId()
      swarms.send(announce(infoHash, binaryId()))
      await swarms.next(isAnswerTo(infoHash))
    }
    swarms.send(announce(binaryId(), binaryId()))
    expect(await swarms.next()).toMatchObject({ 'failure reason': 'at most 2 swarms per socket' })
    // Three messages so far; the budget is six with a clock that stands still.
    for (let i = 0; i < 3; i++) swarms.send({ action: 'scrape', info_hash: binaryId() })
    for (let i = 0; i < 3; i++) await swarms.next((m) => m.action === 'scrape')
    swarms.send({ action: 'scrape', info_hash: binaryId() })
    expect(await swarms.closed).toEqual({ code: 1008, reason: 'too many messages' })

    const held = [await open(url), await open(url), await open(url)]
    const refused = await open(url)
    expect(await refused.closed).toEqual({ code: 1013, reason: 'too many sockets' })
    held[0]?.send(announce(binaryId(), binaryId()))
    expect(await held[0]?.next()).toMatchObject({ action: 'announce', incomplete: 1 })
  })

  it('one address cannot take every socket: sockets per address, freed on close, counted per forwarded address behind a proxy', async () => {
    const url = await start({ maxSockets: 10, maxSocketsPerAddress: 2 })
    const first = await open(url)
    await open(url)
    const third = await open(url)
    expect(await third.closed).toEqual({ code: 1013, reason: 'too many sockets from this address' })
    first.socket.close()
    await first.closed
    // The server counts the close when it sees it; a new socket then gets the freed place.
    await expect
      .poll(async () => {
        const again = await open(url)
        const closed = await Promise.race([
          again.closed,
          new Promise((resolve) => setTimeout(() => resolve('open'), 200)),
        ])
        return closed
      })
      .toBe('open')

    // Behind a TLS proxy every socket comes from the proxy: count the address it forwards.
    const proxied = await start({ maxSockets: 10, maxSocketsPerAddress: 1 }, { trustProxy: true })
    const a = await open(proxied, { 'x-forwarded-for': '203.0.113.7' })
    const b = await open(proxied, { 'x-forwarded-for': '198.51.100.1, 203.0.113.8' })
    const again = await open(proxied, { 'x-forwarded-for': '203.0.113.7' })
    expect(await again.closed).toEqual({ code: 1013, reason: 'too many sockets from this address' })
    a.send(announce(binaryId(), binaryId()))
    expect(await a.next()).toMatchObject({ action: 'announce' })
    b.send(announce(binaryId(), binaryId()))
    expect(await b.next()).toMatchObject({ action: 'announce' })
  })

  it('/stats shows the WebSocket swarms beside the HTTP and UDP ones', async () => {
    const tracker = await createTracker({
      http: [{ host: '127.0.0.1', port: 0 }],
      udp: [],
      ws: [{ host: '127.0.0.1', port: 0 }],
    })
    trackers.push(tracker)
    const url = `ws://127.0.0.1:${tracker.ws[0]?.port}/announce`
    const stats = async () => {
      const response = await fetch(`http://127.0.0.1:${tracker.http[0]?.port}/stats`)
      return ((await response.json()) as { webSocket?: unknown }).webSocket
    }
    const swarm = binaryId()
    const a = await open(url)
    const b = await open(url)
    a.send(announce(swarm, binaryId()))
    await a.next(isAnswerTo(swarm))
    b.send(announce(swarm, binaryId()))
    await b.next(isAnswerTo(swarm))
    b.send(announce(binaryId(), binaryId()))
    await b.next()
    expect(await stats()).toEqual({ sockets: 2, swarms: 2, peers: 3 })
    b.socket.close()
    await expect.poll(stats).toEqual({ sockets: 1, swarms: 1, peers: 1 })
    expect(await (await fetch(`http://127.0.0.1:${tracker.http[0]?.port}/`)).text()).toContain('WebSocket signalling')

    const plain = await createTracker({ http: [], udp: [] })
    trackers.push(plain)
    expect(plain.stats()).not.toHaveProperty('webSocket')
  })

  it('whitelist mode answers an unregistered infohash with a failure; private mode refuses --ws', async () => {
    const tracker = await createTracker({ http: [], udp: [], ws: [{ host: '127.0.0.1', port: 0 }], mode: 'whitelist' })
    trackers.push(tracker)
    const registered = Buffer.alloc(20, 7)
    await tracker.register(infohashEntries(registered.toString('hex'), 0))
    const client = await open(`ws://127.0.0.1:${tracker.ws[0]?.port}`)
    client.send(announce(binaryId(), binaryId()))
    expect(await client.next()).toMatchObject({ 'failure reason': 'infohash not registered with this tracker' })
    client.send(announce(registered.toString('latin1'), binaryId()))
    expect(await client.next()).toMatchObject({ interval: 1800, incomplete: 1 })
    await expect(
      createTracker({ http: [], udp: [], ws: [{ host: '127.0.0.1', port: 0 }], mode: 'private', accounts: true }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})

describe('decodeWsMessage', () => {
  const limits = DEFAULT_WS_LIMITS
  const id = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => Buffer.from(bytes).toString('latin1'))

  it('any text either decodes or throws WsMessageError, never anything else', () => {
    const texts = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((value) => JSON.stringify({ action: 'announce', info_hash: value })),
    )
    fc.assert(
      fc.property(texts, (text) => {
        try {
          decodeWsMessage(text, limits)
        } catch (err) {
          expect(err).toBeInstanceOf(WsMessageError)
          expect((err as WsMessageError).code).toBe('WS_MESSAGE_MALFORMED')
        }
      }),
    )
  })

  it('a well-formed announce decodes to what was sent, binary ids byte for byte', () => {
    const offer = fc.record({ sdp: fc.string({ minLength: 1, maxLength: 200 }), offer_id: id })
    fc.assert(
      fc.property(
        id,
        id,
        fc.array(offer, { maxLength: limits.maxOffers }),
        fc.nat(100),
        (infoHash, peerId, offers, numwant) => {
          const message = decodeWsMessage(
            JSON.stringify({
              action: 'announce',
              info_hash: infoHash,
              peer_id: peerId,
              numwant,
              offers: offers.map((o) => ({ offer: { type: 'offer', sdp: o.sdp }, offer_id: o.offer_id })),
            }),
            limits,
          )
          expect(message).toMatchObject({ action: 'announce', infoHash, peerId, numwant, answer: undefined })
          if (message.action !== 'announce') throw new Error('not an announce')
          expect(message.offers.map((o) => [o.offer.sdp, o.offerId])).toEqual(offers.map((o) => [o.sdp, o.offer_id]))
        },
      ),
    )
  })
})
