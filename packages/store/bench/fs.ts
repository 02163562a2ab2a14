/**
 * The file-system PieceStore against plain node:fs and dd: write then read
 * a file of `size` bytes in 16 KiB blocks (one block per piece), the store
 * in random piece order, the references sequentially and in the same random
 * order. Each write starts from a fresh file after a `sync`, so dirty pages
 * of one case do not slow the next; each case runs twice and the faster run
 * counts (other processes share the CPUs). Part of
 * `npm run bench -w @mycel/store`.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { createManifest, FileHasher, type Manifest } from '@mycel/pieces'
import { blockingFileSystem, type FileSystem, openDownloadStore } from '../src/fs.js'
import { recheck } from '../src/index.js'
import { shuffled } from '../src/testing/shares.js'

const MiB = 1024 * 1024
const BLOCK = 16 * 1024

/** One row of the printed table. */
export interface Figure {
  case: string
  'MiB/s': string
  'vs reference': string
}

/** 16 MiB of pseudo-random bytes; block `i` of the test file is block `i % 1024` of it. */
function makeTape(): Uint8Array {
  const tape = new Uint8Array(16 * MiB)
  let state = 0x2545f491
  for (let i = 0; i < tape.length; i += 4) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    tape[i] = state
    tape[i + 1] = state >>> 8
    tape[i + 2] = state >>> 16
    tape[i + 3] = state >>> 24
  }
  return tape
}

function blockOf(tape: Uint8Array, piece: number): Uint8Array {
  const at = (piece % (tape.length / BLOCK)) * BLOCK
  return tape.subarray(at, at + BLOCK)
}

/** Blocks `64 * chunk` to `64 * chunk + 63` of the test file: 1 MiB, contiguous in the tape. */
function blockRun(tape: Uint8Array, chunk: number): Uint8Array {
  const at = (chunk * MiB) % tape.length
  return tape.subarray(at, at + MiB)
}

function manifestFor(tape: Uint8Array, size: number): Manifest {
  const hasher = new FileHasher(BLOCK)
  for (let piece = 0; piece < size / BLOCK; piece++) hasher.update(blockOf(tape, piece))
  return createManifest({ name: 'bench.bin', pieceLength: BLOCK, files: [{ path: ['bench.bin'], ...hasher.digest() }] })
}

/**
 * Runs tasks over `order` with `concurrency` in flight. Each task learns
 * which worker runs it (0 to `concurrency - 1`), so a worker can own a
 * buffer that no other read in flight shares.
 */
async function inFlight(
  order: number[],
  concurrency: number,
  task: (item: number, worker: number) => Promise<unknown>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < order.length) await task(order[next++] as number, worker)
    }),
  )
}

/** Seconds `run` takes, the faster of two runs, each after `prepare` (untimed). */
async function best(prepare: () => Promise<void> | void, run: () => Promise<void> | void): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY
  for (let attempt = 0; attempt < 2; attempt++) {
    await prepare()
    const start = performance.now()
    await run()
    fastest = Math.min(fastest, (performance.now() - start) / 1000)
  }
  return fastest
}

/** Writes dirty pages of every file to disk, so the next write starts clean. */
function syncAll(): void {
  execFileSync('sync')
}

/** Drops a file's pages from the (guest) page cache; the host may still cache them. */
function dropCache(path: string): string {
  try {
    execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' })
    const resident = execFileSync('fincore', ['--noheadings', '--bytes', '--output', 'RES', path], { encoding: 'utf8' })
    return `${(Number(resident.trim()) / MiB).toFixed(0)} MiB left cached`
  } catch {
    return 'cache state unknown'
  }
}

function dd(args: string[]): void {
  execFileSync('dd', args, { stdio: 'ignore' })
}

/** Measures; returns the rows to print. */
export async function benchFsPieceStore(dir: string, size: number): Promise<Figure[]> {
  const tape = makeTape()
  const manifest = manifestFor(tape, size)
  const pieces = size / BLOCK
  const chunks = size / MiB
  const rows: Figure[] = []
  const row = (name: string, seconds: number, reference?: number) =>
    rows.push({
      case: name,
      'MiB/s': (size / MiB / seconds).toFixed(0),
      'vs reference': reference === undefined ? '' : `${(reference / seconds).toFixed(2)}x`,
    })
  const plain = join(dir, 'plain.bin')
  const fresh = () => {
    rmSync(plain, { force: true })
    rmSync(join(dir, 'store'), { recursive: true, force: true })
    syncAll()
  }
  const writeOrder = shuffled(pieces, 1)
  const readOrder = shuffled(pieces, 2)
  const buffer = new Uint8Array(BLOCK)
  const buffers = Array.from({ length: 8 }, () => new Uint8Array(BLOCK))
  const chunkBuffers = Array.from({ length: 4 }, () => new Uint8Array(MiB))

  const writePlain = (order: Iterable<number>) => () => {
    const fd = openSync(plain, 'w')
    for (const piece of order) writeSync(fd, blockOf(tape, piece), 0, BLOCK, piece * BLOCK)
    closeSync(fd)
  }
  const readPlain = (order: Iterable<number>) => () => {
    const fd = openSync(plain, 'r')
    for (const piece of order) readSync(fd, buffer, 0, BLOCK, piece * BLOCK)
    closeSync(fd)
  }
  const sequential = Array.from({ length: pieces }, (_, i) => i)

  // references
  const seqWrite = await best(fresh, writePlain(sequential))
  const seqRead = await best(() => {}, readPlain(sequential))
  const randomWrite = await best(fresh, writePlain(writeOrder))
  const randomRead = await best(() => {}, readPlain(readOrder))
  const ddWrite = await best(fresh, () => dd(['if=/dev/zero', `of=${plain}`, `bs=${BLOCK}`, `count=${pieces}`]))
  const ddRead = await best(
    () => {},
    () => dd([`if=${plain}`, 'of=/dev/null', `bs=${BLOCK}`]),
  )
  const ddSynced = await best(fresh, () =>
    dd(['if=/dev/zero', `of=${plain}`, `bs=${BLOCK}`, `count=${pieces}`, 'conv=fdatasync']),
  )
  let ddCache = ''
  const ddCold = await best(
    () => {
      ddCache = dropCache(plain)
    },
    () => dd([`if=${plain}`, 'of=/dev/null', `bs=${BLOCK}`]),
  )

  // the store
  const open = (fileSystem?: FileSystem) =>
    openDownloadStore(manifest, join(dir, 'store'), fileSystem === undefined ? {} : { fileSystem })
  let store = await open()
  const reopen = async (fileSystem?: FileSystem) => {
    await store.close()
    fresh()
    store = await open(fileSystem)
  }
  const writeStore = () => inFlight(writeOrder, 8, (piece) => store.writePiece(piece, blockOf(tape, piece)))
  const storeWrite = await best(() => reopen(), writeStore)
  const storeSynced = await best(
    () => reopen(),
    async () => {
      await writeStore()
      await store.sync()
    },
  )
  const storeRead = await best(
    () => {},
    () =>
      inFlight(readOrder, 8, async (piece, worker) => {
        const target = buffers[worker] as Uint8Array
        await store.readInto(0, piece * BLOCK, target)
        if (piece % 4096 === 0 && Buffer.compare(target, blockOf(tape, piece)) !== 0) {
          throw new Error(`piece ${piece} read back wrong`)
        }
      }),
  )
  const storeReadSerial = await best(
    () => {},
    () => inFlight(readOrder, 1, (piece) => store.readInto(0, piece * BLOCK, buffer)),
  )
  const requestOrder = shuffled(size / (128 * 1024), 7)
  const requestBuffers = Array.from({ length: 8 }, () => new Uint8Array(128 * 1024))
  const requestRead = await best(
    () => {},
    () =>
      inFlight(requestOrder, 8, (request, worker) =>
        store.readInto(0, request * 128 * 1024, requestBuffers[worker] as Uint8Array),
      ),
  )
  let rechecked = 0
  const storeRecheck = await best(
    () => {},
    async () => {
      rechecked = (await recheck(manifest, store)).count()
    },
  )
  if (rechecked !== pieces) throw new Error(`recheck found ${rechecked} of ${pieces} pieces`)
  const hashReference = await best(
    () => {},
    () => {
      const fd = openSync(join(dir, 'store', 'bench.bin'), 'r')
      const chunk = new Uint8Array(MiB)
      for (let at = 0; at < size; at += MiB) {
        readSync(fd, chunk, 0, MiB, at)
        for (let block = 0; block < MiB; block += BLOCK)
          createHash('sha256')
            .update(chunk.subarray(block, block + BLOCK))
            .digest()
      }
      closeSync(fd)
    },
  )
  let storeCache = ''
  const storeCold = await best(
    () => {
      storeCache = dropCache(join(dir, 'store', 'bench.bin'))
    },
    () => inFlight(readOrder, 8, (piece, worker) => store.readInto(0, piece * BLOCK, buffers[worker] as Uint8Array)),
  )
  const largeWrite = await best(
    () => reopen(),
    () => inFlight(shuffled(chunks, 5), 4, (chunk) => store.write(0, chunk * MiB, blockRun(tape, chunk))),
  )
  const largeRead = await best(
    () => {},
    () =>
      inFlight(shuffled(chunks, 6), 4, (chunk, worker) =>
        store.readInto(0, chunk * MiB, chunkBuffers[worker] as Uint8Array),
      ),
  )
  const blockingWrite = await best(() => reopen(blockingFileSystem), writeStore)
  const blockingRead = await best(
    () => {},
    () => inFlight(readOrder, 8, (piece, worker) => store.readInto(0, piece * BLOCK, buffers[worker] as Uint8Array)),
  )
  await store.close()
  fresh()

  row('write: node:fs writeSync, sequential (reference)', seqWrite)
  row('write: dd bs=16k from /dev/zero, sequential', ddWrite, seqWrite)
  row('write: node:fs writeSync, random order', randomWrite, seqWrite)
  row('write: PieceStore, random order, 8 in flight', storeWrite, seqWrite)
  row('write: PieceStore + blockingFileSystem, random order', blockingWrite, seqWrite)
  row('write: PieceStore, 1 MiB writes, random order, 4 in flight', largeWrite, seqWrite)
  row('write + fdatasync: dd conv=fdatasync (reference)', ddSynced)
  row('write + sync(): PieceStore, random order, 8 in flight', storeSynced, ddSynced)
  row('read (page cache): node:fs readSync, sequential (reference)', seqRead)
  row('read (page cache): dd bs=16k, sequential', ddRead, seqRead)
  row('read (page cache): node:fs readSync, random order', randomRead, seqRead)
  row('read (page cache): PieceStore, random order, 8 in flight', storeRead, seqRead)
  row('read (page cache): PieceStore, random order, 1 in flight', storeReadSerial, seqRead)
  row('read (page cache): PieceStore + blockingFileSystem, random order', blockingRead, seqRead)
  row('read (page cache): PieceStore, 128 KiB reads (a request), random order, 8 in flight', requestRead, seqRead)
  row('read (page cache): PieceStore, 1 MiB reads, random order, 4 in flight', largeRead, seqRead)
  row('hash (page cache): node:crypto SHA-256 of each 16 KiB block, 1 MiB reads (reference)', hashReference)
  row('recheck (page cache): PieceStore, 16 KiB pieces', storeRecheck, hashReference)
  row(`read (guest cache dropped, ${ddCache}): dd, sequential (reference)`, ddCold)
  row(`read (guest cache dropped, ${storeCache}): PieceStore, random order, 8 in flight`, storeCold, ddCold)
  return rows
}
