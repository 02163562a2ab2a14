/**
 * Recording piece completions in the SQLite StateStore, against the obvious
 * alternative of one row per piece. Part of `npm run bench -w @mycel/store`.
 */
import { join } from 'node:path'
import { createManifest, FileHasher, type Manifest } from '@mycel/pieces'
import Database from 'better-sqlite3'
import { openSqliteStateStore } from '../src/sqlite.js'
import { shuffled } from '../src/testing/shares.js'

const PIECE = 16 * 1024

/** One row of the printed table. */
export interface CompletionFigure {
  case: string
  'completions/s': string
  'µs per completion': string
}

/** A single-file manifest of `pieces` pieces of 16 KiB (the content is one block repeated). */
function manifestOf(pieces: number): Manifest {
  const hasher = new FileHasher(PIECE)
  const block = new Uint8Array(PIECE).fill(7)
  for (let i = 0; i < pieces; i++) hasher.update(block)
  return createManifest({ name: 'big.bin', pieceLength: PIECE, files: [{ path: ['big.bin'], ...hasher.digest() }] })
}

function figure(name: string, count: number, seconds: number): CompletionFigure {
  return {
    case: name,
    'completions/s': Math.round(count / seconds).toLocaleString('en-US'),
    'µs per completion': ((seconds * 1e6) / count).toFixed(2),
  }
}

/**
 * Marks `count` pieces verified in a random order, `batch` at a time with a
 * flush after each batch (what the automatic flush does every
 * `flushInterval`), and times the whole.
 */
async function markAll(
  path: string,
  manifest: Manifest,
  count: number,
  batch: number,
  synchronous: 'normal' | 'full',
): Promise<{ seconds: number; markSeconds: number; commits: number }> {
  const store = await openSqliteStateStore(path, { synchronous, flushInterval: 60_000 })
  await store.putManifest(manifest)
  const order = shuffled(count, 5)
  let markSeconds = 0
  let commits = 0
  const start = performance.now()
  for (let at = 0; at < count; at += batch) {
    const markStart = performance.now()
    for (let i = at; i < Math.min(count, at + batch); i++) store.markVerified(manifest.infohash, order[i] as number)
    markSeconds += (performance.now() - markStart) / 1000
    await store.flush()
    commits++
  }
  const seconds = (performance.now() - start) / 1000
  if ((await store.getBitfield(manifest.infohash))?.count() !== count) throw new Error('marks lost')
  await store.close()
  return { seconds, markSeconds, commits }
}

/** One row per piece, each in its own transaction: the approach batching replaces. */
function rowPerPiece(path: string, count: number, perTransaction: number): number {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(
    'CREATE TABLE verified (infohash BLOB NOT NULL, piece INTEGER NOT NULL, PRIMARY KEY (infohash, piece)) WITHOUT ROWID',
  )
  const insert = db.prepare('INSERT INTO verified VALUES (?, ?)')
  const infohash = new Uint8Array(32).fill(1)
  const insertMany = db.transaction((from: number, to: number) => {
    for (let piece = from; piece < to; piece++) insert.run(infohash, piece)
  })
  const start = performance.now()
  for (let at = 0; at < count; at += perTransaction) insertMany(at, Math.min(count, at + perTransaction))
  const seconds = (performance.now() - start) / 1000
  db.close()
  return seconds
}

/** Measures, prints nothing, returns the rows and the size of one commit. */
export async function benchCompletions(dir: string, count: number): Promise<CompletionFigure[]> {
  const manifest = manifestOf(count)
  const rows: CompletionFigure[] = []
  const tight = await markAll(join(dir, 'tight.db'), manifest, count, count, 'normal')
  rows.push(figure(`markVerified only (${count.toLocaleString('en-US')} calls, no commit)`, count, tight.markSeconds))
  rows.push(figure('markVerified + one commit at the end', count, tight.seconds))
  for (const [batch, synchronous] of [
    [1000, 'normal'],
    [100, 'normal'],
    [1000, 'full'],
  ] as const) {
    const run = await markAll(join(dir, `batch-${batch}-${synchronous}.db`), manifest, count, batch, synchronous)
    const perCommit = ((run.seconds - run.markSeconds) * 1000) / run.commits
    rows.push(
      figure(
        `commit every ${batch} marks, synchronous=${synchronous} (${perCommit.toFixed(2)} ms per commit)`,
        count,
        run.seconds,
      ),
    )
  }
  const small = Math.min(count, 10_000)
  rows.push(
    figure(
      `reference: one row per piece, one transaction each (${small} rows)`,
      small,
      rowPerPiece(join(dir, 'ref-each.db'), small, 1),
    ),
  )
  rows.push(
    figure(
      'reference: one row per piece, 1,000 rows per transaction',
      count,
      rowPerPiece(join(dir, 'ref-batch.db'), count, 1000),
    ),
  )
  return rows
}
