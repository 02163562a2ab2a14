import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type Download, forgetShare, type MycelNode, NodeError } from '../src/index.js'
import { cleanup, memoryNode, sha256, sha256File, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

const PIECE = 64 * 1024

async function dir(): Promise<string> {
  const made = await tempDir()
  dirs.push(made)
  return made
}

/** A seeder of a two-file folder share, and the digests of its files. */
async function seeded() {
  const network = createMemoryNetwork()
  const folder = join(await dir(), 'album')
  await mkdir(folder)
  const digests = {
    'a.bin': sha256(await writeContent(join(folder, 'a.bin'), 200_000, 61)),
    'c.bin': sha256(await writeContent(join(folder, 'c.bin'), 100_000, 62)),
  }
  const seeder = await memoryNode(network.transport())
  nodes.push(seeder)
  const share = await seeder.share(folder, { pieceLength: PIECE })
  return { network, seeder, share, digests }
}

async function savedKeys(state: MemoryStateStore, infohashHex: string): Promise<string[]> {
  const keys: string[] = []
  for (const key of [`selection/${infohashHex}`, `destination/${infohashHex}`, `content/${infohashHex}`]) {
    if ((await state.getValue(key)) !== undefined) keys.push(key)
  }
  return keys
}

describe('a selection naming no file of the share', () => {
  it('fails the download once the manifest arrives, saves nothing, and a later download works', async () => {
    const { network, seeder, share, digests } = await seeded()
    const state = new MemoryStateStore()
    const leecher = await memoryNode(network.transport(), { state })
    nodes.push(leecher)
    const target = await dir()
    const typo = leecher.download(share.magnet, { dir: target, peers: seeder.addresses, files: ['a.bni'] })
    const error = await typo.done().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NodeError)
    expect(error).toMatchObject({ code: 'FILE_NOT_FOUND' })
    expect(await state.getValue(`selection/${share.infohashHex}`)).toBeUndefined()
    expect(existsSync(join(target, 'album'))).toBe(false) // nothing written either
    await leecher.close()

    // The same command again, fixed (a new process on the same state)
    const again = await memoryNode(network.transport(), { state })
    nodes.push(again)
    const fixed = again.download(share.magnet, { dir: target, peers: seeder.addresses, files: ['a.bin'] })
    await fixed.done()
    expect(fixed.files).toEqual(['a.bin'])
    expect(await sha256File(join(target, 'album', 'a.bin'))).toBe(digests['a.bin'])
  })

  it('is refused before it is saved when the manifest is known, keeping the selection that was saved', async () => {
    const { network, seeder, share } = await seeded()
    const state = new MemoryStateStore()
    const first = await memoryNode(network.transport(), { state })
    await first.download(share.magnet, { dir: await dir(), peers: seeder.addresses, files: ['a.bin'] }).done()
    await first.close()

    const again = await memoryNode(network.transport(), { state })
    nodes.push(again)
    const resumed = again.getDownload(share.infohashHex) as Download
    await resumed.done()
    const saved = async () =>
      JSON.parse(Buffer.from((await state.getValue(`selection/${share.infohashHex}`)) ?? []).toString())
    // running: refused at once
    expect(() => again.download(share.magnet, { files: ['c.bni'] })).toThrow(/no file "c.bni"/)
    expect(await saved()).toEqual(['a.bin'])
    // stopped: the download fails before anything is saved
    await resumed.stop()
    const typo = again.download(share.magnet, { files: ['c.bni'] })
    await expect(typo.done()).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
    expect(await saved()).toEqual(['a.bin'])
  })

  it('is forgotten with everything else the node saved about the share', async () => {
    const { network, seeder, share } = await seeded()
    const state = new MemoryStateStore()
    const leecher = await memoryNode(network.transport(), { state })
    nodes.push(leecher)
    await leecher.download(share.magnet, { dir: await dir(), peers: seeder.addresses, files: ['a.bin'] }).done()
    expect(await savedKeys(state, share.infohashHex)).toEqual([
      `selection/${share.infohashHex}`,
      `destination/${share.infohashHex}`,
    ])
    await leecher.remove(share.infohashHex, { deleteState: true })
    expect(await savedKeys(state, share.infohashHex)).toEqual([])

    // forgetShare does the same for an app that manages the state store of a node that is not running
    const other = new MemoryStateStore()
    const node = await memoryNode(network.transport(), { state: other })
    await node.download(share.magnet, { dir: await dir(), peers: seeder.addresses }).done()
    await node.close()
    expect(await savedKeys(other, share.infohashHex)).toEqual([
      `destination/${share.infohashHex}`,
      `content/${share.infohashHex}`,
    ])
    expect(await forgetShare(other, share.infohash)).toBe(true)
    expect(await savedKeys(other, share.infohashHex)).toEqual([])
    expect(await other.listShares()).toEqual([])
  })
})

describe('adding files to a download that completed before a restart', () => {
  it('is a no-op success for a share downloaded whole', async () => {
    const { network, seeder, share, digests } = await seeded()
    const state = new MemoryStateStore()
    const target = await dir()
    const first = await memoryNode(network.transport(), { state })
    await first.download(share.magnet, { dir: target, peers: seeder.addresses }).done()
    await first.close()

    const again = await memoryNode(network.transport(), { state })
    nodes.push(again)
    expect(again.getShare(share.infohashHex)).toBeDefined() // resumed as a seed of its files
    const download = again.download(share.magnet, { files: ['c.bin'] })
    expect(download.files).toBeUndefined()
    expect(await download.done()).toMatchObject({ verifiedBytes: 300_000, totalBytes: 300_000 })
    expect(download.contentPath).toBe(join(target, 'album'))
    expect(() => again.download(share.magnet, { files: ['c.bni'] })).toThrow(/no file "c.bni"/)
    expect(await sha256File(join(target, 'album', 'c.bin'))).toBe(digests['c.bin'])
  })
})
