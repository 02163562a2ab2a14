/**
 * The attacks of issue 16 ("Hostile peers") against a real seeder process
 * over real TCP on 127.0.0.1. The attacker plays another host (127.0.0.2,
 * or 127.0.x.2 for other /24 networks, see local-tcp.ts); an honest leecher
 * on 127.0.0.1 must complete its download while the attack runs.
 */
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type Download, type DownloadOptions, type MycelNode } from '../src/index.js'
import { floodMetaGets, HalfOpenFlood, SybilSwarm, sendNestedArrays } from './attack-peers.js'
import { cleanup, sha256, tempDir, untilEvent } from './helpers.js'
import type { RawPeer } from './raw-peer.js'
import { SeederProcess } from './seeder-process.js'

const ATTACKER = '127.0.0.2'
/** 32 MiB in 16 KiB pieces: 2,048 piece hashes, so the metadata is 64 KiB and one `meta-get` answers all of it. */
const FILE_BYTES = 32 * 1024 * 1024
const PIECE_LENGTH = 16 * 1024

const nodes: MycelNode[] = []
const dirs: string[] = []
const seeders: SeederProcess[] = []
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((close) => close()))
  await Promise.allSettled(seeders.splice(0).map((seeder) => seeder.kill()))
  await cleanup(nodes.splice(0), dirs.splice(0))
})

/** A seeder process sharing a 32 MiB file (sparse: zeros cost no disk). */
async function startSeeder(limits: Parameters<typeof SeederProcess.start>[3] = {}): Promise<SeederProcess> {
  const dir = await tempDir()
  dirs.push(dir)
  const file = join(dir, 'big.bin')
  const handle = await open(file, 'w')
  await handle.truncate(FILE_BYTES)
  await handle.close()
  const seeder = await SeederProcess.start(join(dir, 'state'), file, PIECE_LENGTH, limits)
  seeders.push(seeder)
  return seeder
}

/**
 * A seeder that has already served one honest download: the buffers, pools
 * and compiled code that serving needs are in its resident memory, so what a
 * memory check measures after it is what the attack adds, not warm-up.
 */
async function warmSeeder(): Promise<SeederProcess> {
  const seeder = await startSeeder()
  expect(await honestCompletes(seeder)).toBe(true)
  return seeder
}

/** An honest node on 127.0.0.1. */
async function honestNode(): Promise<MycelNode> {
  const dataDir = await tempDir()
  dirs.push(dataDir)
  const node = await createNode({ dataDir, listen: ['tcp://127.0.0.1:0'], dht: false, state: new MemoryStateStore() })
  nodes.push(node)
  return node
}

/**
 * Starts downloading the seeder's share with an honest node; `completed`
 * resolves with whether it completed (and its bytes are the file's) within
 * `timeoutMs`, `finished` says whether it has.
 */
async function honestDownload(
  seeder: SeederProcess,
  options: { node?: MycelNode; limits?: DownloadOptions['limits']; timeoutMs?: number } = {},
): Promise<{ completed: Promise<boolean>; finished: () => boolean; download: Download }> {
  const node = options.node ?? (await honestNode())
  const dir = await tempDir()
  dirs.push(dir)
  const download = node.download(seeder.magnet, {
    dir,
    peers: [seeder.address],
    ...(options.limits ? { limits: options.limits } : {}),
  })
  let finished = false
  const completed = download.done({ signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) }).then(
    async () => {
      finished = true
      return sha256(await readFile(join(dir, 'big.bin'))) === sha256(new Uint8Array(FILE_BYTES))
    },
    () => false,
  )
  return { completed, finished: () => finished, download }
}

/** Downloads the seeder's share with a fresh honest node; whether it completed within 30 s. */
async function honestCompletes(seeder: SeederProcess): Promise<boolean> {
  return (await honestDownload(seeder)).completed
}

function infohashOf(magnet: string): Uint8Array {
  const hex = /urn:btmh:1220([0-9a-f]{64})/.exec(magnet)?.[1] as string
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

describe('attacks on a seeder over TCP', { timeout: 60_000 }, () => {
  it('meta-get flood: the seeder stays within 64 MiB of its RSS and cuts the flooder off; an honest leecher completes', async () => {
    const seeder = await warmSeeder()
    const before = await seeder.memory()
    // 4,000 meta-gets (about 180 KiB of requests) from a member that reads nothing: answered in
    // full, they would be 4,000 copies of the 64 KiB metadata, 250 MiB, queued on the seeder.
    const flooding = floodMetaGets(seeder.address, ATTACKER, infohashOf(seeder.magnet), { count: 4000, join: true })
    const honest = honestCompletes(seeder)
    const attacker: RawPeer = await flooding
    closers.push(() => attacker.close())
    // The seeder says when it closed the flooder (the flooder, reading nothing, may not notice).
    const attackerId = attacker.identity.toString()
    const cutOff = await seeder
      .untilLine(() => seeder.disconnectionOf(attackerId) !== undefined, "the flooder's disconnection", 10_000)
      .then(
        () => true,
        () => false,
      )
    expect(await honest).toBe(true)
    const after = await seeder.memory()
    expect(cutOff).toBe(true)
    expect(seeder.disconnectionOf(attackerId)).toBe('PEER_PROTOCOL')
    expect(after.peak - before.rss).toBeLessThan(64)
  })

  it('sybils from one address hold at most maxConnectionsPerAddress slots; an honest leecher completes', async () => {
    const seeder = await startSeeder({ maxConnections: 50 })
    // 60 fresh identities from one IP that send hello and then nothing.
    const sybils = await SybilSwarm.connect(seeder.address, ATTACKER, 60)
    closers.push(() => sybils.close())
    expect(sybils.admitted).toBeLessThanOrEqual(8)
    expect(sybils.refused).toBeGreaterThanOrEqual(52)
    expect(await honestCompletes(seeder)).toBe(true)
    const { refused } = await seeder.stats()
    // Refused for holding 8 connections, or for 4 handshakes in progress at once.
    expect((refused?.['address-connections'] ?? 0) + (refused?.['address-handshakes'] ?? 0)).toBeGreaterThanOrEqual(52)
  })

  it('when every slot is taken, a new peer gets the slot of an idle sybil, never that of a peer downloading', async () => {
    const loose = { maxConnectionsPerAddress: 100, maxConnectionsPerSubnet: 100 }
    const seeder = await startSeeder({
      maxConnections: 10,
      ...loose,
      maxHandshakesPerAddress: 100,
      maxHandshakesPerSubnet: 100,
    })
    // A downloads slowly (about 6 s), so it is moving data the whole time.
    const nodeA = await honestNode()
    const downloadA = await honestDownload(seeder, {
      node: nodeA,
      limits: { downloadRate: 6 * 1024 * 1024 },
      timeoutMs: 60_000,
    })
    let aDropped = false
    nodeA.on('peer-disconnected', (peer) => {
      if (peer.peerId === seeder.peerId && !downloadA.finished()) aDropped = true
    })
    await untilEvent(
      downloadA.download,
      'progress',
      () => nodeA.peers().length === 1 && nodeA.stats().bytesDownloaded > 0,
    )
    // Sybils take the 9 other slots, and 5 more come: each takes the slot of an older sybil.
    const sybils = await SybilSwarm.connect(seeder.address, ATTACKER, 9, 1)
    closers.push(() => sybils.close())
    const late = await SybilSwarm.connect(seeder.address, ATTACKER, 5, 1)
    closers.push(() => late.close())
    expect(sybils.admitted + late.admitted).toBe(14)
    await sybils.whenOpen(4)
    expect(sybils.open).toBe(4)
    // B, honest, arrives with every slot taken: it gets the slot of a sybil and completes.
    expect(await honestCompletes(seeder)).toBe(true)
    expect(await downloadA.completed).toBe(true)
    expect(aDropped).toBe(false)
    expect(seeder.disconnections.filter((code) => code === 'PEER_LIMIT').length).toBeGreaterThanOrEqual(6)
  })

  it('closes connections that stay idle for idleTimeout, and keeps a peer that is downloading', async () => {
    const seeder = await startSeeder({
      idleTimeout: 1000,
      maxConnectionsPerAddress: 100,
      maxHandshakesPerAddress: 100,
      maxHandshakesPerSubnet: 100,
    })
    const node = await honestNode()
    const download = await honestDownload(seeder, {
      node,
      limits: { downloadRate: 8 * 1024 * 1024 },
      timeoutMs: 60_000,
    })
    // Once it is done, the leecher's connection is idle too, and goes.
    let dropped = false
    node.on('peer-disconnected', (peer) => {
      if (peer.peerId === seeder.peerId && !download.finished()) dropped = true
    })
    const sybils = await SybilSwarm.connect(seeder.address, ATTACKER, 10)
    closers.push(() => sybils.close())
    expect(sybils.admitted).toBe(10)
    const idle = () => seeder.disconnections.filter((code) => code === 'PEER_TIMEOUT').length
    await seeder.untilLine(() => idle() >= 10, 'ten idle disconnections', 20_000)
    expect(idle()).toBe(10)
    await sybils.whenOpen(0)
    expect(await download.completed).toBe(true)
    expect(dropped).toBe(false)
  })

  it('half-open handshake flood: one address gets maxHandshakesPerAddress answers, the rest are closed unanswered; an honest leecher completes', async () => {
    const seeder = await startSeeder()
    const flood = await HalfOpenFlood.open(seeder.address, ATTACKER, 1000)
    closers.push(() => flood.close())
    expect(await honestCompletes(seeder)).toBe(true)
    // Every refused connection was closed before a byte was sent back: no public-key work for it.
    while (flood.result.closedByNode < 990) await flood.changed()
    expect(flood.result.failed).toBe(0)
    expect(flood.result.answered).toBeLessThanOrEqual(8)
    const { refused } = await seeder.stats()
    expect(refused?.['address-handshakes']).toBeGreaterThanOrEqual(990)
  })

  it('handshakes from many networks: over maxHandshakes, the oldest is dropped for the new one; an honest leecher completes', async () => {
    const seeder = await startSeeder({ maxHandshakes: 4 })
    // 8 hosts in 8 different /24 networks, 4 half-open handshakes each: within every per-address limit.
    const floods = await Promise.all(
      Array.from({ length: 8 }, (_, i) => HalfOpenFlood.open(seeder.address, `127.0.${i + 1}.2`, 4)),
    )
    closers.push(() => Promise.all(floods.map((flood) => flood.close())).then(() => {}))
    const closed = () => floods.reduce((sum, flood) => sum + flood.result.closedByNode, 0)
    // 32 handshakes, 4 slots: 28 were dropped for newer ones (counted as such, not timed out).
    // Real time (another process, real sockets): bounded, each check made when a connection changed.
    const deadline = AbortSignal.timeout(20_000)
    const aborted = new Promise<void>((resolve) => deadline.addEventListener('abort', () => resolve()))
    while (closed() < 28 && !deadline.aborted) await Promise.race([...floods.map((flood) => flood.changed()), aborted])
    if (closed() < 28) {
      const outcomes = JSON.stringify(floods.map((flood) => flood.result))
      throw new Error(`28 closed not within 20 s: ${outcomes}, seeder ${JSON.stringify(await seeder.stats())}`)
    }
    expect((await seeder.stats()).refused?.handshakes).toBeGreaterThanOrEqual(28)
    expect(await honestCompletes(seeder)).toBe(true)
  })

  it('decoder depth: 20 messages of 1 MiB of nested msgpack arrays are refused without decoding; the seeder stays small and an honest leecher completes', async () => {
    const seeder = await warmSeeder()
    const before = await seeder.memory()
    const honest = honestDownload(seeder)
    // Four at a time, within the per-address handshake limit: each connection is closed by the seeder.
    const started = performance.now()
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(Array.from({ length: 4 }, () => sendNestedArrays(seeder.address, ATTACKER, 1024 * 1024)))
    }
    const attackMs = performance.now() - started
    expect(await (await honest).completed).toBe(true)
    const after = await seeder.memory()
    // Decoded, each message held the seeder's one thread for about a second and built a million arrays.
    expect(after.peak - before.rss, `attack took ${Math.round(attackMs)} ms`).toBeLessThan(64)
  })
})
