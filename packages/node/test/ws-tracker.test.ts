/**
 * WebSocket (WebTorrent-style) trackers: two nodes that know nothing but a
 * real `mycel-tracker --ws` process (no DHT, no address of each other, no
 * middle peer) meet over WebRTC through its offers and answers; the
 * client's message decoder under fast-check; and its bounds against a
 * tracker of the test's own.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseMagnet } from '@mycel/pieces'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../../../test/support/tracker-process.js'
import { createNode, type MycelNode, type NodeOptions } from '../src/index.js'
import { cleanup, sha256, tempDir, writeContent } from './helpers.js'

let tracker: TrackerProcess
beforeAll(async () => {
  await ensureTrackerBuilt()
  tracker = await startTracker(['--ws', '127.0.0.1:0'])
}, 600_000)
afterAll(() => tracker?.stop())

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

/** A node with no DHT that listens on nothing but WebRTC. */
async function node(options: Partial<NodeOptions> = {}): Promise<MycelNode> {
  const created = await createNode({ dataDir: await folder(), dht: false, listen: [], webrtc: {}, ...options })
  nodes.push(created)
  return created
}

describe('through mycel-tracker --ws only', () => {
  it('a leecher holding a magnet whose only tr is a ws:// tracker downloads from the seeder over WebRTC', async () => {
    const url = tracker.ws as string
    const source = await folder()
    const target = await folder()
    const bytes = await writeContent(join(source, 'film.bin'), 700_000, 91)
    const seeder = await node()
    const share = await seeder.share(join(source, 'film.bin'), { trackers: [url] })
    expect(parseMagnet(share.magnet).trackers).toEqual([url])
    expect(seeder.addresses).toEqual([`webrtc://${seeder.peerId}`])
    // The seeder is in the tracker's swarm once its announce reached it.
    expect(await seeder.announce(share.infohash)).toBe(1)
    const leecher = await node()
    await leecher.download(share.magnet, { dir: target }).done()
    expect(sha256(await readFile(join(target, 'film.bin')))).toBe(sha256(bytes))
    // The leecher's offer went through the tracker unaddressed: the seeder's id came from the handshake.
    const toSeeder = leecher.peers().filter((peer) => peer.peerId === seeder.peerId)
    expect(toSeeder.map((peer) => peer.address?.startsWith('webrtc-offer://'))).toEqual([true])
  }, 90_000)

  it('node-wide ws:// trackers (the trackers option) serve a magnet with no tr', async () => {
    const url = tracker.ws as string
    const source = await folder()
    const target = await folder()
    const bytes = await writeContent(join(source, 'song.bin'), 300_000, 92)
    const seeder = await node({ trackers: [url] })
    const share = await seeder.share(join(source, 'song.bin'))
    expect(parseMagnet(share.magnet).trackers).toEqual([])
    expect(await seeder.announce(share.infohash)).toBe(1)
    const leecher = await node({ trackers: [url] })
    await leecher.download(share.magnet, { dir: target }).done()
    expect(sha256(await readFile(join(target, 'song.bin')))).toBe(sha256(bytes))
    expect(leecher.peers().map((peer) => peer.peerId)).toContain(seeder.peerId)
  }, 90_000)
})
