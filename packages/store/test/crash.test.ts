import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Bitfield, verifyPiece } from '@mycel/pieces'
import { afterEach, describe, expect, it } from 'vitest'
import { openDownloadStore } from '../src/fs.js'
import { recheck } from '../src/index.js'
import { openSqliteStateStore } from '../src/sqlite.js'
import { crashShare } from './fixtures/crash-share.js'
import { removeTempDirs, tempDir } from './helpers.js'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url))
const children: ChildProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  await removeTempDirs()
})

interface Run {
  /** Pieces the child reported written and recorded before it was killed (or finished). */
  progress: number
  /** Whether it printed `done`. */
  finished: boolean
  signal: NodeJS.Signals | null
  stderr: string
}

/**
 * Runs the writer in a child process (`node --import tsx`) and kills it with
 * SIGKILL once it has reported `killAfter` pieces, plus a random few
 * milliseconds, so the kill lands anywhere: inside a piece's writes, between
 * a write and its record, or inside a batch commit.
 */
function runWriter(dir: string, seed: number, killAfter: number | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(seed)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    const run: Run = { progress: 0, finished: false, signal: null, stderr: '' }
    let buffered = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      buffered += text
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        if (line === 'done') run.finished = true
        const match = /^progress (\d+)$/.exec(line)
        if (match === null) continue
        run.progress = Number(match[1])
        if (killAfter !== undefined && run.progress >= killAfter) {
          killAfter = undefined
          setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 6))
        }
      }
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      run.stderr += text
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      run.signal = signal
      resolve(run)
    })
  })
}

describe('crash safety', () => {
  it('after SIGKILL mid-download, trusts only pieces whose bytes verify, and resumes to a complete share', async () => {
    const share = await crashShare()
    const { manifest } = share
    const dir = await tempDir()
    let trusted = 0
    for (let round = 1; round <= 4; round++) {
      const killAfter = 4 * (3 + Math.floor(Math.random() * 10))
      const run = await runWriter(dir, round, killAfter)
      expect(run.signal, run.stderr).toBe('SIGKILL')
      expect(run.finished).toBe(false)
      expect(run.progress).toBeGreaterThanOrEqual(killAfter)

      const state = await openSqliteStateStore(join(dir, 'state.db'))
      const pieces = await openDownloadStore(manifest, join(dir, 'downloads'), { existingFiles: 'adopt' })
      const recorded = (await state.getBitfield(manifest.infohash)) as Bitfield
      // every piece the database vouches for has exactly the right bytes
      for (const piece of recorded.pieces()) {
        expect(verifyPiece(manifest, piece, await pieces.readPiece(piece)), `piece ${piece}`).toBe(true)
      }
      // and nothing else is trusted: a recheck finds at least these, maybe a few written but not yet recorded
      const rechecked = await recheck(manifest, pieces)
      for (const piece of recorded.pieces()) expect(rechecked.get(piece)).toBe(true)
      expect(recorded.count()).toBeGreaterThanOrEqual(trusted)
      expect(recorded.count()).toBeLessThan(manifest.pieceCount)
      trusted = recorded.count()
      if (round === 4) await state.setBitfield(manifest.infohash, rechecked) // a node adopts what the recheck found
      await Promise.all([state.close(), pieces.close()])
    }

    expect(trusted).toBeGreaterThan(0)
    const last = await runWriter(dir, 5, undefined)
    expect(last.finished, last.stderr).toBe(true)
    const state = await openSqliteStateStore(join(dir, 'state.db'))
    const pieces = await openDownloadStore(manifest, join(dir, 'downloads'), { existingFiles: 'adopt' })
    expect((await state.getBitfield(manifest.infohash))?.isComplete()).toBe(true)
    expect((await recheck(manifest, pieces)).isComplete()).toBe(true)
    await Promise.all([state.close(), pieces.close()])
  }, 120_000)
})
