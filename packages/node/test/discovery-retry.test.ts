import { createSocket } from 'node:dgram'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DhtNode } from '@mycel/dht'
import { createUdpDhtNode } from '@mycel/dht/udp'
import { discoveryKey, formatMagnet } from '@mycel/pieces'
import { ingestPath } from '@mycel/pieces/node'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode } from '../src/index.js'
import { cleanup, sha256, tempDir, until, writeContent } from './helpers.js'

const HOST = '127.0.0.1'
const nodes: MycelNode[] = []
const dirs: string[] = []
const dhts: DhtNode[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
  await Promise.allSettled(dhts.splice(0).map((dht) => dht.close()))
})

/** A UDP port that was free a moment ago (nobody answers there until a DHT node binds it). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

async function nodeOptions(bootstrap: string) {
  const dataDir = await tempDir()
  dirs.push(dataDir)
  return { dataDir, listen: [`tcp://${HOST}:0`], bootstrap: [bootstrap], dht: { host: HOST } }
}

describe('discovery retries what failed, from seconds', () => {
  it('announces a share within seconds of the DHT becoming reachable, not 15 minutes later', async () => {
    const port = await freeUdpPort()
    const router = `${HOST}:${port}`
    const source = await tempDir()
    dirs.push(source)
    await writeContent(join(source, 'notes.bin'), 50_000, 81)
    const seederDht = await createUdpDhtNode({ host: HOST, port: 0, bootstrap: [router] })
    const announces: number[] = []
    const announce = seederDht.announce.bind(seederDht)
    seederDht.announce = async (...args: Parameters<DhtNode['announce']>) => {
      const stored = await announce(...args)
      announces.push(stored)
      return stored
    }
    const seeder = await createNode({ ...(await nodeOptions(router)), dht: { node: seederDht } })
    nodes.push(seeder)
    const share = await seeder.share(join(source, 'notes.bin'))
    // The first announcement goes nowhere: no DHT node answers at the bootstrap address yet.
    await until(() => announces.length > 0, 30_000)
    expect(announces).toEqual([0])
    const bootstrap = await createUdpDhtNode({ host: HOST, port })
    dhts.push(bootstrap)
    const up = Date.now()
    const seederPort = Number(new URL(seeder.addresses[0] as string).port)
    const probe = await createUdpDhtNode({ host: HOST, port: 0, bootstrap: [router] })
    dhts.push(probe)
    const key = discoveryKey(share.infohash)
    let found = false
    while (!found) {
      // Generous: the retries start at 5 s and double; the fixed interval was 15 minutes.
      if (Date.now() - up > 40_000) throw new Error('the share was not announced within 40 s of the DHT coming up')
      for await (const peer of probe.lookup(key)) if (peer.port === seederPort) found = true
      if (!found) await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }, 90_000)

  it('looks a download up again within seconds when its lookup found nobody', async () => {
    const bootstrap = await createUdpDhtNode({ host: HOST, port: 0 })
    dhts.push(bootstrap)
    const router = `${HOST}:${bootstrap.address.port}`
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    const bytes = await writeContent(join(source, 'late.bin'), 200_000, 82)
    const leecherDht = await createUdpDhtNode({ host: HOST, port: 0, bootstrap: [router] })
    let lookupsDone = 0
    const lookup = leecherDht.lookup.bind(leecherDht)
    leecherDht.lookup = async function* (...args: Parameters<DhtNode['lookup']>) {
      yield* lookup(...args)
      lookupsDone++
    }
    const leecher = await createNode({ ...(await nodeOptions(router)), dht: { node: leecherDht } })
    nodes.push(leecher)
    // The seeder has no DHT of its own (it would look the leecher up): its address is announced for it, later.
    const seederData = await tempDir()
    dirs.push(seederData)
    const seeder = await createNode({ dataDir: seederData, listen: [`tcp://${HOST}:0`], dht: false })
    nodes.push(seeder)
    const manifest = await ingestPath(join(source, 'late.bin'))
    const download = leecher.download(formatMagnet({ infohash: manifest.infohash, name: manifest.name }), {
      dir: target,
    })
    // The leecher's first lookup finds nobody.
    await until(() => lookupsDone >= 1, 30_000)
    expect(download.progress.peers).toBe(0)
    const share = await seeder.share(join(source, 'late.bin'))
    const announcer = await createUdpDhtNode({ host: HOST, port: 0, bootstrap: [router] })
    dhts.push(announcer)
    const seederPort = Number(new URL(seeder.addresses[0] as string).port)
    expect(await announcer.announce(discoveryKey(share.infohash), seederPort)).toBeGreaterThan(0)
    const bound = new Promise((_, reject) => {
      // Generous: the retries start at 5 s and double; the fixed interval was a minute.
      setTimeout(() => reject(new Error('the seeder was not found within 40 s of its announcement')), 40_000).unref()
    })
    await Promise.race([download.done(), bound])
    expect(sha256(await readFile(join(target, 'late.bin')))).toBe(sha256(bytes))
  }, 90_000)
})
