import { join } from 'node:path'
import { ManualClock } from '@mycel/dht/testing'
import { MemoryStateStore, type ShareUpdate } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode } from '../src/index.js'
import { createTestnet, type NodeTestnet } from '../src/testing.js'
import { cleanup, contentBytes, memoryNode, Recorded, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
  await cleanup(nodes.splice(0), dirs.splice(0))
})

const SIZE = 600_000

/** A folder holding one file of {@link SIZE} bytes, and a folder to download into. */
async function folders(): Promise<{ file: string; target: string }> {
  const source = await tempDir()
  const target = await tempDir()
  dirs.push(source, target)
  const file = join(source, 'a.bin')
  await writeContent(file, SIZE, 71)
  return { file, target }
}

describe('transfer totals per share', () => {
  it('counts what each share sent and received, and keeps the totals across restarts', async () => {
    const network = createMemoryNetwork()
    const { file, target } = await folders()
    const seederState = new MemoryStateStore()
    const leecherState = new MemoryStateStore()
    const seeder = await memoryNode(network.transport(), { state: seederState })
    const leecher = await memoryNode(network.transport(), { state: leecherState })
    nodes.push(seeder, leecher)
    const share = await seeder.share(file, { pieceLength: 64 * 1024 })
    expect(share.stats()).toMatchObject({ bytesUploaded: 0, totalUploaded: 0, totalDownloaded: 0 })

    const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses })
    await download.done()
    expect(download.stats()).toMatchObject({
      infohash: share.infohashHex,
      name: 'a.bin',
      bytesDownloaded: SIZE,
      totalDownloaded: SIZE,
      bytesUploaded: 0,
    })
    expect(share.stats()).toMatchObject({ bytesUploaded: SIZE, totalUploaded: SIZE, bytesDownloaded: 0 })
    // the same figures (rates left out: they move with the clock between two calls)
    const { uploadRate: _u, downloadRate: _d, ...figures } = share.stats()
    expect(seeder.shareStats(share.infohashHex)).toMatchObject(figures)
    expect(seeder.shareStats('00'.repeat(32))).toBeUndefined()

    // Closing saves the totals: the records hold them.
    await Promise.all([seeder.close(), leecher.close()])
    expect(await seederState.getShare(share.infohash)).toMatchObject({ bytesUploaded: SIZE, bytesDownloaded: 0 })
    expect(await leecherState.getShare(share.infohash)).toMatchObject({ bytesUploaded: 0, bytesDownloaded: SIZE })

    // The seeder starts again from its state: this run counts from zero, the totals go on.
    const again = await memoryNode(network.transport(), { state: seederState })
    const second = await memoryNode(network.transport())
    nodes.push(again, second)
    const resumed = again.getShare(share.infohashHex)
    expect(resumed?.stats()).toMatchObject({ bytesUploaded: 0, totalUploaded: SIZE })
    const other = await tempDir()
    dirs.push(other)
    await second.download(share.magnet, { dir: other, peers: again.addresses }).done()
    expect(resumed?.stats()).toMatchObject({ bytesUploaded: SIZE, totalUploaded: 2 * SIZE })

    // Stopping a share saves its totals, and sharing the same file again keeps them.
    await again.remove(share.infohashHex)
    expect(await seederState.getShare(share.infohash)).toMatchObject({ bytesUploaded: 2 * SIZE })
    const shared = await again.share(file, { pieceLength: 64 * 1024 })
    expect(shared.stats()).toMatchObject({ bytesUploaded: 0, totalUploaded: 2 * SIZE })
    expect((await again.list())[0]).toMatchObject({ bytesUploaded: 2 * SIZE })
  }, 30_000)

  it('saves the totals of running shares every minute, not only when they stop', async () => {
    // On a testnet with a manual clock: a minute passes when the test says so.
    const clock = new ManualClock(Date.now())
    net = await createTestnet(0, { dht: false, clock })
    const seederState = new MemoryStateStore()
    const updates = new Recorded<ShareUpdate>()
    const updateShare = seederState.updateShare.bind(seederState)
    seederState.updateShare = async (infohash, update, options) => {
      const record = await updateShare(infohash, update, options)
      updates.push(update)
      return record
    }
    const seeder = await net.add({ state: seederState })
    const leecher = await net.add()
    net.content(seeder).put('/share/a.bin', contentBytes(SIZE, 71))
    const share = await seeder.share('/share/a.bin', { pieceLength: 64 * 1024 })
    const saved = updates.length
    await leecher.download(share.magnet, { peers: [net.address(seeder)] }).done()
    // Counted as each block is sent, before the leecher can have it.
    expect(share.stats().bytesUploaded).toBe(SIZE)
    expect(await seederState.getShare(share.infohash)).toMatchObject({ bytesUploaded: 0 })

    await clock.advance(60_000)
    await updates.count(saved + 1)
    expect(updates.items[saved]).toMatchObject({ addUploaded: SIZE, addDownloaded: 0 })
    expect(await seederState.getShare(share.infohash)).toMatchObject({ bytesUploaded: SIZE })
    // A second save adds nothing when nothing moved: it does not even write.
    await clock.advance(60_000)
    expect(updates.length).toBe(saved + 1)
    expect(await seederState.getShare(share.infohash)).toMatchObject({ bytesUploaded: SIZE })
  })
})
