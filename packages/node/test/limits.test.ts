import { join } from 'node:path'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { Download, MycelNode } from '../src/index.js'
import { cleanup, memoryNode, tempDir, until, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

describe('connection limits', () => {
  it('gives a new peer the slot of an idle connection when all maxConnections are taken', async () => {
    const network = createMemoryNetwork()
    const busy = await memoryNode(network.transport(), { limits: { maxConnections: 1 } })
    const first = await memoryNode(network.transport())
    const second = await memoryNode(network.transport())
    nodes.push(busy, first, second)
    const dropped = new Promise<Error | undefined>((resolve) =>
      busy.on('peer-disconnected', (peer, reason) => peer.peerId === first.peerId && resolve(reason)),
    )
    await first.connect(busy.addresses[0] as string)
    await second.connect(busy.addresses[0] as string)
    expect(busy.peers().map((peer) => peer.peerId)).toEqual([second.peerId])
    expect(await dropped).toMatchObject({ code: 'PEER_LIMIT' })
  })

  it('refuses connections over maxConnections when every one is useful', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    await writeContent(join(source, 'a.bin'), 4 * 1024 * 1024, 62)
    const busy = await memoryNode(network.transport(), { limits: { maxConnections: 1, uploadRate: 1024 * 1024 } })
    const first = await memoryNode(network.transport())
    const second = await memoryNode(network.transport())
    nodes.push(busy, first, second)
    const share = await busy.share(join(source, 'a.bin'))
    // The first peer is downloading: data moves on its connection.
    const download = first.download(share.magnet, { dir: target, peers: busy.addresses })
    await until(() => download.progress.verifiedBytes > 0)
    await expect(second.connect(busy.addresses[0] as string)).rejects.toBeDefined()
    expect(busy.peers().map((peer) => peer.peerId)).toEqual([first.peerId])
    expect(busy.stats().refusedConnections.connections).toBe(1)
  })

  it('lets no more than maxPeersPerShare peers join one share', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    await writeContent(join(source, 'a.bin'), 2 * 1024 * 1024, 61)
    const seeder = await memoryNode(network.transport(), {
      limits: { maxPeersPerShare: 2, uploadRate: 1024 * 1024 },
    })
    nodes.push(seeder)
    const share = await seeder.share(join(source, 'a.bin'))
    const downloads: Download[] = []
    for (let i = 0; i < 3; i++) {
      const leecher = await memoryNode(network.transport())
      nodes.push(leecher)
      const target = await tempDir()
      dirs.push(target)
      downloads.push(leecher.download(share.magnet, { dir: target, peers: seeder.addresses }))
    }
    // All three connect, but the share takes only two of them.
    await until(() => seeder.peers().length === 3 && downloads.some((download) => download.progress.peers > 0))
    await until(() => downloads.filter((download) => download.progress.peers > 0).length >= 2)
    expect(downloads.filter((download) => download.progress.peers > 0)).toHaveLength(2)
  })
})
