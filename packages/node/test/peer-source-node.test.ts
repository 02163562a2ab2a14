import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { ManualClock } from '@mycel/dht/testing'
import { discoveryKey } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import type { Transport } from '@mycel/transport'
import { tcpTransport } from '@mycel/transport/tcp'
import { toHex } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { DISCOVERY_RETRY_MS } from '../src/discovery.js'
import { createNode, type MycelNode, type NodeOptions, type PeerSource } from '../src/index.js'
import { cleanup, sha256, tempDir, writeContent } from './helpers.js'
import { MemoryTracker } from './memory-tracker.js'

const HOST = '127.0.0.1'
const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

async function folder(): Promise<string> {
  const dir = await tempDir()
  dirs.push(dir)
  return dir
}

/** A node with no DHT, on TCP at 127.0.0.1. */
async function node(options: Partial<NodeOptions> = {}): Promise<MycelNode> {
  const created = await createNode({ dataDir: await folder(), listen: [`tcp://${HOST}:0`], dht: false, ...options })
  nodes.push(created)
  return created
}

/** A TCP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const portOf = (node: MycelNode) => Number(new URL(node.addresses[0] as string).port)

describe('peer sources in a node', () => {
  it('two nodes without a DHT find each other only through a second peer source, and complete a download', async () => {
    const tracker = new MemoryTracker()
    const source = await folder()
    const target = await folder()
    const bytes = await writeContent(join(source, 'album.bin'), 400_000, 41)
    const seeder = await node({ peerSources: [tracker.source(HOST)] })
    const share = await seeder.share(join(source, 'album.bin'))
    const key = toHex(discoveryKey(share.infohash))
    const announce = await tracker.announced((a) => a.key === key)
    expect(announce).toEqual({ key, address: `tcp://${HOST}:${portOf(seeder)}`, event: 'started' })
    const leecher = await node({ peerSources: [tracker.source(HOST)] })
    expect(share.magnet).not.toContain('x.pe')
    await leecher.download(share.magnet, { dir: target }).done()
    expect(sha256(await readFile(join(target, 'album.bin')))).toBe(sha256(bytes))
    expect(leecher.peers().map((peer) => peer.peerId)).toContain(seeder.peerId)
    // The tracker saw the discovery key only, never the infohash.
    expect(tracker.lookups).toContain(key)
    expect([...tracker.announces.map((a) => a.key), ...tracker.lookups]).not.toContain(share.infohashHex.slice(0, 40))
  }, 30_000)

  it('announces on demand to every source, and says stopped when a share is removed', async () => {
    const tracker = new MemoryTracker()
    const source = await folder()
    await writeContent(join(source, 'a.bin'), 20_000, 42)
    const seeder = await node({ peerSources: [tracker.source(HOST), tracker.source('192.0.2.7')] })
    const share = await seeder.share(join(source, 'a.bin'))
    expect(await seeder.announce(share.infohash)).toBe(2)
    await seeder.remove(share.infohash)
    const key = toHex(discoveryKey(share.infohash))
    await tracker.announced((a) => a.event === 'stopped' && a.address.startsWith(`tcp://${HOST}`))
    await tracker.announced((a) => a.event === 'stopped' && a.address.startsWith('tcp://192.0.2.7'))
    expect(tracker.swarms.get(key)?.size).toBe(0)
  })

  it('announces under the truncated infohash when a share asks, and keeps each share’s choice across a restart', async () => {
    const tracker = new MemoryTracker()
    const source = await folder()
    await writeContent(join(source, 'public.bin'), 20_000, 43)
    await writeContent(join(source, 'private.bin'), 20_000, 44)
    const dataDir = await folder()
    const state = new MemoryStateStore()
    const options = { dataDir, state, announceKey: 'infohash' as const }
    const first = await node({ ...options, peerSources: [tracker.source(HOST)] })
    const open = await first.share(join(source, 'public.bin'))
    // The node's default is the infohash; this share chose its discovery key, which must survive a restart.
    const closed = await first.share(join(source, 'private.bin'), { announceKey: 'discovery-key' })
    const truncated = (infohash: Uint8Array) => toHex(infohash.slice(0, 20))
    await tracker.announced((a) => a.key === truncated(open.infohash))
    await tracker.announced((a) => a.key === toHex(discoveryKey(closed.infohash)))
    await first.close()
    const after = new MemoryTracker()
    // After a restart each share keeps its key: the one that chose its discovery key does not take the default.
    const second = await node({ ...options, peerSources: [after.source(HOST)] })
    const keysOf = (infohash: Uint8Array) => [truncated(infohash), toHex(discoveryKey(infohash))]
    const resumedOpen = await after.announced((a) => keysOf(open.infohash).includes(a.key))
    const resumedClosed = await after.announced((a) => keysOf(closed.infohash).includes(a.key))
    expect(resumedOpen.key).toBe(truncated(open.infohash))
    expect(resumedClosed.key).toBe(toHex(discoveryKey(closed.infohash)))
    await second.close()
  })

  it('dials the direct peers of a download again while it lacks peers: a seeder that comes up later is reached', async () => {
    const source = await folder()
    const target = await folder()
    const bytes = await writeContent(join(source, 'late.bin'), 300_000, 45)
    const port = await freePort()
    // Count the leecher's dials, to start the seeder only after the first one failed.
    const tcp = tcpTransport()
    const dialled: Array<() => void> = []
    let dials = 0
    const counting: Transport = {
      schemes: tcp.schemes,
      listen: (address, options) => tcp.listen(address, options),
      close: () => tcp.close(),
      dial: (address, options) => {
        const result = tcp.dial(address, options)
        result.then(
          () => {},
          () => {
            dials++
            for (const wake of dialled.splice(0)) wake()
          },
        )
        return result
      },
    }
    // The retry is scheduled work: on a manual clock, the test moves time past it (the dials stay real TCP).
    const clock = new ManualClock(Date.now())
    const leecher = await node({ transports: [counting], clock })
    const { formatMagnet } = await import('@mycel/pieces')
    const { ingestPath } = await import('@mycel/pieces/node')
    const manifest = await ingestPath(join(source, 'late.bin'))
    const download = leecher.download(formatMagnet({ infohash: manifest.infohash, name: manifest.name }), {
      dir: target,
      peers: [`tcp://${HOST}:${port}`],
    })
    // Nobody listens there yet: the first dial fails. Then the seeder starts on that port.
    if (dials === 0) await new Promise<void>((resolve) => dialled.push(resolve))
    const seeder = await node({ listen: [`tcp://${HOST}:${port}`] })
    await seeder.share(join(source, 'late.bin'))
    expect(download.progress.peers).toBe(0)
    await clock.advance(DISCOVERY_RETRY_MS)
    await download.done()
    expect(sha256(await readFile(join(target, 'late.bin')))).toBe(sha256(bytes))
  }, 60_000)

  it('refuses bad peer-source and announce-key options with a TypeError', async () => {
    const dataDir = await folder()
    await expect(createNode({ dataDir, dht: false, announceKey: 'sha1' as never })).rejects.toThrow(TypeError)
    await expect(createNode({ dataDir, dht: false, peerSources: [{} as PeerSource] })).rejects.toThrow(TypeError)
    const plain = await node({ state: new MemoryStateStore() })
    const link = `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}`
    expect(() => plain.download(link, { announceKey: 'both' as never })).toThrow(TypeError)
    expect(() => plain.download(link, { peers: [7 as never] })).toThrow(TypeError)
    expect(plain.getDownload(`${'ab'.repeat(32)}`)).toBeUndefined()
    await expect(plain.share(await folder(), { announceKey: 'x' as never })).rejects.toThrow(TypeError)
  })
})
