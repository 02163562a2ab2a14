import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeTorrent, encodeTorrent, type Manifest } from '@mycel/pieces'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type MycelNode, NodeError } from '../src/index.js'
import { cleanup, memoryNode, sha256, tempDir, until, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

/** A seeder of one file, and the manifest as a `.torrent` file of it reads back. */
async function seededTorrent() {
  const network = createMemoryNetwork()
  const source = await tempDir()
  const target = await tempDir()
  dirs.push(source, target)
  const bytes = await writeContent(join(source, 'film.bin'), 700_000)
  const seeder = await memoryNode(network.transport())
  const leecher = await memoryNode(network.transport())
  nodes.push(seeder, leecher)
  const share = await seeder.share(join(source, 'film.bin'), { pieceLength: 64 * 1024 })
  const { manifest } = decodeTorrent(encodeTorrent(share.manifest).bytes)
  return { seeder, leecher, share, manifest, bytes, target }
}

describe('addManifest', () => {
  it('a download of a manifest the node was given knows its files before any peer is found', async () => {
    const { seeder, leecher, manifest, bytes, target } = await seededTorrent()
    await leecher.addManifest(manifest)
    const download = leecher.download(manifest.infohashHex, { dir: target }) // no peer yet
    await until(() => download.progress.totalBytes !== undefined)
    expect(download.manifest?.infohashHex).toBe(manifest.infohashHex)
    expect(download.progress).toMatchObject({ name: 'film.bin', totalBytes: bytes.length, peers: 0 })
    expect(download.contentPath).toBe(join(target, 'film.bin'))
    await leecher.connect(seeder.addresses[0] as string)
    await download.done()
    expect(sha256(await readFile(join(target, 'film.bin')))).toBe(sha256(bytes))
  })

  it('a download waiting for its metadata takes the manifest at once', async () => {
    const { leecher, manifest, target } = await seededTorrent()
    const download = leecher.download(manifest.infohashHex, { dir: target })
    // The download is recorded just before it starts asking peers for the metadata (it has none: no peer).
    for (;;) {
      const records = await leecher.list()
      if (records.some((record) => record.name === manifest.infohashHex)) break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await leecher.addManifest(manifest)
    await until(() => download.manifest !== undefined)
    expect(download.manifest?.infohashHex).toBe(manifest.infohashHex)
    expect(download.progress).toMatchObject({ totalBytes: manifest.totalLength, pieceCount: manifest.pieceCount })
  })

  it('refuses what is not a manifest, an aborted call and a closed node', async () => {
    const { leecher, manifest } = await seededTorrent()
    await expect(leecher.addManifest({ infohashHex: 'ab' } as unknown as Manifest)).rejects.toThrow(TypeError)
    const aborted = leecher.addManifest(manifest, { signal: AbortSignal.abort() })
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' })
    expect(await leecher.getManifest(manifest.infohashHex)).toBeUndefined()
    await leecher.close()
    await expect(leecher.addManifest(manifest)).rejects.toBeInstanceOf(NodeError)
  })
})
