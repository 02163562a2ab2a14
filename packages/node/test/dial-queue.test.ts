import { ManualClock } from '@mycel/dht/testing'
import { TransportError } from '@mycel/transport'
import { describe, expect, it } from 'vitest'
import { NodeError } from '../src/errors.js'
import { AddressBook, DIAL_BACKOFF_MS } from '../src/peer/address-book.js'
import type { PeerConnection } from '../src/peer/connection.js'
import { DialQueue, type DialQueueOptions, rankPrior, SOURCE_RANK_WEIGHT } from '../src/peer/dial-queue.js'

/** A dial the test settles by hand. */
interface PendingDial {
  address: string
  signal: AbortSignal
  answer(peerId: string): void
  fail(error?: Error): void
}

function peer(peerIdText: string): PeerConnection {
  return { peerIdText, score: 0, isClosed: false } as unknown as PeerConnection
}

class Target {
  readonly invited: string[] = []
  wants = true
  constructor(readonly name: string) {}
  invite(connection: PeerConnection): void {
    this.invited.push(connection.peerIdText)
  }
}

function setup(options: Partial<DialQueueOptions<Target>> & { now?: () => number } = {}) {
  const dials: PendingDial[] = []
  const connections = new Map<string, PeerConnection>()
  const book = options.book ?? new AddressBook(options.now)
  const queue = new DialQueue<Target>({
    book,
    dial: (address, signal) =>
      new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => reject(TransportError.aborted(signal.reason)), { once: true })
        dials.push({
          address,
          signal,
          answer: (peerId) => {
            const connection = peer(peerId)
            connections.set(peerId, connection)
            resolve(connection)
          },
          fail: (error) => reject(error ?? new TransportError('DIAL_FAILED', `${address} refused`)),
        })
      }),
    connection: (peerId) => connections.get(peerId),
    connectionAt: () => undefined,
    canConnect: () => true,
    wants: (target) => target.wants,
    invite: (target, connection) => target.invite(connection),
    maxDials: 2,
    stallMs: 60_000,
    timeoutMs: 60_000,
    ...options,
  })
  const pending = () => dials.filter((dial) => !dial.signal.aborted && !settled.has(dial))
  const settled = new Set<PendingDial>()
  const settle = async (dial: PendingDial, outcome: 'answer' | 'fail', peerId = `peer-of-${dial.address}`) => {
    settled.add(dial)
    if (outcome === 'answer') dial.answer(peerId)
    else dial.fail()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { queue, dials, book, connections, pending, settle }
}

const addresses = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `tcp://10.0.${prefix}.${i + 1}:4000`)

describe('the dial queue', () => {
  it('runs a bounded number of dials; one that stalls lets another start, up to the open limit', async () => {
    const clock = new ManualClock()
    const { queue, dials } = setup({ maxDials: 2, stallMs: 30, maxOpenDials: 5, clock })
    const target = new Target('x')
    queue.add(target, addresses('1', 20))
    expect(dials).toHaveLength(2)
    // Each stall frees a slot: two more start, and so on up to five open dials, no more.
    await clock.advance(29)
    expect(dials).toHaveLength(2)
    await clock.advance(1)
    expect(dials).toHaveLength(4)
    await clock.advance(30)
    expect(dials).toHaveLength(5)
    await clock.advance(10 * 30) // every stall long past: none frees a slot of the five open
    expect(dials).toHaveLength(5)
    expect(queue.dialling).toBe(5)
    queue.close()
  })

  it('cuts off a dial that does not answer in time, and backs its address off', async () => {
    const clock = new ManualClock()
    const { queue, book, dials } = setup({ timeoutMs: 30, clock })
    const target = new Target('x')
    const [silent] = addresses('2', 1) as [string]
    const dial = queue.dial(silent)
    await clock.advance(29)
    expect(dials[0]?.signal.aborted).toBe(false)
    await clock.advance(1)
    expect(dials[0]?.signal.aborted).toBe(true)
    await expect(dial).rejects.toMatchObject({ code: 'PEER_TIMEOUT' })
    expect(book.isBackingOff(silent)).toBe(true)
    queue.add(target, [silent])
    expect(queue.queued).toBe(0)
    expect(dials).toHaveLength(1)
  })

  it('queues each address once, at most the per-share bound, and dials the next as each ends', async () => {
    const { queue, dials, pending, settle } = setup({ maxDials: 1, maxQueued: 3 })
    const target = new Target('x')
    const list = addresses('3', 5)
    queue.add(target, [...list, ...list])
    expect(dials.map((dial) => dial.address)).toEqual([list[0]])
    expect(queue.queued).toBe(3 - 1) // three queued, one of them dialling now; the rest dropped
    for (let i = 0; i < 3; i++) await settle(pending()[0] as PendingDial, 'fail')
    expect(dials.map((dial) => dial.address)).toEqual(list.slice(0, 3))
  })

  it('takes turns between shares, whatever the length of their queues', async () => {
    const { queue, dials, pending, settle } = setup({ maxDials: 1 })
    const busy = new Target('busy')
    const quiet = new Target('quiet')
    queue.add(busy, addresses('4', 50))
    queue.add(quiet, addresses('5', 2))
    for (let i = 0; i < 5; i++) await settle(pending()[0] as PendingDial, 'fail')
    expect(dials.map((dial) => dial.address.split('.')[2])).toEqual(['4', '5', '4', '5', '4', '4'])
  })

  it('dials addresses the user gave first, then those that answered before (best score first), then new, then failed', async () => {
    let time = 1_000_000
    const { queue, book, dials, pending, settle } = setup({ maxDials: 1, now: () => time })
    const target = new Target('x')
    const [first, fresh, failed, good, better, given] = addresses('6', 6) as string[]
    queue.add(target, [first as string]) // holds the one slot while the others are queued
    book.failed(failed as string)
    time += DIAL_BACKOFF_MS // its backoff is over
    book.answered(good as string, 'good', 1)
    book.answered(better as string, 'better', 8)
    queue.add(target, [failed, fresh, good, better] as string[])
    queue.add(target, [given as string], { direct: true })
    for (let i = 0; i < 5; i++) await settle(pending()[0] as PendingDial, 'fail')
    expect(dials.map((dial) => dial.address)).toEqual([first, given, better, good, fresh, failed])
  })

  it("takes a source's rank (a tracker's reputation order) as a prior: it orders what local evidence ranks alike, never over it", async () => {
    let time = 1_000_000
    const { queue, book, pending, settle, dials } = setup({ maxDials: 1, now: () => time })
    const target = new Target('x')
    const [first, knownWorse, knownBetter, tiedLow, tiedHigh, newA, newB, newC, failedTop, failedLow] = addresses(
      '9',
      10,
    ) as string[]
    queue.add(target, [first as string]) // holds the one slot while the others are queued
    book.answered(knownWorse as string, 'worse', 1)
    book.answered(knownBetter as string, 'better', 2)
    book.answered(tiedLow as string, 'tied-low', 5)
    book.answered(tiedHigh as string, 'tied-high', 5)
    book.failed(failedTop as string)
    book.failed(failedLow as string)
    time += DIAL_BACKOFF_MS // their backoffs are over
    // The tracker's order: its first peers are the worse ones by our own evidence.
    // Each pair that local evidence ranks alike is found in the order the ranks reverse.
    queue.add(target, [knownWorse as string], { rank: 0 })
    queue.add(target, [failedLow as string], { rank: 5 })
    queue.add(target, [knownBetter as string], { rank: 9 })
    queue.add(target, [tiedLow as string], { rank: 7 })
    queue.add(target, [tiedHigh as string], { rank: 2 })
    // New addresses: found in the order C, B, A; ranked A first.
    queue.add(target, [newC as string], { rank: 6 })
    queue.add(target, [newB as string]) // no rank (another source): after every ranked one of its tier
    queue.add(target, [newA as string], { rank: 3 })
    queue.add(target, [newA as string], { rank: 8 }) // a worse rank from another source: the best is kept
    queue.add(target, [failedTop as string], { rank: 1 })
    for (let i = 0; i < 10; i++) await settle(pending()[0] as PendingDial, 'fail')
    expect(dials.map((dial) => dial.address)).toEqual([
      first,
      tiedHigh, // score 5, rank 2
      tiedLow, // score 5, rank 7
      knownBetter, // score 2: local evidence beats the tracker's rank 0 of the score-1 peer
      knownWorse,
      newA, // never tried: by rank
      newC,
      newB,
      failedTop, // failed once each: by rank
      failedLow,
    ])
    expect(rankPrior(0)).toBe(SOURCE_RANK_WEIGHT)
    expect(rankPrior(0)).toBeLessThan(1) // less than one score point
    expect(rankPrior(undefined)).toBe(0)
  })

  it('does not queue an address backing off, unless the user gave it', () => {
    const { queue, book, dials } = setup({ maxDials: 1 })
    const target = new Target('x')
    const [address] = addresses('7', 1) as [string]
    book.failed(address)
    queue.add(target, [address])
    expect(dials).toHaveLength(0)
    queue.add(target, [address], { direct: true })
    expect(dials.map((dial) => dial.address)).toEqual([address])
  })

  it('invites every share that asked for an address being dialled, once it answers', async () => {
    const { queue, dials, settle } = setup()
    const a = new Target('a')
    const b = new Target('b')
    const [address] = addresses('8', 1) as [string]
    queue.add(a, [address])
    queue.add(b, [address])
    expect(dials).toHaveLength(1)
    await settle(dials[0] as PendingDial, 'answer', 'seeder')
    expect(a.invited).toEqual(['seeder'])
    expect(b.invited).toEqual(['seeder'])
  })

  it('invites a share over the connection an address leads to, without dialling it again', async () => {
    const { queue, dials, settle } = setup()
    const a = new Target('a')
    const b = new Target('b')
    const [address] = addresses('9', 1) as [string]
    queue.add(a, [address])
    await settle(dials[0] as PendingDial, 'answer', 'seeder')
    queue.add(b, [address])
    expect(dials).toHaveLength(1)
    expect(b.invited).toEqual(['seeder'])
    expect(await queue.dial(address)).toMatchObject({ peerIdText: 'seeder' })
    expect(dials).toHaveLength(1)
  })

  it('drops the queue of a share that no longer wants peers, and keeps dials going for the others', async () => {
    const { queue, dials, pending, settle } = setup({ maxDials: 1 })
    const done = new Target('done')
    const other = new Target('other')
    queue.add(done, addresses('10', 5))
    queue.add(other, addresses('11', 1))
    done.wants = false
    await settle(pending()[0] as PendingDial, 'answer', 'p1')
    expect(done.invited).toEqual([]) // answered after it stopped wanting peers
    await settle(pending()[0] as PendingDial, 'fail')
    expect(dials.map((dial) => dial.address.split('.')[2])).toEqual(['10', '11'])
    expect(queue.queued).toBe(0)
  })

  it('remembers no failure for a refusal that is not the address’s fault, and the longest for ourselves', async () => {
    const { queue, book, dials } = setup()
    const [busy, self] = addresses('12', 2) as [string, string]
    const limit = queue.dial(busy)
    dials[0]?.fail(new NodeError('PEER_LIMIT', 'full'))
    await expect(limit).rejects.toMatchObject({ code: 'PEER_LIMIT' })
    expect(book.isBackingOff(busy)).toBe(false)
    const ourselves = queue.dial(self)
    dials[1]?.fail(new NodeError('PEER_SELF', 'ourselves'))
    await expect(ourselves).rejects.toMatchObject({ code: 'PEER_SELF' })
    expect(book.rank(self)).toEqual({ tier: 2, weight: -1 })
    expect(book.isBackingOff(self)).toBe(true)
  })

  it('close aborts the dials in flight and refuses new ones', async () => {
    const { queue, dials } = setup()
    const target = new Target('x')
    queue.add(target, addresses('13', 3))
    queue.close()
    expect(dials.every((dial) => dial.signal.aborted)).toBe(true)
    await expect(queue.dial('tcp://10.0.13.9:4000')).rejects.toMatchObject({ code: 'CLOSED' })
    queue.add(target, addresses('14', 1))
    expect(dials).toHaveLength(2)
  })
})
