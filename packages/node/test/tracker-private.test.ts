/**
 * Private torrents (BEP 27, `private=1` in the info dictionary): found only
 * through their own trackers (and peers the user named), never announced
 * or looked up on the DHT, never told or taken through peer exchange. Each
 * test runs a public share beside the private one, to show that the DHT and
 * peer exchange do run.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import type { DhtNode } from '@mycel/dht'
import { createUdpDhtNode } from '@mycel/dht/udp'
import { decodeTorrent, discoveryKey, encodeTorrent, type Manifest } from '@mycel/pieces'
import { tcpTransport } from '@mycel/transport/tcp'
import {
  type BencodeDict,
  type BencodeInput,
  decodeBencode,
  decodeBencodeEntries,
  decodePexBody,
  encodeBencode,
  encodePexBody,
  type Message,
  PEX_PROTOCOL,
  toHex,
} from '@mycel/wire'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../../../test/support/tracker-process.js'
import { createNode, type MycelNode, type NodeOptions } from '../src/index.js'
import { cleanup, sha256, tempDir, writeContent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

let tracker: TrackerProcess
beforeAll(async () => {
  await ensureTrackerBuilt()
  tracker = await startTracker()
}, 600_000)
afterAll(() => tracker?.stop())

const nodes: MycelNode[] = []
const dirs: string[] = []
const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {})
  await cleanup(nodes.splice(0), dirs.splice(0))
})

async function folder(): Promise<string> {
  const dir = await tempDir()
  dirs.push(dir)
  return dir
}

async function node(options: Partial<NodeOptions> = {}): Promise<MycelNode> {
  const created = await createNode({ dataDir: await folder(), listen: ['tcp://127.0.0.1:0'], dht: false, ...options })
  nodes.push(created)
  return created
}

/** The keys a DHT node was asked to announce and look up (hex). */
interface DhtUse {
  readonly announced: string[]
  readonly looked: string[]
}

/** A real UDP DHT node on 127.0.0.1 that records the keys it announces and looks up. */
async function watchedDht(bootstrap: string[]): Promise<{ dht: DhtNode; use: DhtUse }> {
  const dht = await createUdpDhtNode({ host: '127.0.0.1', port: 0, bootstrap })
  const use: DhtUse = { announced: [], looked: [] }
  const announce = dht.announce.bind(dht)
  const lookup = dht.lookup.bind(dht)
  dht.announce = (key, port, options) => {
    use.announced.push(toHex(key))
    return announce(key, port, options)
  }
  dht.lookup = (key, options) => {
    use.looked.push(toHex(key))
    return lookup(key, options)
  }
  return { dht, use }
}

/** The same share as a private torrent: its info dictionary with `private` = 1 (so another infohash). */
function privateTorrentOf(manifest: Manifest): Manifest {
  const { bytes } = encodeTorrent(manifest, { announce: tracker.http })
  const entries = new Map(decodeBencodeEntries(bytes).map(({ key, value }) => [new TextDecoder().decode(key), value]))
  const info = { ...(decodeBencode(entries.get('info') as Uint8Array) as BencodeDict), private: 1 }
  entries.set('info', encodeBencode(info as BencodeInput))
  const ascii = (text: string) => new TextEncoder().encode(text)
  const parts: Uint8Array[] = [ascii('d')]
  for (const key of [...entries.keys()].sort())
    parts.push(ascii(`${key.length}:${key}`), entries.get(key) as Uint8Array)
  parts.push(ascii('e'))
  const rewritten = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    rewritten.set(part, at)
    at += part.length
  }
  const torrent = decodeTorrent(rewritten)
  expect(torrent.manifest.privateTorrent).toBe(true)
  return torrent.manifest
}

/** A TCP listener that counts the connections it gets, and says when the first comes. */
async function listener(): Promise<{ address: string; count: () => number; connected: Promise<void> }> {
  let count = 0
  let resolve: () => void = () => {}
  const connected = new Promise<void>((done) => {
    resolve = done
  })
  const server: Server = createServer((socket) => {
    count++
    resolve()
    socket.destroy()
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  closers.push(() => new Promise<void>((done) => server.close(() => done())))
  return { address: `tcp://127.0.0.1:${(server.address() as { port: number }).port}`, count: () => count, connected }
}

/** The pex messages a raw peer got, by infohash (hex). */
function pexOf(messages: readonly Message[]): Map<string, string[]> {
  const found = new Map<string, string[]>()
  for (const message of messages) {
    if (message.type !== 'ext' || message.protocol !== PEX_PROTOCOL) continue
    const body = decodePexBody(message.body)
    found.set(toHex(body.infohash), [...(found.get(toHex(body.infohash)) ?? []), ...body.added])
  }
  return found
}

describe('a private torrent (BEP 27)', () => {
  it('is found through its tracker only: never announced or looked up on the DHT, which runs for a public share beside it', async () => {
    const router = await createUdpDhtNode({ host: '127.0.0.1', port: 0 })
    closers.push(() => router.close())
    const bootstrap = [`127.0.0.1:${router.address.port}`]
    const source = await folder()
    const publicBytes = await writeContent(join(source, 'public.bin'), 200_000, 91)
    const secretBytes = await writeContent(join(source, 'secret.bin'), 300_000, 92)
    const plain = await (await node()).share(join(source, 'secret.bin'))
    const secret = privateTorrentOf(plain.manifest)

    const seederDht = await watchedDht(bootstrap)
    const seeder = await node({ dht: { node: seederDht.dht } })
    const open = await seeder.share(join(source, 'public.bin'))
    expect(await seeder.announce(open.infohash)).toBeGreaterThan(0)
    // The seeder holds the private share's files already: verified in place, then seeded.
    await seeder.addManifest(secret)
    await seeder.download(secret.infohashHex, { dir: source, existingFiles: 'verify', trackers: [tracker.http] }).done()
    expect(await seeder.announce(secret.infohash)).toBe(1)

    const leecherDht = await watchedDht(bootstrap)
    const leecher = await node({ dht: { node: leecherDht.dht } })
    const target = await folder()
    await leecher.addManifest(secret)
    const privateDownload = leecher.download(secret.infohashHex, { dir: target, trackers: [tracker.http] })
    // The public share is found on the DHT.
    await leecher.download(open.magnet, { dir: target }).done()
    await privateDownload.done()
    expect(sha256(await readFile(join(target, 'secret.bin')))).toBe(sha256(secretBytes))
    expect(sha256(await readFile(join(target, 'public.bin')))).toBe(sha256(publicBytes))

    const publicKey = toHex(discoveryKey(open.infohash))
    expect(seederDht.use.announced).toContain(publicKey)
    expect(leecherDht.use.looked).toContain(publicKey)
    const privateKeys = [toHex(discoveryKey(secret.infohash)), toHex(secret.infohash.slice(0, 20))]
    for (const use of [seederDht.use, leecherDht.use]) {
      for (const key of privateKeys) {
        expect(use.announced).not.toContain(key)
        expect(use.looked).not.toContain(key)
      }
    }
  }, 60_000)

  it('a node tells no peer about the members of a private torrent, and takes no peers from what peers tell it', async () => {
    const source = await folder()
    await writeContent(join(source, 'public.bin'), 100_000, 93)
    await writeContent(join(source, 'secret.bin'), 100_000, 94)
    const plain = await (await node()).share(join(source, 'secret.bin'))
    const secret = privateTorrentOf(plain.manifest)
    const seeder = await node()
    const open = await seeder.share(join(source, 'public.bin'))
    await seeder.addManifest(secret)
    await seeder.download(secret.infohashHex, { dir: source, existingFiles: 'verify' }).done()
    // A leecher joins both shares on the seeder, through the same connection.
    const leecher = await node()
    await leecher.addManifest(secret)
    await leecher.download(secret.infohashHex, { dir: await folder(), peers: seeder.addresses }).done()
    await leecher.download(open.magnet, { dir: await folder(), peers: seeder.addresses }).done()

    // Telling: a peer that joins both (the private one first) hears of the leecher for the public share only.
    const raw = await RawPeer.dial(tcpTransport(), seeder.addresses[0] as string, [PEX_PROTOCOL])
    closers.push(() => raw.close())
    await raw.next('hello')
    raw.send({ type: 'bitfield', infohash: secret.infohash, bits: new Uint8Array(0) })
    raw.send({ type: 'bitfield', infohash: open.infohash, bits: new Uint8Array(0) })
    await new Promise<void>((resolve) =>
      raw.on(() => {
        if (pexOf(raw.received).has(open.infohashHex)) resolve()
      }),
    )
    const told = pexOf(raw.received)
    expect(told.get(open.infohashHex)).toEqual(leecher.addresses)
    expect(told.has(secret.infohashHex)).toBe(false)

    // Taking: a download still looking for peers takes the addresses a member gives for a public share only.
    const waiting = await node()
    await waiting.addManifest(secret)
    waiting.download(secret.infohashHex, { dir: await folder() })
    const publicWaiting = waiting.download(`${'ab'.repeat(32)}`, { dir: await folder() })
    const other = await RawPeer.dial(tcpTransport(), waiting.addresses[0] as string, [PEX_PROTOCOL])
    closers.push(() => other.close())
    await other.next('hello')
    const forPrivate = await listener()
    const forPublic = await listener()
    const publicInfohash = new Uint8Array(Buffer.from('ab'.repeat(32), 'hex'))
    other.send({ type: 'bitfield', infohash: secret.infohash, bits: new Uint8Array(0) })
    other.send({ type: 'bitfield', infohash: publicInfohash, bits: new Uint8Array(0) })
    other.send({
      type: 'ext',
      protocol: PEX_PROTOCOL,
      body: encodePexBody({ infohash: secret.infohash, added: [forPrivate.address], dropped: [] }),
    })
    other.send({
      type: 'ext',
      protocol: PEX_PROTOCOL,
      body: encodePexBody({ infohash: publicInfohash, added: [forPublic.address], dropped: [] }),
    })
    await forPublic.connected
    expect(forPrivate.count()).toBe(0)
    expect(publicWaiting.progress.totalBytes).toBeUndefined()
  }, 60_000)
})
