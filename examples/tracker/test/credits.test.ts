/**
 * Credits from a real transfer: two mycel nodes (memory transport, their
 * `receipts/1` on) and a private mycel-tracker with accounts. The seeder
 * lists its share, both announce it with their passkeys (what a node's
 * tracker client sends), the leecher downloads from the seeder, its node
 * signs receipts as pieces verify, and the seeder hands them in: the
 * seeder's credits rise by the share's size and the leecher's fall by it.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createNode, type MycelNode, ReceiptsProtocol } from '@mycel/node'
import { encodeTorrent } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import { Identity } from '@mycel/transport'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { toHex } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { createTracker, type Tracker } from '../src/tracker.js'
import { api, registered } from './helpers/api.js'
import { announceOf, baseOf, httpAnnounceOk } from './helpers/clients.js'
import { Scratch } from './helpers/scratch.js'

const scratch = new Scratch()
const nodes: MycelNode[] = []
const trackers: Tracker[] = []
afterEach(async () => {
  await Promise.allSettled(nodes.splice(0).map((node) => node.close()))
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
  await scratch.cleanup()
})

describe('credits from a transfer between mycel nodes', () => {
  it('the seeder earns what the leecher verified, and the leecher pays it; the total stays 0', async () => {
    const tracker = await createTracker({
      mode: 'private',
      accounts: { scryptCost: { ln: 10, r: 8, p: 1 } },
      http: [{ host: '127.0.0.1', port: 0 }],
      udp: [],
      api: [{ host: '127.0.0.1', port: 0 }],
      rateLimit: false,
    })
    trackers.push(tracker)
    const web = `http://127.0.0.1:${tracker.api[0]?.port}`
    const announceBase = baseOf(tracker.http[0] as { port: number })

    const network = createMemoryNetwork()
    const node = async (secretKey: Uint8Array) => {
      const receipts = new ReceiptsProtocol({ secretKey, sendEveryBytes: 64 * 1024 })
      const made = await createNode({
        dataDir: await scratch.dir(),
        listen: ['memory://0'],
        transports: [network.transport()],
        dht: false,
        state: new MemoryStateStore(),
        identity: Identity.fromSecretKey(secretKey),
        protocols: [receipts],
      })
      nodes.push(made)
      return { node: made, receipts }
    }
    const seederKey = new Uint8Array(randomBytes(32))
    const leecherKey = new Uint8Array(randomBytes(32))
    const seeder = await node(seederKey)
    const leecher = await node(leecherKey)

    const seederAccount = await registered(web, 'seeder')
    const leecherAccount = await registered(web, 'leecher')
    for (const [account, receipts] of [
      [seederAccount, seeder.receipts],
      [leecherAccount, leecher.receipts],
    ] as const) {
      const bound = await api(web, 'PUT', '/me/peer-key', {
        token: account.token,
        json: { peerKey: toHex(receipts.publicKey) },
      })
      expect(bound.status).toBe(204)
    }

    const source = await scratch.dir()
    const size = 1024 * 1024 + 4321
    await scratch.file(source, 'concert.flac', size)
    const share = await seeder.node.share(join(source, 'concert.flac'), { pieceLength: 64 * 1024 })
    const listed = await api(web, 'POST', '/torrents', {
      token: seederAccount.token,
      body: encodeTorrent(share.manifest).bytes,
    })
    expect(listed.status).toBe(201)
    // both announce the share with their passkeys, as their tracker clients do
    const infohash = share.manifest.infohash.slice(0, 20)
    await httpAnnounceOk(
      announceBase,
      announceOf(infohash, { left: 0, port: 7001 }),
      `/announce/${seederAccount.passkey}`,
    )
    await httpAnnounceOk(announceBase, announceOf(infohash, { port: 7002 }), `/announce/${leecherAccount.passkey}`)

    const target = await scratch.dir()
    const download = leecher.node.download(share.magnet, { dir: target, peers: seeder.node.addresses })
    expect((await download.done()).verifiedBytes).toBe(size)
    leecher.receipts.flush()

    // the seeder's app hands in what its node received, until the whole share is covered
    let credited = 0
    await expect
      .poll(
        async () => {
          const receipts = seeder.receipts.takeReceipts().map((receipt) => Buffer.from(receipt).toString('base64'))
          if (receipts.length > 0) {
            const answer = await api(web, 'POST', '/receipts', { token: seederAccount.token, json: { receipts } })
            for (const result of answer.json.results as Array<{ status: string; increase?: number }>) {
              expect(result.status).not.toBe('refused')
              credited += result.increase ?? 0
            }
          }
          return credited
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(size)
    const me = async (token: string) => (await api(web, 'GET', '/me', { token })).json
    expect(await me(seederAccount.token)).toMatchObject({ credits: size, verified: { uploaded: size, downloaded: 0 } })
    expect(await me(leecherAccount.token)).toMatchObject({
      credits: -size,
      verified: { uploaded: 0, downloaded: size },
    })
  })
})
