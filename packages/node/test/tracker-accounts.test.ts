/**
 * A node's accounts at a real `mycel-tracker --mode private` process
 * (`NodeOptions.trackerAccounts`): signed announce keys in place of a
 * passkey, and the report of a peer the node banned for corrupt data.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeTorrent } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import { Identity, parsePeerId } from '@mycel/transport'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { toHex } from '@mycel/wire'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../../../test/support/tracker-process.js'
import { createCoreNode, fileSystemContent, type MycelNode, type TrackerAccountOptions } from '../src/index.js'
import { cleanup, contentBytes, memoryNode, tempDir, writeContent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

let tracker: TrackerProcess
let web: string
beforeAll(async () => {
  await ensureTrackerBuilt()
  tracker = await startTracker(['--mode', 'private'])
  web = tracker.api as string
}, 600_000)
afterAll(() => tracker?.stop())

const nodes: MycelNode[] = []
const dirs: string[] = []
const rawPeers: RawPeer[] = []
afterEach(async () => {
  await Promise.allSettled(rawPeers.splice(0).map((peer) => peer.close()))
  await cleanup(nodes.splice(0), dirs.splice(0))
})

/** Calls the tracker's JSON API. */
async function api(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  type = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${web}/api/v1${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'Content-Type': type }),
    },
    ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }
}

let accountsMade = 0
/** A new account (the tracker allows 3 registrations per address at once: these tests make 3), its key bound. */
async function account(peerId: string): Promise<{ token: string }> {
  const name = `user${accountsMade++}`
  const made = await api('POST', '/accounts', undefined, { name, password: 'a long enough password' })
  expect(made.status).toBe(201)
  const token = String(made.json.token)
  expect((await api('PUT', '/me/peer-key', token, { peerKey: toHex(parsePeerId(peerId)) })).status).toBe(204)
  return { token }
}

function accountOf(token: string): TrackerAccountOptions {
  return { api: web, announce: tracker.http, token, signAnnounces: true }
}

describe('tracker accounts of a node', () => {
  it('announces to the plain /announce URL of a private tracker with a signed key; unsigned, it is refused', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    await writeContent(join(source, 'talk.bin'), 100_000, 7)
    const identity = Identity.generate()
    const plain = await memoryNode(network.transport(), { identity, trackers: [tracker.http] })
    nodes.push(plain)
    const { token } = await account(plain.peerId)
    const share = await plain.share(join(source, 'talk.bin'))
    expect(
      (await api('POST', '/torrents', token, encodeTorrent(share.manifest).bytes, 'application/x-bittorrent')).status,
    ).toBe(201)
    // The same identity, without the account: its announce carries no passkey, and no tracker takes it.
    expect(await plain.announce(share.infohash)).toBe(0)
    await plain.close()

    const signing = await memoryNode(network.transport(), {
      identity,
      trackers: [tracker.http],
      trackerAccounts: [accountOf(token)],
    })
    nodes.push(signing)
    await signing.share(join(source, 'talk.bin'))
    expect(await signing.announce(share.infohash)).toBe(1)
    await signing.close()

    // createCoreNode, the runtime-neutral way to make a node, takes the same accounts.
    const core = await createCoreNode({
      identity,
      state: new MemoryStateStore(),
      content: fileSystemContent(),
      transports: [network.transport()],
      downloadDir: source,
      trackers: [tracker.http],
      trackerAccounts: [accountOf(token)],
    })
    try {
      await core.share(join(source, 'talk.bin'))
      expect(await core.announce(share.infohash)).toBe(1)
    } finally {
      await core.close()
    }
  })

  it('reports to the tracker a peer it banned for corrupt data: the peer account loses reputation', async () => {
    const network = createMemoryNetwork()
    const honestDir = await tempDir()
    const corruptDir = await tempDir()
    const target = await tempDir()
    dirs.push(honestDir, corruptDir, target)
    const size = 1024 * 1024
    const bytes = await writeContent(join(honestDir, 'data.bin'), size, 21)
    await writeFile(join(corruptDir, 'data.bin'), bytes)
    // The honest seeder is slow, so the fast corrupt one is surely asked for pieces (as in hostile.test.ts).
    const honest = await memoryNode(network.transport(), { limits: { uploadRate: 1024 * 1024 } })
    const corrupt = await memoryNode(network.transport(), { changeCheckInterval: 60 * 60_000 })
    nodes.push(honest, corrupt)
    const corruptAccount = await account(corrupt.peerId)
    const share = await honest.share(join(honestDir, 'data.bin'), { pieceLength: 32 * 1024 })
    expect(
      (
        await api(
          'POST',
          '/torrents',
          corruptAccount.token,
          encodeTorrent(share.manifest).bytes,
          'application/x-bittorrent',
        )
      ).status,
    ).toBe(201)
    await corrupt.share(join(corruptDir, 'data.bin'), { pieceLength: 32 * 1024 })
    const raw = await RawPeer.dial(network.transport(), corrupt.addresses[0] as string)
    rawPeers.push(raw)
    await raw.next('hello')
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
    raw.send({ type: 'request', id: 1, infohash: share.infohash, piece: 0, offset: 0, length: 16384, proof: false })
    await raw.next('data') // the corrupt seeder looked at its file
    await writeFile(join(corruptDir, 'data.bin'), contentBytes(size, 99))

    const leecherIdentity = Identity.generate()
    const leecherAccount = await account(leecherIdentity.toString())
    const reporting = await memoryNode(network.transport(), {
      identity: leecherIdentity,
      trackerAccounts: [accountOf(leecherAccount.token)],
    })
    nodes.push(reporting)
    const banned: Array<[string, string | undefined]> = []
    reporting.on('peer-banned', (peerId, _reason, _peer, infohash) => banned.push([peerId, infohash]))
    // The share's tracker: the leecher announces to it (a report counts only from a peer of the share).
    await reporting
      .download(share.magnet, {
        dir: target,
        trackers: [tracker.http],
        peers: [...corrupt.addresses, ...honest.addresses],
      })
      .done()
    expect(banned).toEqual([[corrupt.peerId, share.infohashHex]])
    const reputation = async () => Number((await api('GET', '/me', corruptAccount.token)).json.reputation)
    await expect.poll(reputation, { timeout: 20_000, interval: 200 }).toBe(-5)
    expect(Number((await api('GET', '/me', leecherAccount.token)).json.reputation)).toBe(0)
  }, 60_000)
})
