import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MemoryStateStore, StoreError } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type MycelNode, NodeError } from '../src/index.js'
import { cleanup, contentBytes, memoryNode, sha256, sha256File, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

const PIECE = 64 * 1024
const LETTER = 'a file the user wrote, that mycel must never change\n'.repeat(1000)

async function dir(): Promise<string> {
  const made = await tempDir()
  dirs.push(made)
  return made
}

/** A seeder of one file of 600,000 bytes (10 pieces), on a memory network. */
async function singleFileSeed() {
  const network = createMemoryNetwork()
  const source = await dir()
  const bytes = await writeContent(join(source, 'movie.bin'), 600_000, 31)
  const seeder = await memoryNode(network.transport())
  nodes.push(seeder)
  const share = await seeder.share(join(source, 'movie.bin'), { pieceLength: PIECE })
  return { network, seeder, share, bytes }
}

/** A seeder of a folder share with a file in a sub-folder, on a memory network. */
async function folderSeed() {
  const network = createMemoryNetwork()
  const source = await dir()
  await mkdir(join(source, 'album', 'sub'), { recursive: true })
  await writeContent(join(source, 'album', 'a.bin'), 200_000, 32)
  await writeContent(join(source, 'album', 'sub', 'b.bin'), 150_000, 33)
  const seeder = await memoryNode(network.transport())
  nodes.push(seeder)
  const share = await seeder.share(join(source, 'album'), { pieceLength: PIECE })
  return { network, seeder, share }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('the download should fail'),
    (error: unknown) => error,
  )
}

describe('a download whose destination holds files the node did not write', () => {
  it('refuses an unrelated file once the manifest arrives from peers, and writes nothing', async () => {
    const { network, seeder, share } = await singleFileSeed()
    const target = await dir()
    await writeFile(join(target, 'movie.bin'), LETTER)
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses })
    const error = await failure(download.done())
    expect(error).toBeInstanceOf(NodeError)
    expect(error).toMatchObject({ code: 'DESTINATION_EXISTS' })
    expect((error as Error).message).toContain(join(target, 'movie.bin'))
    expect(await readFile(join(target, 'movie.bin'), 'utf8')).toBe(LETTER)
    expect(share.stats().bytesUploaded).toBe(0)
  })

  it('refuses at once, with no peer, when the manifest is already known', async () => {
    const { share } = await singleFileSeed()
    const target = await dir()
    await writeFile(join(target, 'movie.bin'), LETTER)
    const state = new MemoryStateStore()
    await state.putManifest(share.manifest) // known from an earlier download, say
    const leecher = await memoryNode(createMemoryNetwork().transport(), { state })
    nodes.push(leecher)
    const error = await failure(leecher.download(share.magnet, { dir: target }).done())
    expect(error).toMatchObject({ code: 'DESTINATION_EXISTS' })
    expect(await readFile(join(target, 'movie.bin'), 'utf8')).toBe(LETTER)
  })

  it('refuses when any file of a folder share is there, and creates none of the others', async () => {
    const { network, seeder, share } = await folderSeed()
    const target = await dir()
    await mkdir(join(target, 'album', 'sub'), { recursive: true })
    await writeFile(join(target, 'album', 'sub', 'b.bin'), LETTER)
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const error = await failure(leecher.download(share.magnet, { dir: target, peers: seeder.addresses }).done())
    expect(error).toMatchObject({ code: 'DESTINATION_EXISTS' })
    expect((error as Error).message).toContain(join(target, 'album', 'sub', 'b.bin'))
    expect(existsSync(join(target, 'album', 'a.bin'))).toBe(false)
    expect(await readFile(join(target, 'album', 'sub', 'b.bin'), 'utf8')).toBe(LETTER)
  })

  it('refuses a folder where the share has a file, even when asked to verify', async () => {
    const { network, seeder, share } = await folderSeed()
    const target = await dir()
    await mkdir(join(target, 'album', 'a.bin'), { recursive: true })
    await writeFile(join(target, 'album', 'a.bin', 'keep.txt'), LETTER)
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses, existingFiles: 'verify' })
    const error = await failure(download.done())
    expect(error).toMatchObject({ code: 'DESTINATION_EXISTS' })
    expect((error as Error).message).toContain(`${join(target, 'album', 'a.bin')} is a folder`)
    expect(await readFile(join(target, 'album', 'a.bin', 'keep.txt'), 'utf8')).toBe(LETTER)
  })

  it('verifies a complete copy in place: done at once, nothing downloaded', async () => {
    const { network, seeder, share, bytes } = await singleFileSeed()
    const target = await dir()
    await writeFile(join(target, 'movie.bin'), bytes)
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses, existingFiles: 'verify' })
    const done = await download.done()
    expect(done).toMatchObject({ verifiedBytes: 600_000, piecesVerified: 10 })
    expect(download.stats().bytesDownloaded).toBe(0)
    expect(share.stats().bytesUploaded).toBe(0)
    expect(await sha256File(join(target, 'movie.bin'))).toBe(sha256(bytes))
  })

  it('verifies a partial copy in place: keeps the pieces that match, downloads the rest over the others', async () => {
    const { network, seeder, share, bytes } = await singleFileSeed()
    const target = await dir()
    const damaged = Buffer.from(bytes)
    damaged.set(contentBytes(PIECE, 77), 3 * PIECE) // piece 3 is wrong
    await writeFile(join(target, 'movie.bin'), damaged.subarray(0, 8 * PIECE)) // pieces 8 and 9 are missing
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses, existingFiles: 'verify' })
    await download.done()
    expect(await sha256File(join(target, 'movie.bin'))).toBe(sha256(bytes))
    expect(share.stats().bytesUploaded).toBe(PIECE + PIECE + (600_000 - 9 * PIECE))
  })

  it('resumes into its own files after a restart without asking, and never touches them otherwise', async () => {
    const { network, seeder, share, bytes } = await singleFileSeed()
    const target = await dir()
    const state = new MemoryStateStore()
    const first = await memoryNode(network.transport(), { state, limits: { downloadRate: 200_000 } })
    const download = first.download(share.magnet, { dir: target, peers: seeder.addresses })
    await new Promise<void>((resolve) => download.on('progress', (p) => p.piecesVerified >= 2 && resolve()))
    await first.close()
    // Started again (another folder given: the download goes on where its files are).
    const again = await memoryNode(network.transport(), { state })
    nodes.push(again)
    const resumed = again.download(share.magnet, { dir: await dir(), peers: seeder.addresses })
    await resumed.done()
    expect(resumed.contentPath).toBe(join(target, 'movie.bin'))
    expect(await sha256File(join(target, 'movie.bin'))).toBe(sha256(bytes))
  })
})

describe('a file that appears at the destination during a download', () => {
  it('is left as it is: the download fails, and its next run checks the destination again', async () => {
    const { network, seeder, share } = await folderSeed()
    const target = await dir()
    const state = new MemoryStateStore()
    const leecher = await memoryNode(network.transport(), { state })
    const first = leecher.download(share.magnet, { dir: target, peers: seeder.addresses, files: ['a.bin'] })
    await first.done()
    await mkdir(join(target, 'album', 'sub'))
    await writeFile(join(target, 'album', 'sub', 'b.bin'), LETTER) // the user puts a file there meanwhile
    leecher.download(share.magnet, { files: ['sub/b.bin'] })
    const error = await failure(first.done())
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ code: 'FILE_EXISTS' })
    expect(await readFile(join(target, 'album', 'sub', 'b.bin'), 'utf8')).toBe(LETTER)
    await leecher.close()

    const again = await memoryNode(network.transport(), { state })
    nodes.push(again)
    const refused = await failure(again.download(share.magnet, { dir: target, peers: seeder.addresses }).done())
    expect(refused).toMatchObject({ code: 'DESTINATION_EXISTS' })
    expect(await readFile(join(target, 'album', 'sub', 'b.bin'), 'utf8')).toBe(LETTER)
  })
})

describe('a download folder that cannot be made', () => {
  it('fails the download at once, before looking for peers', async () => {
    const { share } = await singleFileSeed()
    const base = await dir()
    await writeFile(join(base, 'file'), 'x')
    const leecher = await memoryNode(createMemoryNetwork().transport())
    nodes.push(leecher)
    for (const folder of [join(base, 'file', 'in'), '/proc/mycel-test']) {
      const error = await failure(leecher.download(share.magnet, { dir: folder }).done())
      expect(error).toBeInstanceOf(StoreError)
      expect(error).toMatchObject({ code: 'NOT_WRITABLE' })
      expect((error as Error).message).toContain(`${folder} cannot be created`)
      await leecher
        .getDownload(share.infohash)
        ?.stop({ deleteState: true })
        .catch(() => {})
    }
  })
})
