import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Bitfield } from '@mycel/pieces'
import { openSqliteStateStore } from '@mycel/store/sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode } from '../src/index.js'
import { cleanup, sha256, tempDir, writeContent } from './helpers.js'

const child = fileURLToPath(new URL('./fixtures/node-child.ts', import.meta.url))
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const nodes: MycelNode[] = []
const dirs: string[] = []
const children: ChildProcess[] = []
afterEach(async () => {
  for (const process of children.splice(0)) process.kill('SIGKILL')
  await cleanup(nodes.splice(0), dirs.splice(0))
})

function run(args: string[]): ChildProcess {
  const process = spawn(globalThis.process.execPath, ['--import', 'tsx', child, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(process)
  return process
}

function exited(process: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })))
}

describe('node lifecycle', () => {
  it('resumes after the downloading process is killed with SIGKILL, trusting only verified pieces', async () => {
    const source = await tempDir()
    const dataDir = await tempDir()
    const target = await tempDir()
    dirs.push(source, dataDir, target)
    const size = 6 * 1024 * 1024
    const bytes = await writeContent(join(source, 'big.bin'), size, 31)
    const seederData = await tempDir()
    dirs.push(seederData)
    // A slow seeder, so the kill lands in the middle of the download.
    const seeder = await createNode({
      dataDir: seederData,
      listen: ['tcp://127.0.0.1:0'],
      dht: false,
      limits: { uploadRate: 2 * 1024 * 1024 },
    })
    nodes.push(seeder)
    const share = await seeder.share(join(source, 'big.bin'), { pieceLength: 64 * 1024 })
    const downloader = run(['download', dataDir, target, share.magnet, seeder.addresses[0] as string])
    // Marks of verified pieces are saved every 100 ms (flushInterval): what was reported a second
    // before the kill (ten saves earlier, even on a loaded machine) must be in the state.
    const savedBy = await new Promise<number>((resolve, reject) => {
      let buffered = ''
      const reports: { at: number; verified: number }[] = []
      downloader.stdout?.setEncoding('utf8').on('data', (text: string) => {
        buffered += text
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) {
          if (!line.startsWith('progress')) continue
          const verified = Number(line.split(' ')[1])
          reports.push({ at: performance.now(), verified })
          const earlier = reports.filter((report) => report.at <= performance.now() - 1000)
          if (verified >= size / 2 && earlier.length > 0) {
            downloader.kill('SIGKILL')
            resolve(Math.max(...earlier.map((report) => report.verified)))
          }
        }
      })
      downloader.once('exit', (code) => reject(new Error(`the downloader exited (${code}) before it was killed`)))
    })
    expect((await exited(downloader)).signal).toBe('SIGKILL')
    // What the state says is verified must really be there: re-hash it.
    const state = await openSqliteStateStore(join(dataDir, 'state.db'))
    const bitfield = (await state.getBitfield(share.infohash)) as Bitfield
    const manifest = await state.getManifest(share.infohash)
    await state.close()
    expect(manifest).toBeDefined()
    const onDisk = await readFile(join(target, 'big.bin'))
    for (const piece of bitfield.pieces()) {
      const start = piece * 64 * 1024
      expect(sha256(onDisk.subarray(start, start + 64 * 1024))).toBe(sha256(bytes.subarray(start, start + 64 * 1024)))
    }
    expect(bitfield.count() * 64 * 1024).toBeGreaterThanOrEqual(savedBy)
    // Restart in this process: the download resumes by itself from the stored state.
    const resumed = await createNode({ dataDir, listen: ['tcp://127.0.0.1:0'], dht: false })
    nodes.push(resumed)
    const download = resumed.getDownload(share.infohash)
    expect(download).toBeDefined()
    await resumed.connect(seeder.addresses[0] as string)
    await download?.done()
    expect(sha256(await readFile(join(target, 'big.bin')))).toBe(sha256(bytes))
    // Verified pieces were not fetched again.
    expect(resumed.stats().bytesDownloaded).toBeLessThanOrEqual(size - bitfield.count() * 64 * 1024)
  }, 60_000)

  it('lets its process exit on its own once closed (no socket, timer or file left open)', async () => {
    const source = await tempDir()
    const dataDir = await tempDir()
    dirs.push(source, dataDir)
    await writeContent(join(source, 'file.bin'), 200_000, 41)
    const process = run(['share-and-close', dataDir, join(source, 'file.bin')])
    let output = ''
    process.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text))
    let errors = ''
    process.stderr?.setEncoding('utf8').on('data', (text: string) => (errors += text))
    const timeout = setTimeout(() => process.kill('SIGKILL'), 20_000)
    const { code, signal } = await exited(process)
    clearTimeout(timeout)
    expect({ code, signal, errors }).toEqual({ code: 0, signal: null, errors: '' })
    expect(output).toContain('closed')
  }, 30_000)
})
