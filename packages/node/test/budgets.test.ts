/**
 * Per-peer budgets on what a remote can make a node do (metadata answers,
 * bitfields, PEX), and the events that say when a peer is penalised or
 * banned. Hand-driven peers on the memory transport.
 */
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { ingestPath } from '@mycel/pieces/node'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { encodePexBody, MESSAGE_LIMITS, type Message, PEX_PROTOCOL } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode, PeerFault, PeerInfo } from '../src/index.js'
import { Allowance, METADATA_BUDGET, PEX_BUDGET } from '../src/peer/budgets.js'
import type { BlockRequest, PeerLink, SwarmPeer } from '../src/swarm/peer.js'
import { type ServedShare, Uploader } from '../src/swarm/uploader.js'
import { cleanup, memoryNode, Recorded, tempDir, writeContent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
const rawPeers: RawPeer[] = []
afterEach(async () => {
  await Promise.allSettled(rawPeers.splice(0).map((peer) => peer.close()))
  await cleanup(nodes.splice(0), dirs.splice(0))
})

/** A seeder of a sparse file of `bytes` in 16 KiB pieces (32 bytes of metadata per piece). */
async function seederOf(network: ReturnType<typeof createMemoryNetwork>, bytes: number) {
  const dir = await tempDir()
  dirs.push(dir)
  const file = join(dir, 'zeros.bin')
  const handle = await open(file, 'w')
  await handle.truncate(bytes)
  await handle.close()
  const seeder = await memoryNode(network.transport())
  nodes.push(seeder)
  const share = await seeder.share(file, { pieceLength: 16 * 1024 })
  return { seeder, share }
}

async function rawPeerOf(network: ReturnType<typeof createMemoryNetwork>, node: MycelNode): Promise<RawPeer> {
  const raw = await RawPeer.dial(network.transport(), node.addresses[0] as string)
  rawPeers.push(raw)
  await raw.next('hello')
  return raw
}

/** Resolves with the answer (`meta` or `reject`) to request `id`. */
function answerTo(raw: RawPeer, id: number): Promise<Message> {
  const found = raw.received.find(
    (message) => (message.type === 'meta' || message.type === 'reject') && message.id === id,
  )
  if (found !== undefined) return Promise.resolve(found)
  return new Promise((resolve) =>
    raw.on((message) => {
      if ((message.type === 'meta' || message.type === 'reject') && message.id === id) resolve(message)
    }),
  )
}

describe('metadata answers', () => {
  it('go only to members of the swarm', async () => {
    const network = createMemoryNetwork()
    const { seeder, share } = await seederOf(network, 1024 * 1024)
    const raw = await rawPeerOf(network, seeder)
    raw.send({ type: 'meta-get', id: 1, infohash: share.infohash, offset: 0 })
    expect(await answerTo(raw, 1)).toMatchObject({ type: 'reject', code: 'NOT_AVAILABLE' })
    // Once it joined (sent a bitfield), the same peer is answered.
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
    raw.send({ type: 'meta-get', id: 2, infohash: share.infohash, offset: 0 })
    expect(await answerTo(raw, 2)).toMatchObject({ type: 'meta', offset: 0 })
  })

  it('stop at the per-peer budget: twice the metadata (at least 1 MiB), each answer counted as a whole slice, then BUSY', async () => {
    const network = createMemoryNetwork()
    // 32 MiB in 16 KiB pieces: 64 KiB of piece hashes, one slice.
    const { seeder, share } = await seederOf(network, 32 * 1024 * 1024)
    const raw = await rawPeerOf(network, seeder)
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
    raw.send({ type: 'meta-get', id: 1, infohash: share.infohash, offset: 0 })
    const first = await answerTo(raw, 1)
    expect(first.type).toBe('meta')
    const total = (first as Extract<Message, { type: 'meta' }>).total
    // Then one byte at a time: each answer still costs a whole slice of the budget.
    const answers: Message[] = [first]
    for (let id = 2; id <= 20; id++) {
      raw.send({ type: 'meta-get', id, infohash: share.infohash, offset: total - 1 })
      answers.push(await answerTo(raw, id))
    }
    const budget = Math.max(METADATA_BUDGET.copies * total, METADATA_BUDGET.minBytes)
    const served = Math.floor(budget / MESSAGE_LIMITS.maxMetaChunkBytes)
    expect(served).toBe(4)
    expect(answers.slice(1, served).every((answer) => answer.type === 'meta' && answer.bytes.length === 1)).toBe(true)
    expect(answers.slice(served)).toEqual(
      Array.from({ length: 20 - served }, (_, i) => ({ type: 'reject', id: served + i + 1, code: 'BUSY' })),
    )
    expect(seeder.peers()).toHaveLength(1)
  })
})

describe('proofs', () => {
  it('an uploader builds the Merkle tree of one piece at a time for a peer', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    await writeContent(join(dir, 'eight.bin'), 8 * 16 * 1024, 3)
    const manifest = await ingestPath(join(dir, 'eight.bin'), { pieceLength: 16 * 1024 })
    let building = 0
    let most = 0
    const share: ServedShare = {
      manifest,
      metadata: undefined,
      has: () => true,
      readInto: async (_piece: number, _offset: number, target: Uint8Array) => target,
      proof: async () => {
        most = Math.max(most, ++building)
        // A proof takes a turn of the event loop: another built meanwhile would overlap it.
        await new Promise((resolve) => setImmediate(resolve))
        building--
        return new Uint8Array(32)
      },
      takeTokens: () => undefined,
      onUploaded: () => {},
    }
    const sent = new Recorded<string>()
    const link = {
      key: 'test-peer',
      isClosed: false,
      bytesSent: 0,
      drained: async () => {},
      transferred: () => {},
      close: async () => {},
    } as unknown as PeerLink
    const peer = {
      link,
      sendBlock: () => {
        sent.push('data')
        return true
      },
      reject: () => sent.push('reject'),
    } as unknown as SwarmPeer
    const uploader = new Uploader(link, () => {})
    const request = (id: number, piece: number): BlockRequest => ({
      id,
      piece,
      offset: 0,
      length: 16 * 1024,
      proof: true,
    })
    // Proofs of four pieces, asked at once; then four ranges of one piece.
    for (let id = 1; id <= 4; id++) uploader.enqueueBlock(peer, request(id, id), share)
    await sent.count(4)
    expect(most).toBe(1)
    expect(sent.items).toEqual(['data', 'data', 'data', 'data'])
  })
})

describe('bitfields and PEX', () => {
  it('a peer that keeps sending bitfields for a share is disconnected', async () => {
    const network = createMemoryNetwork()
    const { seeder, share } = await seederOf(network, 1024 * 1024)
    const disconnected = new Promise<Error | undefined>((resolve) =>
      seeder.on('peer-disconnected', (_peer, reason) => resolve(reason)),
    )
    const raw = await rawPeerOf(network, seeder)
    const bits = new Uint8Array(Math.ceil(share.manifest.pieceCount / 8))
    for (let i = 0; i < 5; i++) raw.send({ type: 'bitfield', infohash: share.infohash, bits })
    expect(await disconnected).toMatchObject({ name: 'NodeError', code: 'PEER_PROTOCOL' })
  })

  it('bitfields a full share ignores cost no budget: a newcomer that asks again and again stays connected', async () => {
    const network = createMemoryNetwork()
    const dir = await tempDir()
    dirs.push(dir)
    await writeContent(join(dir, 'small.bin'), 64 * 1024)
    const seeder = await memoryNode(network.transport(), { limits: { maxPeersPerShare: 1 } })
    nodes.push(seeder)
    const share = await seeder.share(join(dir, 'small.bin'), { pieceLength: 16 * 1024 })
    const bits = new Uint8Array(1)
    const member = await rawPeerOf(network, seeder)
    member.send({ type: 'bitfield', infohash: share.infohash, bits })
    await member.next('bitfield') // the one member the share takes
    const newcomer = await rawPeerOf(network, seeder)
    let closed = false
    seeder.on('peer-disconnected', () => {
      closed = true
    })
    // A dialler re-invites a peer that did not join; ten times is well past BITFIELD_BUDGET.burst.
    for (let i = 0; i < 10; i++) newcomer.send({ type: 'bitfield', infohash: share.infohash, bits })
    // A round trip after them: the seeder read them all, and the connection is still up.
    newcomer.send({ type: 'meta-get', id: 1, infohash: share.infohash, offset: 0 })
    expect(await answerTo(newcomer, 1)).toMatchObject({ type: 'reject', code: 'NOT_AVAILABLE' })
    expect(closed).toBe(false)
  })

  it('PEX messages of one peer beyond its budget make the node dial nobody', async () => {
    const network = createMemoryNetwork()
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    // Twenty listeners that count how often they are dialled.
    const dialled = new Recorded<string>()
    const addresses: string[] = []
    const listening = network.transport()
    for (let i = 0; i < 20; i++) {
      const listener = await listening.listen('memory://0', {
        onConnection: (stream) => {
          dialled.push(String(i))
          void stream.close()
        },
      })
      addresses.push(listener.addresses[0] as string)
    }
    const infohash = new Uint8Array(32).fill(7)
    const target = await tempDir()
    dirs.push(target)
    const download = leecher.download(Buffer.from(infohash).toString('hex'), { dir: target })
    const raw = await RawPeer.dial(network.transport(), leecher.addresses[0] as string, [PEX_PROTOCOL])
    rawPeers.push(raw)
    await raw.next('hello')
    raw.send({ type: 'bitfield', infohash, bits: new Uint8Array(0) })
    await raw.next('bitfield')
    // One address per message, 20 messages at once: only the first PEX_BUDGET.burst are acted on.
    for (const address of addresses) {
      raw.send({
        type: 'ext',
        protocol: PEX_PROTOCOL,
        body: encodePexBody({ infohash, added: [address], dropped: [] }),
      })
    }
    await dialled.count(PEX_BUDGET.burst)
    // Two round trips later (the node handles a connection's messages in order), no more were dialled.
    for (const id of [1, 2]) {
      raw.send({ type: 'meta-get', id, infohash, offset: 0 })
      await answerTo(raw, id)
    }
    expect(dialled.length).toBe(PEX_BUDGET.burst)
    await download.stop()
  })

  it('an Allowance of the PEX budget refills: one more message every PEX_BUDGET.intervalMs', () => {
    const budget = new Allowance(PEX_BUDGET.burst, PEX_BUDGET.burst * PEX_BUDGET.intervalMs, 0)
    for (let i = 0; i < PEX_BUDGET.burst; i++) expect(budget.take(1, 0)).toBe(true)
    expect(budget.take(1, 0)).toBe(false)
    expect(budget.take(1, PEX_BUDGET.intervalMs - 1)).toBe(false)
    expect(budget.take(1, PEX_BUDGET.intervalMs)).toBe(true)
    expect(budget.take(1, PEX_BUDGET.intervalMs)).toBe(false)
  })
})

describe('penalties and bans are reported', () => {
  it('peer-penalised when a peer is disconnected for a fault, with the reason', async () => {
    const network = createMemoryNetwork()
    const { seeder, share } = await seederOf(network, 1024 * 1024)
    const penalised = new Promise<PeerFault>((resolve) => seeder.on('peer-penalised', resolve))
    const raw = await rawPeerOf(network, seeder)
    // A bitfield of the wrong length for the share.
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(3) })
    const fault = await penalised
    expect(fault).toMatchObject({ peerId: raw.identity.toString(), penalty: 2, disconnected: true })
    expect(fault.reason).toMatch(/bad bitfield/)
    expect(fault.address).toMatch(/^memory:\/\//)
  })

  it('peer-banned says where the banned peer was connected from', async () => {
    const network = createMemoryNetwork()
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const target = await tempDir()
    dirs.push(target)
    const banned = new Promise<[string, string, PeerInfo | undefined, string | undefined]>((resolve) =>
      leecher.on('peer-banned', (...args) => resolve(args)),
    )
    const infohash = new Uint8Array(32).fill(5)
    const download = leecher.download(Buffer.from(infohash).toString('hex'), { dir: target })
    const raw = await rawPeerOf(network, leecher)
    // Metadata that is not the share's: its SHA-256 is not the infohash.
    raw.on((message) => {
      if (message.type === 'meta-get') {
        raw.send({ type: 'meta', id: message.id, total: 64, offset: 0, bytes: new Uint8Array(64).fill(1) })
      }
    })
    raw.send({ type: 'bitfield', infohash, bits: new Uint8Array([0x80]) })
    const [peerId, reason, peer, bannedIn] = await banned
    expect(peerId).toBe(raw.identity.toString())
    expect(reason).toMatch(/bad metadata/)
    expect(bannedIn).toBe(Buffer.from(infohash).toString('hex'))
    expect(peer).toMatchObject({ peerId, address: expect.stringMatching(/^memory:\/\//) })
    await download.stop()
  })
})
