/**
 * Onion addresses in tracker announces (issue 24), with real parts: a
 * `mycel-tracker` process, Debian's microsocks as the proxy of the nodes in
 * proxy mode, real TCP on 127.0.0.1. A node with `onion` announces it over
 * HTTP (`ip=<name>.onion`, its port); the tracker lists it only in
 * dictionary peer lists (never at the address the announce came from); a
 * proxied node that finds it there dials it through the proxy by name; a
 * compact list (a node without a proxy) never holds it.
 */
import { join } from 'node:path'
import { type AnnounceReply, decodeAnnounceResponse, formatAnnounceQuery } from '@mycel/wire'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../../../test/support/tracker-process.js'
import { type SocksServer, startMicrosocks } from '../../transport/test/socks-servers.js'
import { createNode, type MycelNode, type NodeOptions } from '../src/index.js'
import { cleanup, tempDir, writeContent } from './helpers.js'
import { LogRecorder } from './log-recorder.js'

/** A real v3 onion address (the Tor Project's): its checksum is valid. */
const ONION = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion'

let tracker: TrackerProcess
beforeAll(async () => {
  await ensureTrackerBuilt()
  tracker = await startTracker()
}, 600_000)
afterAll(() => tracker?.stop())

const nodes: MycelNode[] = []
const dirs: string[] = []
const servers: SocksServer[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
  await Promise.all(servers.splice(0).map((server) => server.kill()))
})

async function node(options: NodeOptions): Promise<MycelNode> {
  const dataDir = await tempDir()
  dirs.push(dataDir)
  const made = await createNode({ dataDir, ...options })
  nodes.push(made)
  return made
}

/** What the tracker answers a plain client announcing the key (compact or not). */
async function peersListed(key: Uint8Array, compact: boolean): Promise<AnnounceReply['peers']> {
  const query = formatAnnounceQuery({
    infohash: key,
    peerId: new TextEncoder().encode('-XX0001-abcdefghijkl'),
    port: 6999,
    uploaded: 0,
    downloaded: 0,
    left: 1,
    numwant: 50,
    compact,
  })
  const reply = decodeAnnounceResponse(new Uint8Array(await (await fetch(`${tracker.http}?${query}`)).arrayBuffer()))
  if (reply.kind !== 'announce') throw new Error(reply.reason)
  return reply.peers.filter((peer) => peer.port !== 6999)
}

describe('onion addresses in tracker announces', () => {
  it('are announced over HTTP, listed only in dictionary lists, and dialled through the proxy by a proxied node', async () => {
    const proxy = await startMicrosocks()
    servers.push(proxy)
    const folder = await tempDir()
    dirs.push(folder)
    await writeContent(join(folder, 'file.bin'), 100_000, 3)
    const onionNode = await node({ proxy: proxy.url, onion: `${ONION}:4001`, trackers: [tracker.http] })
    const share = await onionNode.share(join(folder, 'file.bin'), { announceKey: 'infohash' })
    expect(await onionNode.announce(share.infohash)).toBe(1)
    // The announce reached the tracker through the proxy.
    expect(proxy.output()).toMatch(/connected to 127\.0\.0\.1:\d+/)
    const key = share.infohash.slice(0, 20)
    // Listed at its onion address, only where a list can hold one; never at the address it came from.
    expect(await peersListed(key, false)).toEqual([{ host: ONION, port: 4001 }])
    expect(await peersListed(key, true)).toEqual([])

    // A proxied node (no onion of its own: it announces no address) finds it through the tracker and dials
    // it by name through the proxy, which cannot reach it (microsocks resolves names, and no resolver knows it).
    const log = new LogRecorder('mycel:peer')
    const proxied = await node({ proxy: proxy.url, logger: log.logger })
    const target = await tempDir()
    dirs.push(target)
    const dialled = log.line(`tcp://${ONION}:4001`)
    const download = proxied.download(share.magnet, {
      dir: target,
      trackers: [tracker.http],
      announceKey: 'infohash',
    })
    // The proxy's own reply: the name went to it unresolved (a local lookup fails before any SOCKS exchange).
    expect(await dialled).toMatch(/failed: DIAL_FAILED: the proxy could not connect to the target/)
    await download.stop()
    // Its own announce listed nothing: a node behind a proxy without an onion address has no address to give.
    expect(await peersListed(key, false)).toEqual([{ host: ONION, port: 4001 }])
  }, 60_000)
})
