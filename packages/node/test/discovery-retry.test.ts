/**
 * Discovery retries what failed from seconds, not at the normal interval:
 * nodes of a testnet, on its memory DHT and a manual clock, so "within
 * seconds" is virtual time the test reads, and nothing waits for real
 * retries.
 */
import type { DhtNode } from '@mycel/dht'
import { ManualClock } from '@mycel/dht/testing'
import { discoveryKey, formatMagnet, ingest } from '@mycel/pieces'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode } from '../src/index.js'
import { createTestnet, type NodeTestnet } from '../src/testing.js'
import { contentBytes, deferred, Recorded, sha256 } from './helpers.js'

let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
})

/** The host a node's DHT runs on (where the testnet's DHT lists it). */
function hostOf(dht: DhtNode): string {
  return dht.address.host
}

describe('discovery retries what failed, from seconds', () => {
  it('announces a share within seconds of the DHT becoming reachable, not 15 minutes later', async () => {
    const clock = new ManualClock(Date.now())
    net = await createTestnet(1, { clock })
    const router = net.dhtOf(net.nodes[0] as MycelNode) as DhtNode
    const network = net.dhtNetwork as NonNullable<NodeTestnet['dhtNetwork']>
    // The only node the seeder's DHT knows does not answer yet.
    network.setOnline(router.address, false)
    const seeder = await net.add()
    const seederDht = net.dhtOf(seeder) as DhtNode
    const announces = new Recorded<{ at: number; stored: number }>()
    const stored = deferred<number>()
    const announce = seederDht.announce.bind(seederDht)
    seederDht.announce = async (...args: Parameters<DhtNode['announce']>) => {
      const count = await announce(...args)
      announces.push({ at: clock.now(), stored: count })
      if (count > 0) stored.resolve(clock.now())
      return count
    }
    net.content(seeder).put('/share/notes.bin', contentBytes(50_000, 81))
    const share = await seeder.share('/share/notes.bin')
    // The first announcement goes nowhere.
    await net.settle(announces.count(1))
    expect(announces.items.map((a) => a.stored)).toEqual([0])
    network.setOnline(router.address, true)
    const up = clock.now()
    // The retries start at 5 s and double; the fixed interval is 15 minutes.
    const storedAt = await net.settle(stored.promise, { maxTime: 40_000 })
    expect(storedAt - up).toBeLessThanOrEqual(40_000)
    const listed: string[] = []
    await net.settle(
      (async () => {
        for await (const peer of router.lookup(discoveryKey(share.infohash))) listed.push(peer.host)
      })(),
    )
    expect(listed).toContain(hostOf(seederDht))
  })

  it('looks a download up again within seconds when its lookup found nobody', async () => {
    const clock = new ManualClock(Date.now())
    net = await createTestnet(3, { clock })
    const [, leecher, seeder] = net.nodes as [MycelNode, MycelNode, MycelNode]
    const leecherDht = net.dhtOf(leecher) as DhtNode
    const seederHost = hostOf(net.dhtOf(seeder) as DhtNode)
    const lookups = new Recorded<string[]>()
    const found = deferred<number>()
    const lookup = leecherDht.lookup.bind(leecherDht)
    leecherDht.lookup = async function* (...args: Parameters<DhtNode['lookup']>) {
      const hosts: string[] = []
      for await (const peer of lookup(...args)) {
        hosts.push(peer.host)
        if (peer.host === seederHost) found.resolve(clock.now())
        yield peer
      }
      lookups.push(hosts)
    }
    const bytes = contentBytes(200_000, 82)
    const pieceLength = 64 * 1024
    const manifest = await ingest([{ path: ['late.bin'], length: bytes.length, content: [bytes] }], {
      name: 'late.bin',
      pieceLength,
    })
    const download = leecher.download(formatMagnet({ infohash: manifest.infohash, name: manifest.name }))
    // The leecher's first lookup finds nobody.
    await net.settle(lookups.count(1))
    expect(lookups.items[0]).toEqual([])
    expect(download.progress.peers).toBe(0)
    net.content(seeder).put('/share/late.bin', bytes)
    const share = await seeder.share('/share/late.bin', { pieceLength })
    expect(share.infohashHex).toBe(manifest.infohashHex)
    expect(await net.settle(seeder.announce(share.infohash))).toBeGreaterThan(0)
    const announcedAt = clock.now()
    // The retries start at 5 s and double; the fixed interval is a minute.
    const foundAt = await net.settle(found.promise, { maxTime: 40_000 })
    expect(foundAt - announcedAt).toBeLessThanOrEqual(40_000)
    await download.done()
    expect(sha256(net.content(leecher).get('/downloads/late.bin') as Uint8Array)).toBe(sha256(bytes))
  })
})
