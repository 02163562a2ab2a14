import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { parsePeerId } from '@mycel/transport'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode } from '../src/index.js'
import { cleanup, memoryNode, sha256, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of stream) parts.push(chunk)
  return Buffer.concat(parts)
}

describe('node features', () => {
  it('streams verified bytes from the middle of a file before their piece is complete', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    const MiB = 1024 * 1024
    const bytes = await writeContent(join(source, 'movie.bin'), 16 * MiB, 51)
    const seeder = await memoryNode(network.transport(), { limits: { uploadRate: 4 * MiB } })
    const leecher = await memoryNode(network.transport())
    nodes.push(seeder, leecher)
    const share = await seeder.share(join(source, 'movie.bin'), { pieceLength: 4 * MiB })
    const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses })
    const start = 4 * MiB + 100
    const end = 4 * MiB + 200_000
    const range = await collect(leecher.createReadStream(share.infohashHex, 'movie.bin', { start, end }))
    // Piece 1 (bytes 4..8 MiB) takes about a second at 4 MiB/s: the range came with proofs before it.
    expect(download.progress.piecesVerified).toBe(0)
    expect(sha256(range)).toBe(sha256(bytes.subarray(start, end + 1)))
    // A whole-file read while the download goes on gives the whole file, verified.
    const whole = await collect(leecher.createReadStream(share.infohashHex, 'movie.bin'))
    expect(sha256(whole)).toBe(sha256(bytes))
    await download.done()
  }, 30_000)

  it('refuses a read of a file the share does not have, or out of range', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    await writeContent(join(source, 'a.bin'), 1000, 52)
    const node = await memoryNode(network.transport())
    nodes.push(node)
    const share = await node.share(join(source, 'a.bin'))
    await expect(collect(node.createReadStream(share.infohashHex, 'missing.bin'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    })
    await expect(collect(node.createReadStream(share.infohashHex, 'a.bin', { start: 5000 }))).rejects.toMatchObject({
      code: 'RANGE_INVALID',
    })
    expect(() => node.createReadStream('00'.repeat(32), 'a.bin')).toThrow(/no such share/)
  })

  it('transfers over the WebSocket transport', async () => {
    const source = await tempDir()
    const target = await tempDir()
    const seederData = await tempDir()
    const leecherData = await tempDir()
    dirs.push(source, target, seederData, leecherData)
    const bytes = await writeContent(join(source, 'doc.bin'), 900_000, 53)
    const options = { listen: ['ws://127.0.0.1:0'], dht: false as const, state: new MemoryStateStore() }
    const seeder = await createNode({ ...options, dataDir: seederData })
    const leecher = await createNode({ ...options, dataDir: leecherData, state: new MemoryStateStore() })
    nodes.push(seeder, leecher)
    expect(seeder.addresses[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+/)
    const share = await seeder.share(join(source, 'doc.bin'))
    await leecher.download(share.magnet, { dir: target, peers: seeder.addresses }).done()
    expect(sha256(await readFile(join(target, 'doc.bin')))).toBe(sha256(bytes))
  })

  it('keeps uploads under the node and per-share rate limits', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    const MiB = 1024 * 1024
    await writeContent(join(source, 'a.bin'), 3 * MiB, 54)
    await writeContent(join(source, 'b.bin'), 3 * MiB, 55)
    const seeder = await memoryNode(network.transport(), { limits: { uploadRate: 2 * MiB } })
    nodes.push(seeder)
    const nodeLimited = await seeder.share(join(source, 'a.bin'))
    const shareLimited = await seeder.share(join(source, 'b.bin'), { limits: { uploadRate: 1 * MiB } })
    for (const share of [nodeLimited, shareLimited]) {
      const leecher = await memoryNode(network.transport())
      nodes.push(leecher)
      const target = await tempDir()
      dirs.push(target)
      const started = Date.now()
      await leecher.download(share.magnet, { dir: target, peers: seeder.addresses }).done()
      const seconds = (Date.now() - started) / 1000
      // The first quarter second (or 256 KiB) of the limit is a burst; the rest is paced.
      const limit = share === shareLimited ? 1 * MiB : 2 * MiB
      const burst = Math.max(limit / 4, 256 * 1024)
      expect(seconds).toBeGreaterThanOrEqual(((3 * MiB - burst) / limit) * 0.9)
    }
  }, 30_000)

  it('raises the score of a peer that sent good pieces, in the state store', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    await writeContent(join(source, 'a.bin'), 600_000, 56)
    const state = new MemoryStateStore()
    const seeder = await memoryNode(network.transport())
    const leecher = await memoryNode(network.transport(), { state })
    nodes.push(seeder, leecher)
    const share = await seeder.share(join(source, 'a.bin'), { pieceLength: 64 * 1024 })
    await leecher.download(share.magnet, { dir: target, peers: seeder.addresses }).done()
    await leecher.close()
    const record = await state.getPeer(parsePeerId(seeder.peerId))
    expect(record?.score).toBe(share.manifest.pieceCount)
  })
})
