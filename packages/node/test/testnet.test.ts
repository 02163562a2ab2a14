/**
 * `createTestnet`: real nodes (Noise, the peer protocol, swarms, stores) in
 * one process, on the memory transport with in-memory files. No disk, no
 * socket, no test runner in the helper itself.
 */
import type { DhtNode } from '@mycel/dht'
import { ManualClock } from '@mycel/dht/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode } from '../src/core.js'
import { createTestnet, memoryContent, type NodeTestnet } from '../src/testing.js'
import { contentBytes, sha256 } from './helpers.js'

let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

/** Resolves once every one of `downloads` is done, or rejects with the first failure. */
function allDone(downloads: { done(): Promise<unknown> }[]): Promise<unknown[]> {
  return Promise.all(downloads.map((download) => download.done()))
}

describe('createTestnet', () => {
  it('runs 50 nodes: one shares, 49 download it from each other and from the seeder', {
    timeout: 120_000,
  }, async () => {
    net = await createTestnet(50)
    const [seeder, ...leechers] = net.nodes as MycelNode[]
    const bytes = contentBytes(2 * 1024 * 1024 + 321, 11)
    net.content(seeder as MycelNode).put('/share/film.bin', bytes)
    const share = await (seeder as MycelNode).share('/share/film.bin', { pieceLength: 64 * 1024 })
    // Each leecher knows the seeder and the leecher before it; PEX tells them about the others.
    const downloads = leechers.map((leecher, i) =>
      leecher.download(share.magnet, {
        peers: [
          net?.address(seeder as MycelNode) as string,
          ...(i > 0 ? [net?.address(leechers[i - 1] as MycelNode) as string] : []),
        ],
      }),
    )
    await allDone(downloads)
    for (const leecher of leechers) {
      const copy = net.content(leecher).get('/downloads/film.bin')
      expect(copy && sha256(copy)).toBe(sha256(bytes))
    }
    // Leechers served each other: the seeder sent less than 49 copies.
    const fromSeeder = (seeder as MycelNode).shareStats(share.infohash)?.bytesUploaded ?? 0
    const fromLeechers = leechers.reduce(
      (sum, leecher) => sum + (leecher.shareStats(share.infohash)?.bytesUploaded ?? 0),
      0,
    )
    expect(fromSeeder + fromLeechers).toBeGreaterThanOrEqual(bytes.length * leechers.length)
    expect(fromLeechers).toBeGreaterThan(0)
  })

  it('shares a folder from memory files, downloads some of its files, and nodes added later join', async () => {
    net = await createTestnet(1)
    const [seeder] = net.nodes as MycelNode[]
    const files = {
      'a.bin': contentBytes(100_000, 1),
      'sub/b.bin': contentBytes(300_000, 2),
      'sub/empty': new Uint8Array(0),
    }
    for (const [path, bytes] of Object.entries(files)) net.content(seeder as MycelNode).put(`/photos/${path}`, bytes)
    const share = await (seeder as MycelNode).share('/photos', { pieceLength: 16 * 1024 })
    expect(share.manifest.files.map((file) => file.path.join('/'))).toEqual(['a.bin', 'sub/b.bin', 'sub/empty'])
    const leecher = await net.add()
    await leecher.download(share.magnet, { peers: [net.address(seeder as MycelNode)], files: ['sub/b.bin'] }).done()
    const content = net.content(leecher)
    expect(sha256(content.get('/downloads/photos/sub/b.bin') as Uint8Array)).toBe(sha256(files['sub/b.bin']))
    expect(content.get('/downloads/photos/a.bin')).toBeUndefined()
  })

  it('a seeder whose memory file changes stops serving the pieces that no longer match', async () => {
    net = await createTestnet(2)
    const [seeder, leecher] = net.nodes as [MycelNode, MycelNode]
    const bytes = contentBytes(256 * 1024, 3)
    net.content(seeder).put('/share/log.bin', bytes)
    const share = await seeder.share('/share/log.bin', { pieceLength: 16 * 1024 })
    const changed = bytes.slice()
    changed[5] = (changed[5] as number) ^ 1 // piece 0 differs now
    net.content(seeder).put('/share/log.bin', changed)
    const change = new Promise((resolve) => seeder.on('share-changed', resolve))
    const download = leecher.download(share.magnet, { peers: [net.address(seeder)] })
    expect(await change).toMatchObject({ mismatchedPieces: 1, filePieces: 16 })
    // Every piece but the changed one arrives; the changed one is refused, never sent.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (download.progress.piecesVerified === 15) resolve()
      }
      download.on('progress', check)
      check()
    })
    expect(leecher.peers()).toHaveLength(1) // not banned: the seeder refused the piece, sent nothing wrong
  })
})

describe('createTestnet with its DHT', () => {
  it('a leecher finds the seeder through the memory DHT alone (no peer given)', async () => {
    net = await createTestnet(12)
    const seeder = net.nodes[3] as MycelNode
    const leecher = net.nodes[9] as MycelNode
    const bytes = contentBytes(300_000, 21)
    net.content(seeder).put('/share/song.flac', bytes)
    const share = await seeder.share('/share/song.flac')
    expect(await seeder.announce(share.infohash)).toBeGreaterThan(0)
    await leecher.download(share.magnet).done()
    expect(sha256(net.content(leecher).get('/downloads/song.flac') as Uint8Array)).toBe(sha256(bytes))
  })

  it('on a manual clock, a share is announced again at the 15-minute mark without real time passing', async () => {
    const clock = new ManualClock(Date.now())
    net = await createTestnet(4, { clock })
    const seeder = net.nodes[1] as MycelNode
    net.content(seeder).put('/share/a.bin', contentBytes(50_000, 4))
    const share = await seeder.share('/share/a.bin')
    const dht = net.dhtOf(seeder) as DhtNode
    const announced: number[] = []
    const announce = dht.announce.bind(dht)
    dht.announce = (...args: Parameters<DhtNode['announce']>) => {
      announced.push(clock.now())
      return announce(...args)
    }
    const started = clock.now()
    await clock.advance(16 * 60_000)
    expect(announced.some((at) => at - started >= 15 * 60_000)).toBe(true)
    expect(seeder.getShare(share.infohash)).toBeDefined()
  })
})

describe('memoryContent', () => {
  it('keeps files under /-paths, refuses a folder where a file is, and stamps each change', async () => {
    const content = memoryContent()
    content.put('/a/b/c.bin', new Uint8Array([1, 2, 3]))
    expect(await content.inspect('/a/b')).toBe('folder')
    expect(await content.inspect('/a/b/c.bin')).toBe('file')
    expect(await content.inspect('/nothing')).toBeUndefined()
    expect(content.resolve('a/./b/../b/c.bin')).toBe('/a/b/c.bin')
    const before = await content.stamp('/a/b/c.bin')
    content.put('/a/b/c.bin', new Uint8Array([1, 2, 4]))
    expect(await content.stamp('/a/b/c.bin')).not.toEqual(before)
    await expect(content.prepareFolder('/a/b/c.bin/sub')).rejects.toMatchObject({ code: 'NOT_WRITABLE' })
    expect(content.remove('/a/b/c.bin')).toBe(true)
    expect(await content.stamp('/a/b/c.bin')).toBeNull()
  })
})
