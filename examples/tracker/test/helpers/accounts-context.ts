/**
 * What every part of the accounts suite starts from: a tracker in private
 * mode on 127.0.0.1 with a fresh database, a clock the test moves, and
 * torrents made from scratch files.
 */

import { encodeTorrent } from '@mycel/pieces'
import { ingestFile } from '@mycel/pieces/node'
import { afterAll, afterEach } from 'vitest'
import { createTracker, type Tracker } from '../../src/tracker.js'
import { baseOf } from './clients.js'
import { Scratch } from './scratch.js'

/** scrypt at a cost tests can afford (the real default is documented in docs/tracker.md). */
const FAST = { ln: 10, r: 8, p: 1 }

/** What the parts of the suite use. */
export type AccountsContext = ReturnType<typeof accountsContext>

/**
 * Makes the suite's context; call it inside the suite's `describe` (it registers the clean-up).
 *
 * @param database - a fresh database per call (a file path or a URL)
 */
export function accountsContext(database: () => Promise<string>) {
  const trackers: Tracker[] = []
  const scratch = new Scratch()
  afterEach(async () => {
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
  })
  afterAll(() => scratch.cleanup())

  async function start(options: Parameters<typeof createTracker>[0] = {}) {
    const lines: string[] = []
    let clock = Date.now()
    const given = typeof options.accounts === 'object' ? options.accounts : {}
    const tracker = await createTracker({
      database: await database(),
      mode: 'private',
      http: [{ host: '127.0.0.1', port: 0 }],
      udp: [],
      api: [{ host: '127.0.0.1', port: 0 }],
      rateLimit: false,
      log: (level, message) => lines.push(`${level}: ${message}`),
      now: () => clock,
      ...options,
      accounts: {
        scryptCost: FAST,
        ...given,
        limits: { registrationsPerAddress: { burst: 100, refillSeconds: 600, maxKeys: 100 }, ...given.limits },
      },
    })
    trackers.push(tracker)
    return {
      tracker,
      lines,
      base: `http://127.0.0.1:${tracker.api[0]?.port}`,
      announceBase: baseOf(tracker.http[0] as { port: number }),
      advance: (ms: number) => {
        clock += ms
      },
    }
  }

  async function torrentOf(kind: 'v2' | 'hybrid', size = 100_000) {
    const dir = await scratch.dir()
    const file = await scratch.file(dir, `photos ${kind} 2026.bin`, size)
    const manifest = await ingestFile(file, { v1: kind === 'hybrid' })
    return {
      manifest,
      torrent: encodeTorrent(manifest, { hybrid: kind === 'hybrid', announce: 'http://old/announce' }),
    }
  }
  return { scratch, start, torrentOf }
}
