import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compactKey } from '../src/address.js'
import { type SwarmLimits, SwarmTable } from '../src/core/swarm-table.js'

const LIMITS: SwarmLimits = { maxSwarms: 100, maxPeers: 10_000, maxPeersPerSwarm: 1000, maxPeersPerAddress: 1000 }

const peer = (n: number, port = 6881) => compactKey(new Uint8Array([10, 0, n >> 8, n & 255]), port)
const swarmKey = (n: number) => String.fromCharCode(...new Uint8Array(20).fill(n))

function join(table: SwarmTable, swarm: string, who: string, seeder: boolean, now = 0, stopped = false) {
  const s = table.open(swarm)
  if (s === undefined) throw new Error('table full')
  return table.announce(s, { peer: who, seeder, stopped, expiresAt: now + 100 })
}

describe('swarms', () => {
  it('adds, refreshes, moves a completing leecher to the seeders (counted once) and removes on stop', () => {
    const table = new SwarmTable(LIMITS)
    const key = swarmKey(1)
    expect(join(table, key, peer(1), false)).toMatchObject({ peers: 1 })
    expect(join(table, key, peer(2), true)).toMatchObject({ peers: 1 })
    expect(join(table, key, peer(1), false)).toMatchObject({ peers: 0, completed: false })
    const swarm = table.get(key)
    expect([swarm?.seeders, swarm?.leechers, table.peers, table.seeders, table.leechers]).toEqual([1, 1, 2, 1, 1])
    expect(join(table, key, peer(1), true)).toMatchObject({ completed: true })
    // a seeder announcing again, or leaving and coming back as a seeder, is not a new download
    expect(join(table, key, peer(1), true)).toMatchObject({ completed: false })
    expect(swarm?.completed).toBe(1)
    expect(join(table, key, peer(1), true, 0, true)).toMatchObject({ peers: -1 })
    expect(join(table, key, peer(1), true)).toMatchObject({ peers: 1, completed: false })
    expect(swarm?.completed).toBe(1)
    expect(table.takeCompleted()).toEqual([{ key, delta: 1 }])
    expect(table.takeCompleted()).toEqual([])
    // a leecher that stops with nothing left finished too; one that stops with bytes left did not
    join(table, key, peer(3), false)
    expect(join(table, key, peer(3), true, 0, true)).toMatchObject({ peers: -1, completed: true })
    join(table, key, peer(4), false)
    expect(join(table, key, peer(4), false, 0, true)).toMatchObject({ peers: -1, completed: false })
    expect(swarm?.completed).toBe(2)
    expect(table.takeCompleted()).toEqual([{ key, delta: 1 }])
  })

  it('gives a seeder only leechers, never the requester itself, and the wanted family', () => {
    const table = new SwarmTable(LIMITS)
    const key = swarmKey(2)
    for (let i = 0; i < 10; i++) join(table, key, peer(i), i < 5)
    const v6 = compactKey(new Uint8Array(16).fill(1), 1)
    join(table, key, v6, false)
    const swarm = table.get(key)
    if (swarm === undefined) throw new Error('no swarm')
    for (let round = 0; round < 50; round++) {
      const forSeeder = swarm.select(peer(0), true, 100, undefined)
      expect(forSeeder.peers4.length / 6).toBe(5)
      expect(forSeeder.peers6).toBe(v6)
      for (let i = 0; i < forSeeder.peers4.length; i += 6) expect(forSeeder.peers4.slice(i, i + 6)).not.toBe(peer(0))
      const forLeecher = swarm.select(peer(7), false, 3, 4)
      expect(forLeecher.peers4.length).toBe(18)
      expect(forLeecher.peers6).toBe('')
      expect(forLeecher.peers4).not.toContain(peer(7))
      const only6 = swarm.select(undefined, false, 50, 6)
      expect(only6).toEqual({ peers4: '', peers6: v6 })
    }
  })

  it('keeps every bound: peers per swarm, per address, in all; swarms in all (evicting idle ones first)', () => {
    const table = new SwarmTable({ maxSwarms: 3, maxPeers: 5, maxPeersPerSwarm: 3, maxPeersPerAddress: 2 })
    expect(join(table, swarmKey(1), peer(1), false)).toMatchObject({ peers: 1 })
    expect(join(table, swarmKey(1), peer(2), false)).toMatchObject({ peers: 1 })
    expect(join(table, swarmKey(1), peer(3), false)).toMatchObject({ peers: 1 })
    expect(join(table, swarmKey(1), peer(4), false)).toMatchObject({ full: true, peers: 0 })
    // per address: the same IP on other ports
    expect(join(table, swarmKey(2), peer(1, 1), false)).toMatchObject({ peers: 1 })
    expect(join(table, swarmKey(2), peer(1, 2), false)).toMatchObject({ full: true })
    expect(table.entriesOf(peer(1))).toBe(2)
    expect(join(table, swarmKey(2), peer(5), false)).toMatchObject({ peers: 1 })
    // in all: 5 peers
    expect(join(table, swarmKey(2), peer(6), false)).toMatchObject({ full: true })
    expect(table.peers).toBe(5)
    // swarms: a third one fits, a fourth only once one is idle
    expect(table.open(swarmKey(3))).toBeDefined()
    join(table, swarmKey(3), peer(7), false, 0, true)
    expect(table.open(swarmKey(4))).toBeDefined()
    expect(table.get(swarmKey(3))).toBeUndefined()
    expect(table.storageHasMore).toBe(true)
    join(table, swarmKey(4), peer(1, 3), false)
    expect(table.open(swarmKey(5))).toBeUndefined()
  })

  it('expires peers whose time passed, and frees their address entries', () => {
    const table = new SwarmTable(LIMITS)
    join(table, swarmKey(1), peer(1), false, 0)
    join(table, swarmKey(1), peer(2), true, 50)
    expect(table.expire(120)).toBe(1)
    expect(table.get(swarmKey(1))?.has(peer(1))).toBe(false)
    expect(table.entriesOf(peer(1))).toBe(0)
    expect(table.expire(200)).toBe(1)
    expect([table.peers, table.seeders, table.leechers, table.activeSize]).toEqual([0, 0, 0, 0])
  })

  it('stays consistent under any sequence of announces, stops and expiries (against a model)', () => {
    const op = fc.record({
      swarm: fc.nat({ max: 3 }),
      peer: fc.nat({ max: 12 }),
      seeder: fc.boolean(),
      stopped: fc.boolean(),
      expireAt: fc.option(fc.nat({ max: 300 }), { freq: 8, nil: undefined }),
      now: fc.nat({ max: 300 }),
    })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const table = new SwarmTable({ maxSwarms: 10, maxPeers: 20, maxPeersPerSwarm: 8, maxPeersPerAddress: 20 })
        const model = new Map<string, Map<string, { seeder: boolean; expires: number }>>()
        for (const { swarm, peer: p, seeder, stopped, expireAt, now } of ops) {
          if (expireAt !== undefined) {
            table.expire(expireAt)
            for (const peers of model.values()) for (const [k, v] of peers) if (v.expires < expireAt) peers.delete(k)
            continue
          }
          const key = swarmKey(swarm)
          const who = peer(p)
          const s = table.open(key)
          if (s === undefined) continue
          const change = table.announce(s, { peer: who, seeder, stopped, expiresAt: now + 100 })
          const peers = model.get(key) ?? new Map()
          model.set(key, peers)
          if (stopped) peers.delete(who)
          else if (peers.has(who) || !change.full) peers.set(who, { seeder, expires: now + 100 })
        }
        let total = 0
        let seeders = 0
        for (const [key, peers] of model) {
          const swarm = table.get(key)
          expect(swarm?.size ?? 0).toBe(peers.size)
          for (const who of peers.keys()) expect(swarm?.has(who)).toBe(true)
          const modelSeeders = [...peers.values()].filter((v) => v.seeder).length
          expect(swarm?.seeders ?? 0).toBe(modelSeeders)
          total += peers.size
          seeders += modelSeeders
          if (swarm !== undefined && swarm.size > 0) {
            const all = swarm.select(undefined, false, 1000, undefined)
            expect(all.peers4.length / 6).toBe(peers.size)
          }
        }
        expect(table.peers).toBe(total)
        expect(table.seeders).toBe(seeders)
        expect(table.leechers).toBe(total - seeders)
      }),
      { numRuns: 300 },
    )
  })
})
