/**
 * The worker threads of all ingests in a process, counted together
 * (`thread-budget.ts`): an ingest takes fewer when others hold some, waits
 * while none is free, and gives them back when its workers end, whatever
 * the ingests are (private shares' encryption workers, large folders' file
 * workers).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ingest, type Manifest } from '../src/index.js'
import { WORKER_MIN_FILES } from '../src/node/file-workers.js'
import { giveThreads, MAX_INGEST_THREADS, takeThreads, threadsInUse } from '../src/node/thread-budget.js'
import { encryptedSources, ingestDirectory } from '../src/node.js'
import { encryptShare, type PrivateSourceFile } from '../src/private.js'
import { content, expectRejection } from './helpers.js'
import { ingestOnOneThread, seededRandom } from './private/helpers.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mycel-thread-budget-'))
})
afterEach(() => {
  rmSync(root, { recursive: true, force: true })
  expect(threadsInUse()).toBe(0)
})

/** Whether `promise` settles within `ms` milliseconds. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false
  promise.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    },
  )
  await new Promise((resolve) => setTimeout(resolve, ms))
  return settled
}

describe('the thread budget', () => {
  it('grants what is free, at least one, and makes the rest wait in order', async () => {
    const most = await takeThreads(MAX_INGEST_THREADS - 1)
    expect(most).toBe(MAX_INGEST_THREADS - 1)
    expect(await takeThreads(3)).toBe(1) // the one thread left
    const first = takeThreads(2)
    const second = takeThreads(1)
    expect(await settlesWithin(first, 20)).toBe(false)
    giveThreads(1)
    expect(await first).toBe(1) // the one thread given back, though it asked for two
    expect(await settlesWithin(second, 20)).toBe(false)
    giveThreads(most)
    expect(await second).toBe(1)
    expect(threadsInUse()).toBe(2)
    giveThreads(2)
  })

  it('stops waiting when aborted, taking nothing', async () => {
    const all = await takeThreads(MAX_INGEST_THREADS)
    const controller = new AbortController()
    const aborted = takeThreads(1, controller.signal)
    const after = takeThreads(1)
    controller.abort()
    await expectRejection(aborted, 'ABORTED')
    giveThreads(all)
    expect(await after).toBe(1) // the aborted caller left the queue
    giveThreads(1)
    await expect(takeThreads(1, AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' })
    await expect(takeThreads(0)).rejects.toThrow(RangeError)
  })
})

describe('ingests sharing the budget', () => {
  it('run at most MAX_INGEST_THREADS encryption workers at once, and each makes the one-thread manifest', async () => {
    const inputs = [1, 2, 3].map((seed) => ({
      name: `share-${seed}`,
      files: () => [{ path: ['f.bin'], length: 3_000_000, content: [content(seed, 3_000_000)] }] as PrivateSourceFile[],
      random: () => seededRandom(seed),
    }))
    let peak = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, threadsInUse())
    }, 1)
    let manifests: Manifest[]
    try {
      manifests = await Promise.all(
        inputs.map((input) => {
          const version = encryptShare({ name: input.name, files: input.files(), random: input.random() })
          return ingest(encryptedSources(version, { workers: 3 }), { name: version.shareName })
        }),
      )
    } finally {
      clearInterval(sampler)
    }
    expect(peak).toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(MAX_INGEST_THREADS)
    for (const [index, input] of inputs.entries()) {
      const reference = await ingestOnOneThread({ name: input.name, files: input.files(), random: input.random() })
      expect(manifests[index]?.infohash).toEqual(reference.manifest.infohash)
    }
  })

  it('make a large folder wait for a file worker, then ingest it as one thread does', async () => {
    const folder = join(root, 'many')
    mkdirSync(folder)
    for (let i = 0; i < WORKER_MIN_FILES + 4; i++) writeFileSync(join(folder, `f${i}`), content(i, 100 + i))
    const all = await takeThreads(MAX_INGEST_THREADS)
    const inWorkers = ingestDirectory(folder, { pieceLength: 16384 })
    expect(await settlesWithin(inWorkers, 100)).toBe(false)
    giveThreads(all)
    const here = await ingestDirectory(folder, { pieceLength: 16384, v1: true }) // v1 hashes: on this thread
    expect((await inWorkers).files.map((file) => file.piecesRoot)).toEqual(here.files.map((file) => file.piecesRoot))
  })
})
