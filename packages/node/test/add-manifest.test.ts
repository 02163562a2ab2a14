/**
 * `addManifest`: a manifest the node is given (from a `.torrent` file) in
 * place of fetching the metadata from peers. Nodes of a testnet.
 */
import { decodeTorrent, encodeTorrent, type Manifest } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import { afterEach, describe, expect, it } from 'vitest'
import { type MycelNode, NodeError } from '../src/index.js'
import { createTestnet, type NodeTestnet } from '../src/testing.js'
import { contentBytes, deferred, nextEvent, sha256, untilEvent } from './helpers.js'

let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

/** A seeder of one file, and the manifest as a `.torrent` file of it reads back. */
async function seededTorrent(leecherState = new MemoryStateStore()) {
  net = await createTestnet(1, { dht: false })
  const seeder = net.nodes[0] as MycelNode
  const leecher = await net.add({ state: leecherState })
  const bytes = contentBytes(700_000, 1)
  net.content(seeder).put('/share/film.bin', bytes)
  const share = await seeder.share('/share/film.bin', { pieceLength: 64 * 1024 })
  const { manifest } = decodeTorrent(encodeTorrent(share.manifest).bytes)
  return { net, seeder, leecher, share, manifest, bytes }
}

describe('addManifest', () => {
  it('a download of a manifest the node was given knows its files before any peer is found', async () => {
    const { net, seeder, leecher, manifest, bytes } = await seededTorrent()
    await leecher.addManifest(manifest)
    const download = leecher.download(manifest.infohashHex, { dir: '/in' }) // no peer yet
    await untilEvent(download, 'progress', () => download.progress.totalBytes !== undefined)
    expect(download.manifest?.infohashHex).toBe(manifest.infohashHex)
    expect(download.progress).toMatchObject({ name: 'film.bin', totalBytes: bytes.length, peers: 0 })
    expect(download.contentPath).toBe('/in/film.bin')
    await leecher.connect(net.address(seeder))
    await download.done()
    expect(sha256(net.content(leecher).get('/in/film.bin') as Uint8Array)).toBe(sha256(bytes))
  })

  it('a download waiting for its metadata takes the manifest at once', async () => {
    // The download is recorded just before it starts asking peers for the metadata (it has none: no peer).
    const state = new MemoryStateStore()
    const recorded = deferred()
    const addShare = state.addShare.bind(state)
    state.addShare = async (...args) => {
      const record = await addShare(...args)
      recorded.resolve()
      return record
    }
    const { leecher, manifest } = await seededTorrent(state)
    const download = leecher.download(manifest.infohashHex, { dir: '/in' })
    const metadata = nextEvent(download, 'metadata')
    await recorded.promise
    expect(download.manifest).toBeUndefined()
    await leecher.addManifest(manifest)
    expect((await metadata)[0].infohashHex).toBe(manifest.infohashHex)
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
