import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteStorage } from '../src/storage/sqlite.js'
import type { TrackerStorage } from '../src/storage/storage.js'
import { createTracker, type Tracker } from '../src/tracker.js'
import { announceOf, baseOf, httpAnnounce, httpAnnounceOk, id20 } from './helpers/clients.js'

const trackers: Tracker[] = []
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
})

/** A storage whose batch writes wait while `hold` is set, and that can be made to fail. */
function gatedStorage(inner: TrackerStorage) {
  const state = { hold: undefined as Promise<void> | undefined, fail: false, flushes: 0 }
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'flush') {
        return async (batch: Parameters<TrackerStorage['flush']>[0]) => {
          state.flushes++
          if (state.hold !== undefined) await state.hold
          if (state.fail) throw new Error('disk on fire')
          return target.flush(batch)
        }
      }
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { storage, state }
}

describe('batches to storage', () => {
  it('a registration is in force when register() resolves, even while a batch is being written', async () => {
    const { storage, state } = gatedStorage(openSqliteStorage(':memory:'))
    const tracker = await createTracker({
      database: storage,
      mode: 'whitelist',
      http: [{ host: '127.0.0.1', port: 0 }],
      udp: [],
      rateLimit: false,
      flushIntervalMs: 3_600_000,
    })
    trackers.push(tracker)
    const base = baseOf(tracker.http[0] as { port: number })
    // a refused announce gives the next batch something to write
    expect(await httpAnnounce(base, announceOf(id20()))).toMatchObject({ kind: 'failure' })
    let release = () => {}
    state.hold = new Promise((resolve) => {
      release = resolve
    })
    const inFlight = tracker.flush()
    await expect.poll(() => state.flushes).toBe(1)
    const infohash = id20()
    const registering = tracker.register([{ infohash, swarm: infohash, torrent: infohash, addedAt: 0 }])
    setTimeout(release, 50)
    await registering
    await inFlight
    await httpAnnounceOk(base, announceOf(infohash))
  })

  it('a failed batch loses nothing: its counts are written with the next one', async () => {
    const inner = openSqliteStorage(':memory:')
    const { storage, state } = gatedStorage(inner)
    const tracker = await createTracker({
      database: storage,
      http: [{ host: '127.0.0.1', port: 0 }],
      udp: [],
      rateLimit: false,
      flushIntervalMs: 3_600_000,
    })
    trackers.push(tracker)
    const base = baseOf(tracker.http[0] as { port: number })
    const infohash = id20()
    const leecher = announceOf(infohash, { port: 7001 })
    await httpAnnounceOk(base, leecher)
    await httpAnnounceOk(base, { ...leecher, left: 0, event: 'completed' })
    state.fail = true
    await tracker.flush()
    expect(await inner.counters()).toEqual(new Map())
    state.fail = false
    await tracker.flush()
    expect(Object.fromEntries(await inner.counters())).toEqual({ announces_http: 2, completed: 1 })
    expect(await inner.loadSwarms(10)).toEqual({ swarms: [{ infohash, completed: 1 }], total: 1 })
  })
})
