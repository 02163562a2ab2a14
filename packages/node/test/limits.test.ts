/**
 * Connection limits, on a testnet (the memory transport, memory files): the
 * memory transport's addresses are no IP addresses, so only the node-wide
 * and per-share limits apply.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Download } from '../src/index.js'
import { createTestnet, type NodeTestnet } from '../src/testing.js'
import { contentBytes, nextEvent, untilEvent } from './helpers.js'

let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

describe('connection limits', () => {
  it('gives a new peer the slot of an idle connection when all maxConnections are taken', async () => {
    net = await createTestnet(0, { dht: false })
    const busy = await net.add({ limits: { maxConnections: 1 } })
    const first = await net.add()
    const second = await net.add()
    const dropped = nextEvent(busy, 'peer-disconnected', { filter: (peer) => peer.peerId === first.peerId })
    await first.connect(net.address(busy))
    await second.connect(net.address(busy))
    expect(busy.peers().map((peer) => peer.peerId)).toEqual([second.peerId])
    expect((await dropped)[1]).toMatchObject({ code: 'PEER_LIMIT' })
  })

  it('refuses connections over maxConnections when every one is useful', async () => {
    net = await createTestnet(0, { dht: false })
    const busy = await net.add({ limits: { maxConnections: 1, uploadRate: 1024 * 1024 } })
    const first = await net.add()
    const second = await net.add()
    net.content(busy).put('/share/a.bin', contentBytes(4 * 1024 * 1024, 62))
    const share = await busy.share('/share/a.bin')
    // The first peer is downloading: data moves on its connection.
    const download = first.download(share.magnet, { peers: [net.address(busy)] })
    await untilEvent(download, 'progress', () => download.progress.verifiedBytes > 0)
    await expect(second.connect(net.address(busy))).rejects.toBeDefined()
    expect(busy.peers().map((peer) => peer.peerId)).toEqual([first.peerId])
    expect(busy.stats().refusedConnections.connections).toBe(1)
  })

  it('lets no more than maxPeersPerShare peers join one share', async () => {
    net = await createTestnet(0, { dht: false })
    const seeder = await net.add({ limits: { maxPeersPerShare: 2, uploadRate: 1024 * 1024 } })
    net.content(seeder).put('/share/a.bin', contentBytes(2 * 1024 * 1024, 61))
    const share = await seeder.share('/share/a.bin')
    const leechers = [await net.add(), await net.add(), await net.add()]
    const connected = untilEvent(seeder, 'peer-connected', () => seeder.peers().length === 3)
    const downloads: Download[] = leechers.map((leecher) =>
      leecher.download(share.magnet, { peers: [net?.address(seeder) as string] }),
    )
    // All three connect, but the share takes only two of them.
    await connected
    await atLeast(
      2,
      downloads.map((download) => untilEvent(download, 'progress', () => download.progress.peers > 0)),
    )
    expect(downloads.filter((download) => download.progress.peers > 0)).toHaveLength(2)
  })
})

/** Resolves once `count` of `promises` have resolved. */
function atLeast(count: number, promises: Promise<unknown>[]): Promise<void> {
  let resolved = 0
  return new Promise((resolve, reject) => {
    for (const promise of promises) promise.then(() => ++resolved === count && resolve(), reject)
  })
}
