import { Bitfield, ingest, Manifest } from '@mycel/pieces'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { DownloadProgress, MycelNode } from '../src/index.js'
import { ProgressThrottle, type ThrottleClock } from '../src/progress-throttle.js'
import { Selection } from '../src/swarm/selection.js'
import { createTestnet, type NodeTestnet } from '../src/testing.js'
import { contentBytes, untilEvent } from './helpers.js'

let net: NodeTestnet | undefined
afterEach(async () => {
  vi.restoreAllMocks()
  await net?.close()
  net = undefined
})

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1
  return (n) => {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    return x % n
  }
}

const PIECE = 16 * 1024
/** Files of sizes that cover the cases: empty, under one piece, exactly one, many, a short tail. */
const FILES: Record<string, number> = {
  'a.bin': 100_000,
  'b/empty': 0,
  'b/small.txt': 5_000,
  'b/one.bin': PIECE,
  'c.bin': 3 * PIECE + 1,
  'd.bin': 40_000,
}

async function folderManifest(): Promise<Manifest> {
  return ingest(
    Object.entries(FILES).map(([path, size], i) => ({
      path: path.split('/'),
      content: [contentBytes(size, i + 1)],
      length: size,
    })),
    { name: 'folder', pieceLength: PIECE },
  )
}

/** The figures recounted from scratch: every wanted piece visited. */
function recount(manifest: Manifest, wanted: ReadonlySet<number> | undefined, have: Bitfield) {
  let bytes = 0
  let pieces = 0
  let held = 0
  let heldBytes = 0
  for (let piece = 0; piece < manifest.pieceCount; piece++) {
    if (wanted !== undefined && !wanted.has(piece)) continue
    const size = manifest.pieceSize(piece)
    pieces++
    bytes += size
    if (have.get(piece)) {
      held++
      heldBytes += size
    }
  }
  return { bytes, pieces, held, heldBytes, complete: held === pieces }
}

function figures(selection: Selection, have: Bitfield) {
  return {
    bytes: selection.wantedBytes,
    pieces: selection.wantedCount,
    held: selection.held(have),
    heldBytes: selection.heldBytes,
    complete: selection.complete(have),
  }
}

describe('progress counters', () => {
  it('agree with a full recount across stores, drops, selections, added files and read windows', async () => {
    const manifest = await folderManifest()
    const paths = manifest.files.map((file) => file.path.join('/'))
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed)
      // Some pieces held before the download starts (a resumed download).
      const have = new Bitfield(manifest.pieceCount)
      for (let piece = 0; piece < manifest.pieceCount; piece++) if (next(3) === 0) have.set(piece)
      const every = seed % 4 === 0
      const initial = every ? undefined : paths.filter(() => next(3) === 0)
      const selection = new Selection(initial)
      const wanted = every ? undefined : new Set<number>()
      const want = (start: number, end: number) => {
        for (let piece = start; piece < end; piece++) wanted?.add(piece)
      }
      const wantFile = (path: string) => {
        const file = manifest.files.find((f) => f.path.join('/') === path)
        if (file !== undefined) want(file.firstPiece, file.firstPiece + file.pieceCount)
      }
      for (const path of initial ?? []) wantFile(path)
      selection.resolve(manifest, have)
      expect(figures(selection, have)).toEqual(recount(manifest, wanted, have))
      for (let step = 0; step < 60; step++) {
        const action = next(11)
        if (action < 6) {
          // the downloader stores a piece (the swarm tells the selection of pieces new to `have` only)
          const piece = next(manifest.pieceCount)
          if (have.set(piece)) selection.stored(piece)
        } else if (action < 7) {
          // a seeded file changed: a held piece no longer matches and is dropped
          const piece = next(manifest.pieceCount)
          if (have.set(piece, false)) selection.dropped(piece)
        } else if (action < 9) {
          const added = paths.filter(() => next(4) === 0)
          const fresh = selection.addFiles(added, have)
          const before = new Set(wanted)
          for (const path of added) wantFile(path)
          if (!every)
            expect(fresh.sort((a, b) => a - b)).toEqual(
              [...(wanted ?? [])].filter((p) => !before.has(p) && !have.get(p)).sort((a, b) => a - b),
            )
        } else {
          const start = next(manifest.pieceCount)
          const end = Math.min(manifest.pieceCount, start + 1 + next(4))
          selection.addPieces(start, end, have)
          want(start, end)
        }
        expect(figures(selection, have), `seed ${seed}, step ${step}`).toEqual(recount(manifest, wanted, have))
      }
    }
  })

  it('are read without visiting the pieces', async () => {
    const manifest = await folderManifest()
    const have = new Bitfield(manifest.pieceCount)
    for (let piece = 0; piece < manifest.pieceCount; piece += 2) have.set(piece)
    const selection = new Selection()
    selection.resolve(manifest, have)
    const walks = vi.spyOn(Bitfield.prototype, 'pieces')
    const sizes = vi.spyOn(manifest, 'pieceSize')
    for (let i = 0; i < 100; i++) figures(selection, have)
    expect(walks).not.toHaveBeenCalled()
    expect(sizes).not.toHaveBeenCalled()
  })
})

/** A clock the test moves by hand; timers fire when it passes their time. */
class FakeClock implements ThrottleClock {
  time = 1_000
  private timers: Array<{ at: number; callback: () => void; id: number }> = []
  private nextId = 1
  now(): number {
    return this.time
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.push({ at: this.time + ms, callback, id })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle)
  }
  get pending(): number {
    return this.timers.length
  }
  advance(ms: number): void {
    this.time += ms
    const due = this.timers.filter((timer) => timer.at <= this.time)
    this.timers = this.timers.filter((timer) => timer.at > this.time)
    for (const timer of due) timer.callback()
  }
}

describe('ProgressThrottle', () => {
  it('fires at once after a quiet interval, then once per interval however often the state changes', () => {
    const clock = new FakeClock()
    const fired: number[] = []
    const throttle = new ProgressThrottle(250, () => fired.push(clock.now()), clock)
    throttle.changed()
    expect(fired).toEqual([1_000])
    for (let i = 0; i < 100; i++) {
      throttle.changed()
      clock.advance(10)
    }
    // 1000 ms of changes every 10 ms: one event per 250 ms
    expect(fired).toEqual([1_000, 1_250, 1_500, 1_750, 2_000])
    clock.advance(1_000)
    expect(fired).toHaveLength(5) // nothing changed since: nothing fires
    throttle.changed()
    expect(fired).toEqual([1_000, 1_250, 1_500, 1_750, 2_000, 3_000])
  })

  it('flush fires now in place of a pending event; cancel drops it', () => {
    const clock = new FakeClock()
    let fired = 0
    const throttle = new ProgressThrottle(250, () => fired++, clock)
    throttle.changed()
    throttle.changed()
    expect([fired, clock.pending]).toEqual([1, 1])
    throttle.flush()
    expect([fired, clock.pending]).toEqual([2, 0])
    throttle.changed()
    throttle.cancel()
    clock.advance(1_000)
    expect(fired).toBe(2)
  })
})

describe('download progress events', () => {
  it('are rate-limited: a share of 1024 pieces gives far fewer events, and the last shows it complete', async () => {
    net = await createTestnet(2, { dht: false })
    const [seeder, leecher] = net.nodes as [MycelNode, MycelNode]
    const size = 1024 * PIECE
    net.content(seeder).put('/share/many.bin', contentBytes(size))
    const share = await seeder.share('/share/many.bin', { pieceLength: PIECE })
    expect(share.manifest.pieceCount).toBe(1024)
    const nodeEvents: DownloadProgress[] = []
    leecher.on('download-progress', (progress) => nodeEvents.push(progress))
    const download = leecher.download(share.magnet, { peers: [net.address(seeder)] })
    const handleEvents: DownloadProgress[] = []
    download.on('progress', (progress) => handleEvents.push(progress))
    const done = new Promise<DownloadProgress>((resolve) => leecher.once('download-done', resolve))
    await download.done()
    await done
    for (const events of [nodeEvents, handleEvents]) {
      // One event per 250 ms at most: 256 would take more than a minute.
      expect(events.length).toBeGreaterThan(0)
      expect(events.length).toBeLessThan(256)
      expect(events.at(-1)).toMatchObject({
        verifiedBytes: size,
        totalBytes: size,
        piecesVerified: 1024,
        pieceCount: 1024,
        etaSeconds: 0,
      })
    }
  })

  it('are figures read without a walk over the pieces, while the download runs', async () => {
    net = await createTestnet(2, { dht: false })
    const [seeder, leecher] = net.nodes as [MycelNode, MycelNode]
    net.content(seeder).put('/share/slow.bin', contentBytes(256 * PIECE))
    const share = await seeder.share('/share/slow.bin', { pieceLength: PIECE })
    const download = leecher.download(share.magnet, {
      peers: [net.address(seeder)],
      limits: { downloadRate: 256 * 1024 }, // 16 s for the whole share: it is partway for long enough
    })
    await untilEvent(download, 'progress', () => download.progress.piecesVerified >= 4)
    const walks = vi.spyOn(Bitfield.prototype, 'pieces')
    const sizes = vi.spyOn(Manifest.prototype, 'pieceSize')
    let last: DownloadProgress | undefined
    for (let i = 0; i < 100; i++) last = download.progress // synchronous: the download cannot move meanwhile
    expect(walks).not.toHaveBeenCalled()
    expect(sizes).not.toHaveBeenCalled()
    expect(last?.piecesVerified).toBeLessThan(256)
    expect(last?.verifiedBytes).toBe((last?.piecesVerified ?? 0) * PIECE)
    await download.stop()
  })
})
