import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type Download, type MycelNode, NodeError } from '../src/index.js'
import { cleanup, memoryNode, sha256, sha256File, tempDir, untilEvent, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

const PIECE = 64 * 1024
/** The files of the test share, by path inside it. */
const SIZES: Record<string, number> = { 'a.bin': 300_000, 'sub/b.bin': 200_000, 'c.bin': 150_000 }

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of stream) parts.push(chunk)
  return Buffer.concat(parts)
}

/** A seeder of a three-file folder share on a memory network, and the source digests. */
async function seeded() {
  const network = createMemoryNetwork()
  const source = await tempDir()
  dirs.push(source)
  const folder = join(source, 'album')
  await mkdir(join(folder, 'sub'), { recursive: true })
  const digests: Record<string, string> = {}
  let seed = 40
  for (const [path, size] of Object.entries(SIZES)) {
    digests[path] = sha256(await writeContent(join(folder, path), size, seed++))
  }
  const seeder = await memoryNode(network.transport())
  nodes.push(seeder)
  const share = await seeder.share(folder, { pieceLength: PIECE })
  return { network, seeder, share, digests }
}

async function target(): Promise<string> {
  const dir = await tempDir()
  dirs.push(dir)
  return dir
}

describe('a download of some files', () => {
  it('fetches only the selected files, counts only their bytes, and is done when they are', async () => {
    const { network, seeder, share, digests } = await seeded()
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const dir = await target()
    const download = leecher.download(share.magnet, { dir, peers: seeder.addresses, files: ['sub/b.bin'] })
    const done = await download.done()
    const content = join(dir, 'album')
    expect(await sha256File(join(content, 'sub', 'b.bin'))).toBe(digests['sub/b.bin'])
    expect(existsSync(join(content, 'a.bin'))).toBe(false)
    expect(existsSync(join(content, 'c.bin'))).toBe(false)
    const pieces = Math.ceil(200_000 / PIECE)
    expect(done).toMatchObject({ totalBytes: 200_000, verifiedBytes: 200_000, pieceCount: pieces })
    expect(done.piecesVerified).toBe(pieces)
    expect(share.stats().bytesUploaded).toBe(200_000) // v2 pieces never span files: nothing else was sent
    expect((await leecher.list())[0]).toMatchObject({ status: 'complete', verifiedPieces: pieces })
  })

  it('fails with FILE_NOT_FOUND for a path the share does not have', async () => {
    const { network, seeder, share } = await seeded()
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const download = leecher.download(share.magnet, { dir: await target(), peers: seeder.addresses, files: ['nope'] })
    const error = await download.done().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NodeError)
    expect((error as NodeError).code).toBe('FILE_NOT_FOUND')
  })

  it('adds files to a download that completed, and done() waits for them', async () => {
    const { network, seeder, share, digests } = await seeded()
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const dir = await target()
    const first = leecher.download(share.magnet, { dir, peers: seeder.addresses, files: ['c.bin'] })
    await first.done()
    expect(first.files).toEqual(['c.bin'])
    const again = leecher.download(share.magnet, { files: ['a.bin'] })
    expect(again).toBe(first)
    expect(first.files).toEqual(['c.bin', 'a.bin'])
    const done = await again.done()
    expect(done.totalBytes).toBe(450_000)
    expect(await sha256File(join(dir, 'album', 'a.bin'))).toBe(digests['a.bin'])
    expect(existsSync(join(dir, 'album', 'sub', 'b.bin'))).toBe(false)
    expect(() => leecher.download(share.magnet, { files: ['missing.bin'] })).toThrow(/no file/)
  })

  it('resumes its selection after a restart, seeds what it has, and fetches a file read outside it', async () => {
    const { network, seeder, share, digests } = await seeded()
    const state = new MemoryStateStore()
    const dir = await target()
    const first = await memoryNode(network.transport(), { state })
    nodes.push(first)
    await first.download(share.magnet, { dir, peers: seeder.addresses, files: ['a.bin'] }).done()
    await first.close()

    // Started again on the same state: the partial download comes back as a download, complete, not re-fetched.
    const again = await memoryNode(network.transport(), { state })
    nodes.push(again)
    const resumed = again.getDownload(share.infohashHex)
    expect(resumed).toBeDefined()
    expect(await resumed?.done()).toMatchObject({ totalBytes: 300_000, verifiedBytes: 300_000 })
    expect(again.shareStats(share.infohashHex)).toMatchObject({ bytesDownloaded: 0, totalDownloaded: 300_000 })

    // It serves the pieces it has: a third node gets a.bin from it alone.
    const third = await memoryNode(network.transport())
    nodes.push(third)
    const thirdDir = await target()
    await third.download(share.magnet, { dir: thirdDir, peers: again.addresses, files: ['a.bin'] }).done()
    expect(await sha256File(join(thirdDir, 'album', 'a.bin'))).toBe(digests['a.bin'])

    // A streaming read of a file outside the selection fetches it from the seeder.
    await again.connect(seeder.addresses[0] as string)
    const bytes = await collect(again.createReadStream(share.infohashHex, 'c.bin'))
    expect(sha256(bytes)).toBe(digests['c.bin'])
    const download = again.getDownload(share.infohashHex) as Download
    await untilEvent(download, 'progress', () => download.progress.verifiedBytes === 450_000)
    expect(existsSync(join(dir, 'album', 'sub', 'b.bin'))).toBe(false)
  }, 30_000)
})
