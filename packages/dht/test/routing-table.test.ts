import { describe, expect, it } from 'vitest'
import { commonPrefixLength, compareDistance, type NodeContact } from '../src/index.js'
import { Liveness } from '../src/routing/liveness.js'
import { type RoutingEntry, RoutingTable } from '../src/routing/table.js'
import { ManualClock } from '../src/testing.js'

const MINUTE = 60_000
const own = new Uint8Array(20)

/** An id whose first bits are `bits` ('0'/'1' text), then `fill` in the last byte. */
function idWith(bits: string, fill = 0): Uint8Array {
  const id = new Uint8Array(20)
  for (let i = 0; i < bits.length; i++) if (bits[i] === '1') id[i >> 3] = (id[i >> 3] as number) | (0x80 >> (i & 7))
  id[19] = (id[19] as number) | fill
  return id
}

let nextHost = 1
function contact(id: Uint8Array): NodeContact {
  const n = nextHost++
  return { id, host: `10.0.${n >> 8}.${n & 255}`, port: 6881 }
}

describe('routing table: buckets', () => {
  it('splits only the bucket holding our own id, as BEP 5 describes', () => {
    const table = new RoutingTable({ id: own, k: 2 })
    // Two far nodes (first bit 1) fill the single bucket.
    expect(table.observe(contact(idWith('1', 1)), 'response', 0).status).toBe('added')
    expect(table.observe(contact(idWith('1', 2)), 'response', 0).status).toBe('added')
    expect(table.bucketCount).toBe(1)
    // A third far node: the bucket covers our id, so it splits into 0..2^159 and 2^159..2^160.
    expect(table.observe(contact(idWith('1', 3)), 'response', 0).status).toBe('full')
    expect(table.bucketCount).toBe(2)
    // The far bucket no longer covers our id: it never splits again, and is full of good nodes.
    expect(table.observe(contact(idWith('11', 4)), 'response', 0).status).toBe('full')
    expect(table.bucketCount).toBe(2)
    // Near nodes go to the bucket with our id, which keeps splitting as it fills.
    for (const prefix of ['01', '011', '001', '0001', '00001']) table.observe(contact(idWith(prefix)), 'response', 0)
    expect(table.bucketCount).toBeGreaterThan(2)
    expect(table.size).toBe(7)
    for (const entry of table.entries()) expect(table.get(entry.id)).toBe(entry)
  })

  it('ignores our own id and unknown nodes that only queried us', () => {
    const table = new RoutingTable({ id: own, k: 8 })
    expect(table.observe(contact(own), 'response', 0).status).toBe('ignored')
    expect(table.observe(contact(idWith('1')), 'query', 0).status).toBe('ignored')
    expect(table.size).toBe(0)
  })

  it('keeps one id per address and one address per id while the node is not bad', () => {
    const table = new RoutingTable({ id: own, k: 8 })
    const first = contact(idWith('1', 1))
    table.observe(first, 'response', 0)
    expect(table.observe({ ...first, id: idWith('1', 2) }, 'response', 0).status).toBe('ignored')
    expect(table.observe({ ...first, port: 9999 }, 'response', 0).status).toBe('ignored')
    table.failed(first.id, 0, true)
    expect(table.observe({ ...first, id: idWith('1', 2) }, 'response', 0).status).toBe('added')
    expect(table.get(first.id)).toBeUndefined()
  })

  it('returns the closest non-bad nodes in order of XOR distance', () => {
    const table = new RoutingTable({ id: own, k: 8 })
    const ids = Array.from({ length: 40 }, (_, i) => {
      const id = new Uint8Array(20)
      id[0] = (i * 37) & 0xff
      id[1] = i
      return id
    })
    for (const id of ids) table.observe(contact(id), 'response', 0)
    const target = idWith('1011')
    const closest = table.closest(target, 5)
    const inTable = [...table.entries()].map((entry) => entry.id)
    const expected = inTable.sort((a, b) => compareDistance(a, b, target)).slice(0, 5)
    expect(closest.map((entry) => entry.id)).toEqual(expected)
    table.failed(expected[0] as Uint8Array, 0, true)
    const alive = [...table.entries()].filter((entry) => table.state(entry, 0) !== 'bad').map((entry) => entry.id)
    const after = table.closest(target, 5).map((entry) => entry.id)
    expect(after).toEqual(alive.sort((a, b) => compareDistance(a, b, target)).slice(0, 5))
    expect(after).not.toContainEqual(expected[0])
    expect(table.closest(target, 0)).toEqual([])
  })
})

describe('routing table: node states (BEP 5)', () => {
  it('good for 15 minutes after an answer, then questionable; good again if it queries us', () => {
    const table = new RoutingTable({ id: own, k: 8 })
    const node = contact(idWith('1'))
    table.observe(node, 'response', 0)
    const entry = table.get(node.id)
    if (entry === undefined) throw new Error('not added')
    expect(table.state(entry, 14 * MINUTE)).toBe('good')
    expect(table.state(entry, 15 * MINUTE)).toBe('questionable')
    table.observe(node, 'query', 20 * MINUTE)
    expect(table.state(entry, 21 * MINUTE)).toBe('good')
    expect(table.state(entry, 35 * MINUTE)).toBe('questionable')
    expect(table.counts(35 * MINUTE)).toMatchObject({ nodes: 1, good: 0, questionable: 1, bad: 0 })
  })

  it('bad after failing two queries in a row; an answer clears the failures', () => {
    const table = new RoutingTable({ id: own, k: 8 })
    const node = contact(idWith('1'))
    table.observe(node, 'response', 0)
    const entry = table.get(node.id)
    if (entry === undefined) throw new Error('not added')
    table.failed(node.id, 1)
    expect(table.state(entry, 1)).toBe('good')
    table.observe(node, 'response', 2)
    table.failed(node.id, 3)
    expect(table.state(entry, 3)).toBe('good')
    table.failed(node.id, 4)
    expect(table.state(entry, 4)).toBe('bad')
    expect(table.closest(node.id, 8)).toEqual([])
  })

  it('a full bucket replaces a bad node at once', () => {
    const table = new RoutingTable({ id: own, k: 2 })
    const a = contact(idWith('1', 1))
    const b = contact(idWith('1', 2))
    table.observe(a, 'response', 0)
    table.observe(b, 'response', 0)
    table.observe(contact(idWith('01')), 'response', 0) // split: far bucket now full and fixed
    table.failed(a.id, 0, true)
    const c = contact(idWith('1', 3))
    expect(table.observe(c, 'response', 0).status).toBe('added')
    expect(table.get(a.id)).toBeUndefined()
    expect(table.get(c.id)).toBeDefined()
  })
})

describe('routing table: least-recently-seen replacement with a ping', () => {
  function fullFarBucket(clock: ManualClock) {
    const table = new RoutingTable({ id: own, k: 2 })
    const old = contact(idWith('1', 1))
    const recent = contact(idWith('1', 2))
    table.observe(old, 'response', clock.now())
    table.observe(recent, 'response', clock.now() + 1)
    table.observe(contact(idWith('01')), 'response', clock.now())
    return { table, old, recent }
  }

  it('pings the least recently seen questionable node and keeps it if it answers', async () => {
    const clock = new ManualClock()
    const { table, old, recent } = fullFarBucket(clock)
    await clock.advance(16 * MINUTE)
    const pinged: string[] = []
    const liveness = new Liveness(table, clock, 4, async (node) => {
      pinged.push(node.host)
      table.observe(node, 'response', clock.now()) // it answers
    })
    const newcomer = contact(idWith('1', 3))
    liveness.responded(newcomer)
    await clock.advance(0)
    // The old node answered; then the next questionable one was tried, and answered too.
    expect(pinged).toEqual([old.host, recent.host])
    expect(table.get(newcomer.id)).toBeUndefined()
    expect(table.get(old.id)).toBeDefined()
    for (const node of [old, recent]) expect(table.state(table.get(node.id) as RoutingEntry, clock.now())).toBe('good')
  })

  it('replaces the questionable node with the newcomer when the ping (and its retry) fail', async () => {
    const clock = new ManualClock()
    const { table, old } = fullFarBucket(clock)
    await clock.advance(16 * MINUTE)
    const retries: number[] = []
    const liveness = new Liveness(table, clock, 4, async (_node, retry) => {
      retries.push(retry)
      throw new Error('timeout')
    })
    const newcomer = contact(idWith('1', 3))
    liveness.responded(newcomer)
    await clock.advance(0)
    expect(retries).toEqual([1])
    expect(table.get(old.id)).toBeUndefined()
    expect(table.get(newcomer.id)).toBeDefined()
  })

  it('does not ping when the bucket is full of good nodes', async () => {
    const clock = new ManualClock()
    const { table } = fullFarBucket(clock)
    let pings = 0
    const liveness = new Liveness(table, clock, 4, async () => {
      pings++
    })
    liveness.responded(contact(idWith('1', 3)))
    await clock.advance(0)
    expect(pings).toBe(0)
  })

  it('checks nodes that query us with a ping before adding them, within the ping bound', async () => {
    const clock = new ManualClock()
    const table = new RoutingTable({ id: own, k: 8 })
    const pinged: NodeContact[] = []
    const liveness = new Liveness(table, clock, 2, async (node) => {
      pinged.push(node)
    })
    for (let i = 0; i < 5; i++) liveness.queried(contact(idWith('1', i)))
    expect(pinged.length).toBe(2)
    expect(liveness.pending).toBe(2)
    await clock.advance(0)
    expect(liveness.pending).toBe(0)
  })
})

describe('routing table: refresh', () => {
  it('reports buckets unchanged for 15 minutes and gives a target inside each', () => {
    const table = new RoutingTable({ id: own, k: 2 }, 0)
    for (const prefix of ['1', '11', '01', '011', '001', '0011'])
      table.observe(contact(idWith(prefix, 1)), 'response', 0)
    expect(table.staleBuckets(14 * MINUTE, 15 * MINUTE)).toEqual([])
    const stale = table.staleBuckets(15 * MINUTE, 15 * MINUTE)
    expect(stale.length).toBe(table.bucketCount)
    const last = table.bucketCount - 1
    for (const index of stale) {
      const target = table.refreshTarget(index, 15 * MINUTE)
      const prefix = commonPrefixLength(target, own)
      if (index < last) expect(prefix).toBe(index)
      else expect(prefix).toBeGreaterThanOrEqual(index)
    }
    expect(table.staleBuckets(16 * MINUTE, 15 * MINUTE)).toEqual([])
    // An answer from a node marks its bucket changed.
    const node = [...table.entries()][0] as NodeContact
    table.observe(node, 'response', 40 * MINUTE)
    expect(table.staleBuckets(40 * MINUTE, 15 * MINUTE).length).toBe(table.bucketCount - 1)
  })
})
