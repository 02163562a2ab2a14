import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Bitfield, PiecePicker } from '../src/index.js'

/** A small seeded PRNG (mulberry32), so simulations are reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

function randomBitfield(size: number, density: number, random: () => number): Bitfield {
  const field = new Bitfield(size)
  for (let i = 0; i < size; i++) if (random() < density) field.set(i)
  return field
}

describe('PiecePicker', () => {
  it('picks rarest first, only pieces the peer has, and counts availability exactly', () => {
    const random = seeded(1)
    const picker = new PiecePicker<string>(100, { random })
    const fields = new Map<string, Bitfield>()
    for (let p = 0; p < 10; p++) {
      const field = randomBitfield(100, 0.1 + p * 0.08, random)
      fields.set(`p${p}`, field)
      picker.addPeer(`p${p}`, field)
    }
    picker.addPeer('seed', Bitfield.full(100))
    fields.set('seed', Bitfield.full(100))
    const count = (piece: number) => [...fields.values()].filter((f) => f.get(piece)).length
    for (let piece = 0; piece < 100; piece++) expect(picker.availability(piece)).toBe(count(piece))
    const picked = picker.pick('seed', 100)
    expect(picked.length).toBe(100)
    const availabilities = picked.map(count)
    expect(availabilities).toEqual([...availabilities].sort((a, b) => a - b))
    const field = fields.get('p3') as Bitfield
    picker.removePeer('seed')
    for (const piece of picked) picker.release('seed', piece)
    for (const piece of picker.pick('p3', 100)) expect(field.get(piece)).toBe(true)
  })

  it('breaks ties at random', () => {
    const first = new Set<number>()
    for (let seed = 0; seed < 200; seed++) {
      const picker = new PiecePicker<string>(50, { random: seeded(seed) })
      picker.addPeer('seed', Bitfield.full(50))
      first.add(picker.pick('seed')[0] as number)
    }
    expect(first.size).toBeGreaterThan(30)
  })

  it('picks priority ranges first and in order, skipping what is done or in flight', () => {
    const picker = new PiecePicker<string>(100, { random: seeded(2) })
    picker.addPeer('a', Bitfield.full(100))
    picker.addPeer('b', Bitfield.full(100))
    picker.markDone(11)
    picker.setPriority([
      { start: 10, end: 15 },
      { start: 90, end: 92 },
    ])
    expect(picker.pick('a', 2)).toEqual([10, 12])
    const picks = picker.pick('b', 6)
    expect(picks.slice(0, 4)).toEqual([13, 14, 90, 91])
    expect(picks.length).toBe(6)
    picker.setPriority([{ start: -5, end: 1e9 }])
    const next = picker.pick('a', 3)
    expect(next).toEqual([...next].sort((x, y) => x - y))
  })

  it('enters endgame when every piece is requested, and hands out duplicates to other peers', () => {
    const picker = new PiecePicker<string>(3, { random: seeded(3) })
    picker.addPeer('a', Bitfield.full(3))
    picker.addPeer('b', Bitfield.full(3))
    expect(picker.inEndgame).toBe(false)
    expect(picker.pick('a', 3).sort()).toEqual([0, 1, 2])
    expect(picker.inEndgame).toBe(true)
    const duplicates = picker.pick('b', 2)
    expect(duplicates.length).toBe(2)
    expect(picker.pick('b', 5).length).toBe(1)
    expect(picker.pick('a', 5)).toEqual([])
    const cancel = picker.markDone(duplicates[0] as number)
    expect(cancel.sort()).toEqual(['a', 'b'])
    expect(picker.requesters(duplicates[0] as number)).toEqual([])
    expect(picker.remaining).toBe(2)
  })

  it('is not in endgame while a piece some peer has is still unrequested', () => {
    const picker = new PiecePicker<string>(4, { random: seeded(4) })
    const half = new Bitfield(4)
    half.set(0)
    half.set(1)
    picker.addPeer('a', half)
    picker.pick('a', 2)
    expect(picker.inEndgame).toBe(true) // pieces 2 and 3 are on no peer
    picker.addPeer('b', Bitfield.full(4))
    expect(picker.inEndgame).toBe(false)
    const picked = picker.pick('b', 4)
    expect(picked.slice(0, 2).sort()).toEqual([2, 3])
    expect(picked.slice(2).sort()).toEqual([0, 1]) // the last pieces requested, endgame begins in the same pick
    expect(picker.inEndgame).toBe(true)
  })

  it('failed pieces are wanted again; markMissing undoes markDone', () => {
    const picker = new PiecePicker<string>(2, { random: seeded(5) })
    picker.addPeer('a', Bitfield.full(2))
    const [piece] = picker.pick('a')
    expect(picker.markFailed(piece as number)).toEqual(['a'])
    expect(picker.pick('a', 2).sort()).toEqual([0, 1])
    picker.markDone(0)
    picker.markDone(1)
    expect(picker.isComplete).toBe(true)
    expect(picker.pick('a')).toEqual([])
    picker.markMissing(1)
    expect(picker.isDone(1)).toBe(false)
    expect(picker.pick('a')).toEqual([1])
  })

  it('starts from the pieces already held and refuses misuse', () => {
    const have = new Bitfield(4)
    have.set(0)
    have.set(2)
    const picker = new PiecePicker<string>(4, { have, random: seeded(6) })
    picker.addPeer('a', Bitfield.full(4))
    expect(picker.remaining).toBe(2)
    expect(picker.pick('a', 4).sort()).toEqual([1, 3])
    expect(() => picker.addPeer('a', Bitfield.full(4))).toThrow()
    expect(() => picker.addPeer('b', Bitfield.full(5))).toThrow(RangeError)
    expect(() => picker.pick('nobody')).toThrow()
    expect(() => picker.peerHas('a', 4)).toThrow(RangeError)
    expect(() => new PiecePicker(4, { have: new Bitfield(3) })).toThrow(RangeError)
    expect(() => new PiecePicker(-1)).toThrow(RangeError)
  })

  it('a simulated swarm with churn finishes the share, within the rules at every step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const random = seeded(seed)
        const pieces = 300
        const picker = new PiecePicker<number>(pieces, { random })
        const peers = new Map<number, Bitfield>()
        const inFlight = new Map<number, Set<number>>()
        const done = new Set<number>()
        let nextPeer = 0
        const join = () => {
          const id = nextPeer++
          const field = random() < 0.15 ? Bitfield.full(pieces) : randomBitfield(pieces, random() * 0.6, random)
          peers.set(id, field)
          picker.addPeer(id, field)
        }
        const leave = (id: number) => {
          const released = picker.removePeer(id)
          expect(released.sort()).toEqual([...(inFlight.get(id) ?? [])].sort())
          peers.delete(id)
          inFlight.delete(id)
        }
        for (let i = 0; i < 20; i++) join()
        let steps = 0
        while (!picker.isComplete && steps++ < 2000) {
          for (const [id, field] of peers) {
            const mine = inFlight.get(id) ?? new Set<number>()
            inFlight.set(id, mine)
            for (const piece of picker.pick(id, 4 - mine.size)) {
              expect(field.get(piece)).toBe(true)
              expect(done.has(piece)).toBe(false)
              expect(mine.has(piece)).toBe(false)
              // a piece already requested from another peer is only handed out in endgame
              if ([...inFlight.values()].some((set) => set.has(piece))) expect(picker.inEndgame).toBe(true)
              mine.add(piece)
            }
          }
          for (const [id, mine] of inFlight) {
            for (const piece of [...mine]) {
              const roll = random()
              if (roll < 0.3) {
                for (const other of picker.markDone(piece)) inFlight.get(other)?.delete(piece)
                expect(done.has(piece)).toBe(false)
                done.add(piece)
              } else if (roll < 0.33) {
                for (const other of picker.markFailed(piece)) inFlight.get(other)?.delete(piece)
              } else if (roll < 0.36) {
                picker.release(id, piece)
                mine.delete(piece)
              }
            }
          }
          for (const [id, field] of peers) {
            if (random() < 0.05) {
              const piece = Math.floor(random() * pieces)
              picker.peerHas(id, piece)
              field.set(piece)
            }
          }
          if (random() < 0.3 && peers.size > 3) leave([...peers.keys()][Math.floor(random() * peers.size)] as number)
          if (random() < 0.3) join()
          for (let piece = 0; piece < pieces; piece += 37) {
            expect(picker.availability(piece)).toBe([...peers.values()].filter((f) => f.get(piece)).length)
          }
        }
        expect(picker.isComplete).toBe(true)
        expect(done.size).toBe(pieces)
      }),
      { numRuns: 10 },
    )
  })

  it('handles a large share: 2^20 pieces, seeds and partial peers', () => {
    const pieces = 2 ** 20
    const random = seeded(7)
    const picker = new PiecePicker<string>(pieces, { random })
    picker.addPeer('seed', Bitfield.full(pieces))
    const partial = new Bitfield(pieces)
    for (let i = 0; i < pieces; i += 3) partial.set(i)
    picker.addPeer('partial', partial)
    const picks = picker.pick('seed', 64)
    expect(new Set(picks).size).toBe(64)
    for (const piece of picks) expect(picker.availability(piece)).toBe(1)
    for (const piece of picker.pick('partial', 64)) expect(piece % 3).toBe(0)
    for (let i = 0; i < 1000; i++) picker.markDone(i * 7)
    expect(picker.remaining).toBe(pieces - 1000)
  })
})
