import { readFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import type { DhtNode } from '@mycel/dht'
import { createUdpDhtNode } from '@mycel/dht/udp'
import { discoveryKey } from '@mycel/pieces'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode } from '../src/index.js'
import { cleanup, sha256, tempDir, writeContent } from './helpers.js'

const HOST = '127.0.0.1'
const nodes: MycelNode[] = []
const dirs: string[] = []
const dhts: DhtNode[] = []
const servers: Server[] = []
const sockets = new Set<Socket>()
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
  await Promise.allSettled(dhts.splice(0).map((dht) => dht.close()))
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  await Promise.allSettled(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => resolve((server.address() as { port: number }).port))
  })
}

/** A TCP port that accepts connections and never says a word (a peer that hung, or not a mycel peer). */
async function silentListener(): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  servers.push(server)
  return listen(server)
}

/** A TCP port nobody listens on any more: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('a download among dead peers', () => {
  it('reaches the live seeder listed on a real DHT after 200 dead addresses (refused ports and silent listeners)', async () => {
    // The bootstrap node keeps and answers every peer of a key (all of them on 127.0.0.1), so one
    // `get_peers` answer lists the 200 dead addresses first (most recently announced first) and the
    // seeder last.
    const bootstrap = await createUdpDhtNode({
      host: HOST,
      port: 0,
      limits: {
        maxPeersPerKey: 250,
        maxPeersPerResponse: 250,
        maxPeersPerIpPerKey: 250,
        maxPeersPerPrefixPerKey: 250,
        maxPeersPerIp: 1000,
        maxPeersPerPrefix: 1000,
      },
    })
    dhts.push(bootstrap)
    const router = `${HOST}:${bootstrap.address.port}`
    const source = await tempDir()
    const target = await tempDir()
    const seederData = await tempDir()
    const leecherData = await tempDir()
    dirs.push(source, target, seederData, leecherData)
    const bytes = await writeContent(join(source, 'film.bin'), 600_000, 61)
    const options = (dataDir: string) => ({
      dataDir,
      listen: [`tcp://${HOST}:0`],
      bootstrap: [router],
      dht: { host: HOST },
    })
    const seeder = await createNode(options(seederData))
    nodes.push(seeder)
    const share = await seeder.share(join(source, 'film.bin'))
    expect(await seeder.announce(share.infohash)).toBeGreaterThan(0)
    const seederPort = Number(new URL(seeder.addresses[0] as string).port)

    // Alternating, so that silent listeners are spread over the whole list.
    const dead: number[] = []
    while (dead.length < 200) {
      const port = dead.length % 2 === 0 ? await silentListener() : await closedPort()
      if (!dead.includes(port) && port !== seederPort) dead.push(port)
    }
    const announcer = await createUdpDhtNode({ host: HOST, port: 0, bootstrap: [router] })
    dhts.push(announcer)
    await announcer.ready()
    const key = discoveryKey(share.infohash)
    for (const port of dead) expect(await announcer.announce(key, port)).toBeGreaterThan(0)
    await announcer.close()

    // The premise: a lookup lists the 200 dead addresses before the seeder.
    const probe = await createUdpDhtNode({ host: HOST, port: 0, bootstrap: [router] })
    dhts.push(probe)
    const listed: number[] = []
    for await (const peer of probe.lookup(key)) listed.push(peer.port)
    expect(listed).toHaveLength(201)
    expect(listed.indexOf(seederPort)).toBe(200)
    await probe.close()

    const leecher = await createNode(options(leecherData))
    nodes.push(leecher)
    const download = leecher.download(share.magnet, { dir: target })
    // The CLI gives up on a download that finds no peer for 60 s; this one must be done well before.
    const bound = new Promise((_, reject) => {
      setTimeout(() => reject(new Error('the seeder was not reached within 30 s')), 30_000).unref()
    })
    await Promise.race([download.done(), bound])
    expect(sha256(await readFile(join(target, 'film.bin')))).toBe(sha256(bytes))
    expect(leecher.peers().map((peer) => peer.peerId)).toContain(seeder.peerId)
  }, 90_000)
})
