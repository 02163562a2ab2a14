/**
 * The one compliance suite of `TrackerStorage`, run by every implementation
 * (SQLite and PostgreSQL): what the tracker relies on when it restarts,
 * when a batch fails, and when several processes share one database.
 */
import { randomBytes } from 'node:crypto'
import { toHex } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { RegisteredInfohash } from '../../src/core/registry.js'
import type { TrackerStorage } from '../../src/storage/storage.js'

/** Opens storages for one test: `open()` on a fresh database, `again()` on the same one. */
export interface StorageFixture {
  open(): Promise<TrackerStorage>
  again(): Promise<TrackerStorage>
}

const hash = (byte?: number) => (byte === undefined ? new Uint8Array(randomBytes(20)) : new Uint8Array(20).fill(byte))

function registered(infohash: Uint8Array, swarm = infohash, torrent = swarm, name?: string): RegisteredInfohash {
  return { infohash, swarm, torrent, addedAt: 1_700_000_000, ...(name !== undefined ? { name } : {}) }
}

/**
 * Declares the suite.
 *
 * @param name - the implementation
 * @param fixture - makes a fixture per test (a fresh database)
 */
export function describeStorageCompliance(name: string, fixture: () => Promise<StorageFixture>): void {
  describe(`TrackerStorage compliance: ${name}`, () => {
    const opened: TrackerStorage[] = []
    let current: StorageFixture
    const open = async () => {
      current = await fixture()
      const storage = await current.open()
      opened.push(storage)
      return storage
    }
    const again = async () => {
      const storage = await current.again()
      opened.push(storage)
      return storage
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((storage) => storage.close()))
    })

    it('keeps one secret of 32 bytes, created once, the same after a reopen and for a second user of the database', async () => {
      const storage = await open()
      const secret = await storage.secret()
      expect(secret).toHaveLength(32)
      expect(await storage.secret()).toEqual(secret)
      const second = await again()
      expect(await second.secret()).toEqual(secret)
      await storage.close()
      expect(await (await again()).secret()).toEqual(secret)
    })

    it('adds up batches of completed counts and counters, and reads them back the largest first', async () => {
      const storage = await open()
      const [a, b, c] = [hash(1), hash(2), hash(3)]
      await storage.flush({
        completed: [
          { infohash: a, delta: 2 },
          { infohash: b, delta: 5 },
        ],
        counters: [{ name: 'announces_http', delta: 10 }],
      })
      await storage.flush({
        completed: [
          { infohash: a, delta: 4 },
          { infohash: c, delta: 1 },
        ],
        counters: [
          { name: 'announces_http', delta: 1 },
          { name: 'completed', delta: 7 },
        ],
      })
      await storage.flush({ completed: [], counters: [] })
      expect(await storage.loadSwarms(10)).toEqual({
        swarms: [
          { infohash: a, completed: 6 },
          { infohash: b, completed: 5 },
          { infohash: c, completed: 1 },
        ],
        total: 3,
      })
      expect(await storage.loadSwarms(1)).toEqual({ swarms: [{ infohash: a, completed: 6 }], total: 3 })
      const some = await storage.swarms([b, hash(9), c])
      expect(some.map((swarm) => [toHex(swarm.infohash), swarm.completed]).sort()).toEqual(
        [
          [toHex(b), 5],
          [toHex(c), 1],
        ].sort(),
      )
      expect(Object.fromEntries(await storage.counters())).toEqual({ announces_http: 11, completed: 7 })
      const reopened = await again()
      expect((await reopened.loadSwarms(10)).total).toBe(3)
      expect((await reopened.counters()).get('completed')).toBe(7)
    })

    it('writes a batch whole or not at all', async () => {
      const storage = await open()
      const good = hash(1)
      await storage.flush({ completed: [{ infohash: good, delta: 1 }], counters: [{ name: 'refused', delta: 1 }] })
      await expect(
        storage.flush({
          completed: [
            { infohash: good, delta: 100 },
            { infohash: hash(2), delta: Number.NaN },
          ],
          counters: [{ name: 'refused', delta: 100 }],
        }),
      ).rejects.toMatchObject({ name: 'TrackerError', code: 'DATABASE_FAILED' })
      expect((await storage.loadSwarms(10)).swarms).toEqual([{ infohash: good, completed: 1 }])
      expect((await storage.counters()).get('refused')).toBe(1)
    })

    it('takes batches larger than one statement, and counts above 2^32', async () => {
      const storage = await open()
      const many = Array.from({ length: 1234 }, (_, i) => ({ infohash: hash(), delta: i + 1 }))
      await storage.flush({ completed: many, counters: [{ name: 'announces_udp', delta: 2 ** 40 }] })
      const loaded = await storage.loadSwarms(5000)
      expect(loaded.total).toBe(1234)
      expect(loaded.swarms[0]?.completed).toBe(1234)
      expect((await storage.swarms(many.map((row) => row.infohash))).length).toBe(1234)
      expect((await storage.counters()).get('announces_udp')).toBe(2 ** 40)
    })

    it('adds up concurrent batches from two users of one database', async () => {
      const first = await open()
      const second = await again()
      const shared = [hash(1), hash(2), hash(3)]
      const batch = (delta: number) => ({
        completed: shared.map((infohash) => ({ infohash, delta })),
        counters: [{ name: 'completed', delta }],
      })
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? first : second).flush(batch(i % 2 === 0 ? 1 : 10))),
      )
      const loaded = await first.loadSwarms(10)
      expect(loaded.swarms.map((swarm) => swarm.completed)).toEqual([55, 55, 55])
      expect((await second.counters()).get('completed')).toBe(55)
    })

    it('registers, updates and lists infohashes in byte order; unregistering one removes its whole torrent', async () => {
      const storage = await open()
      const [v1, v2, discovery, other] = [hash(0xa0), hash(0x10), hash(0xff), hash(0x50)]
      const start = await storage.registryVersion()
      await storage.register([
        registered(v1, v1, v1, 'photos'),
        registered(v2, v1, v1, 'photos'),
        registered(discovery, discovery, v1, 'photos'),
        registered(other, other, other),
      ])
      const afterAdd = await storage.registryVersion()
      expect(afterAdd).not.toBe(start)
      expect((await storage.registered()).map((entry) => toHex(entry.infohash))).toEqual(
        [v2, other, v1, discovery].map(toHex),
      )
      expect((await storage.registered())[0]).toEqual(registered(v2, v1, v1, 'photos'))
      // registering again changes the swarm and name in place
      await storage.register([registered(other, v1, other, 'renamed')])
      expect((await storage.registered()).find((entry) => toHex(entry.infohash) === toHex(other))).toEqual(
        registered(other, v1, other, 'renamed'),
      )
      const second = await again()
      const beforeRemove = await second.registryVersion()
      expect(beforeRemove).not.toBe(afterAdd)
      expect(await storage.unregister([v2])).toBe(3)
      expect(await second.registryVersion()).not.toBe(beforeRemove)
      expect((await second.registered()).map((entry) => toHex(entry.infohash))).toEqual([toHex(other)])
      expect(await storage.unregister([hash(0x77)])).toBe(0)
      expect(await storage.unregister([other])).toBe(1)
      expect(await storage.registered()).toEqual([])
    })

    it('closes once, and refuses work after', async () => {
      const storage = await open()
      await Promise.all([storage.close(), storage.close()])
      await storage.close()
      await expect(storage.secret()).rejects.toMatchObject({ code: 'CLOSED' })
      await expect(storage.flush({ completed: [], counters: [] })).rejects.toMatchObject({ code: 'CLOSED' })
    })
  })
}
