import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DhtNode } from '@mycel/dht'
import { ManualClock } from '@mycel/dht/testing'
import { createUdpDhtNode } from '@mycel/dht/udp'
import { MemoryStateStore } from '@mycel/store'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, DHT_ROUTING_TABLE_KEY, type MycelNode } from '../src/index.js'
import { cleanup, Recorded, sha256, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
let bootstrap: DhtNode | undefined
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
  await bootstrap?.close()
  bootstrap = undefined
})

describe('discovery through the DHT', () => {
  it('finds the seeder from a magnet link alone, through a local bootstrap node (real UDP and TCP)', async () => {
    bootstrap = await createUdpDhtNode({ host: '127.0.0.1', port: 0 })
    const router = `127.0.0.1:${bootstrap.address.port}`
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    const bytes = await writeContent(join(source, 'report.pdf'), 700_000, 11)
    const options = (dataDir: string) => ({
      dataDir,
      listen: ['tcp://127.0.0.1:0'],
      bootstrap: [router],
      dht: { host: '127.0.0.1' },
    })
    const seederData = await tempDir()
    const leecherData = await tempDir()
    dirs.push(seederData, leecherData)
    const seeder = await createNode(options(seederData))
    nodes.push(seeder)
    const share = await seeder.share(join(source, 'report.pdf'))
    // Make sure the announcement is stored before the leecher looks.
    expect(await seeder.announce(share.infohash)).toBeGreaterThan(0)
    const leecher = await createNode(options(leecherData))
    nodes.push(leecher)
    const magnet = share.magnet
    expect(magnet).not.toContain('x.pe') // nothing but the infohash and name
    await leecher.download(magnet, { dir: target }).done()
    expect(sha256(await readFile(join(target, 'report.pdf')))).toBe(sha256(bytes))
    expect(leecher.peers().map((peer) => peer.peerId)).toContain(seeder.peerId)
  }, 30_000)

  it('saves its DHT routing table every 15 minutes, not only at close (a killed process does not start cold)', async () => {
    bootstrap = await createUdpDhtNode({ host: '127.0.0.1', port: 0 })
    const dataDir = await tempDir()
    dirs.push(dataDir)
    const state = new MemoryStateStore()
    const tableSaves = new Recorded<Uint8Array>()
    const setValue = state.setValue.bind(state)
    state.setValue = async (key, value, options) => {
      await setValue(key, value, options)
      if (key === DHT_ROUTING_TABLE_KEY) tableSaves.push(value)
    }
    // The DHT runs on real time over real UDP; the node's scheduled work (its saves) on a manual clock.
    const clock = new ManualClock(Date.now())
    const dht = await createUdpDhtNode({
      host: '127.0.0.1',
      port: 0,
      bootstrap: [`127.0.0.1:${bootstrap.address.port}`],
    })
    const node = await createNode({ dataDir, state, clock, listen: ['tcp://127.0.0.1:0'], dht: { node: dht } })
    nodes.push(node)
    await dht.ready()
    expect(node.stats().dht?.routingTable.nodes).toBeGreaterThan(0)
    await clock.advance(15 * 60_000 - 1)
    expect(tableSaves.length).toBe(0)
    expect(await state.getValue(DHT_ROUTING_TABLE_KEY)).toBeUndefined()
    await clock.advance(1)
    await tableSaves.count(1)
    const saved = await state.getValue(DHT_ROUTING_TABLE_KEY)
    const snapshot = JSON.parse(new TextDecoder().decode(saved)) as { nodes: { host: string; port: number }[] }
    expect(snapshot.nodes).toContainEqual(expect.objectContaining({ host: '127.0.0.1', port: bootstrap.address.port }))
  }, 30_000)
})
