import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Bitfield } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import { parsePeerId, peerIdToString } from '@mycel/transport'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { encodeBencode, encodeMessage, MESSAGE_LIMITS } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode, PeerFault } from '../src/index.js'
import { MAX_REFUSALS_IN_A_ROW } from '../src/swarm/uploader.js'
import { cleanup, contentBytes, memoryNode, sha256, tempDir, writeContent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
const rawPeers: RawPeer[] = []
afterEach(async () => {
  await Promise.allSettled(rawPeers.splice(0).map((peer) => peer.close()))
  await cleanup(nodes.splice(0), dirs.splice(0))
})

/**
 * Dials `node` with a raw peer (closed after the test) and waits for the
 * node's hello. `disconnected` resolves with why the node dropped a peer.
 */
async function rawPeerOf(
  network: ReturnType<typeof createMemoryNetwork>,
  node: MycelNode,
): Promise<{ raw: RawPeer; disconnected: Promise<Error | undefined> }> {
  const disconnected = new Promise<Error | undefined>((resolve) => {
    node.on('peer-disconnected', (_peer, reason) => resolve(reason))
  })
  const raw = await RawPeer.dial(network.transport(), node.addresses[0] as string)
  rawPeers.push(raw)
  await raw.next('hello')
  return { raw, disconnected }
}

describe('hostile peers', () => {
  it('bans a peer that sends corrupt pieces and still completes from honest ones', async () => {
    const network = createMemoryNetwork()
    const honestDir = await tempDir()
    const corruptDir = await tempDir()
    const target = await tempDir()
    dirs.push(honestDir, corruptDir, target)
    const size = 2 * 1024 * 1024
    const bytes = await writeContent(join(honestDir, 'data.bin'), size, 21)
    await writeFile(join(corruptDir, 'data.bin'), bytes)
    // The honest seeder is slow, so the fast corrupt one is surely asked for pieces.
    const honest = await memoryNode(network.transport(), { limits: { uploadRate: 1024 * 1024 } })
    // A seeder looks at its file before serving, and then only once an hour: a change right after that look
    // goes unnoticed for an hour, and the file is served as it is.
    const corrupt = await memoryNode(network.transport(), { changeCheckInterval: 60 * 60_000 })
    const state = new MemoryStateStore()
    const leecher = await memoryNode(network.transport(), { state })
    nodes.push(honest, corrupt, leecher)
    const share = await honest.share(join(honestDir, 'data.bin'), { pieceLength: 32 * 1024 })
    await corrupt.share(join(corruptDir, 'data.bin'), { pieceLength: 32 * 1024 })
    const { raw } = await rawPeerOf(network, corrupt)
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
    raw.send({ type: 'request', id: 1, infohash: share.infohash, piece: 0, offset: 0, length: 16384, proof: false })
    await raw.next('data') // the corrupt seeder looked at its file
    // The corrupt seeder's file changes under it: it serves bytes that do not match its manifest.
    await writeFile(join(corruptDir, 'data.bin'), contentBytes(size, 99))
    const banned: string[] = []
    leecher.on('peer-banned', (peerId) => banned.push(peerId))
    await leecher.download(share.magnet, { dir: target, peers: [...corrupt.addresses, ...honest.addresses] }).done()
    expect(sha256(await readFile(join(target, 'data.bin')))).toBe(sha256(bytes))
    expect(banned).toEqual([corrupt.peerId])
    const record = await state.getPeer(parsePeerId(corrupt.peerId))
    expect(record?.bannedUntil).toBeGreaterThan(Date.now() + 50 * 60 * 1000)
    expect(leecher.peers().map((peer) => peer.peerId)).not.toContain(corrupt.peerId)
  })

  it('disconnects a seeder that answers a request with the wrong length, naming the share it failed', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    await writeContent(join(source, 'a.bin'), 300_000, 8)
    const seeder = await memoryNode(network.transport())
    const leecher = await memoryNode(network.transport())
    nodes.push(seeder, leecher)
    const share = await seeder.share(join(source, 'a.bin'), { pieceLength: 16 * 1024 })
    await leecher.addManifest(share.manifest)
    const faults: PeerFault[] = []
    const penalised = new Promise<void>((resolve) =>
      leecher.on('peer-penalised', (fault) => {
        faults.push(fault)
        if (fault.disconnected) resolve()
      }),
    )
    const download = leecher.download(share.infohashHex, { dir: target })
    const { raw } = await rawPeerOf(network, leecher)
    // It claims every piece, then answers the first request with half the bytes asked for.
    const all = new Bitfield(share.manifest.pieceCount)
    for (let piece = 0; piece < share.manifest.pieceCount; piece++) all.set(piece)
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: all.toBytes() })
    const request = await raw.next('request')
    raw.send({ type: 'data', id: request.id, bytes: new Uint8Array(Math.max(1, request.length / 2)) })
    await penalised
    expect(faults.find((fault) => fault.disconnected)).toMatchObject({
      peerId: peerIdToString(raw.identity.peerId),
      reason: 'request protocol',
      infohash: share.infohashHex,
    })
    await download.stop()
  })

  it('closes only the connection of a peer that sends a malformed message', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    const bytes = await writeContent(join(source, 'a.bin'), 500_000, 5)
    const seeder = await memoryNode(network.transport())
    const leecher = await memoryNode(network.transport())
    nodes.push(seeder, leecher)
    const share = await seeder.share(join(source, 'a.bin'))
    const { raw, disconnected: closed } = await rawPeerOf(network, seeder)
    raw.sendRaw(new Uint8Array([0xc1, 0xff, 0x00]))
    const reason = await closed
    expect(reason).toMatchObject({ name: 'NodeError', code: 'PEER_PROTOCOL' })
    // The seeder ends the connection after what it sent before (a close with an error flushes, then ends).
    expect(await raw.connection?.closed).toBeUndefined()
    // The seeder serves everyone else as before.
    await leecher.download(share.magnet, { dir: target, peers: seeder.addresses }).done()
    expect(sha256(await readFile(join(target, 'a.bin')))).toBe(sha256(bytes))
  })

  it('disconnects a peer whose request does not fit the share, and keeps serving', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    await writeContent(join(source, 'a.bin'), 500_000, 6)
    const seeder = await memoryNode(network.transport())
    nodes.push(seeder)
    const share = await seeder.share(join(source, 'a.bin'))
    const { raw, disconnected: closed } = await rawPeerOf(network, seeder)
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
    await raw.next('bitfield')
    const pieceLength = share.manifest.pieceLength
    // A whole piece is served; a range past the piece's end is a protocol violation.
    raw.send({
      type: 'request',
      id: 1,
      infohash: share.infohash,
      piece: 0,
      offset: 0,
      length: pieceLength,
      proof: false,
    })
    expect((await raw.next('data')).bytes.length).toBe(pieceLength)
    raw.send({
      type: 'request',
      id: 2,
      infohash: share.infohash,
      piece: 0,
      offset: pieceLength - 100,
      length: 200,
      proof: false,
    })
    expect(await closed).toMatchObject({ name: 'NodeError', code: 'PEER_PROTOCOL' })
    // The seeder ends the connection after what it sent before (a close with an error flushes, then ends).
    expect(await raw.connection?.closed).toBeUndefined()
    expect(seeder.peers()).toEqual([])
  })

  it('disconnects a peer that keeps requesting what we do not have', async () => {
    const network = createMemoryNetwork()
    const seeder = await memoryNode(network.transport())
    nodes.push(seeder)
    const { raw, disconnected: closed } = await rawPeerOf(network, seeder)
    const unknown = new Uint8Array(32).fill(9)
    const request = (id: number) =>
      raw.send({ type: 'request', id, infohash: unknown, piece: 0, offset: 0, length: 16384, proof: false })
    // Refusals are answered with NOT_AVAILABLE; the peer is tolerated up to the limit...
    let rejected = 0
    const allRejected = new Promise<void>((resolve) =>
      raw.on((message) => {
        if (message.type === 'reject' && message.code === 'NOT_AVAILABLE' && ++rejected === MAX_REFUSALS_IN_A_ROW)
          resolve()
      }),
    )
    for (let id = 1; id <= MAX_REFUSALS_IN_A_ROW; id++) request(id)
    await allRejected
    expect(seeder.peers()).toHaveLength(1)
    // ...and cut off when it goes on asking.
    request(MAX_REFUSALS_IN_A_ROW + 1)
    expect(await closed).toMatchObject({ name: 'NodeError', code: 'PEER_PROTOCOL' })
    // The seeder ends the connection after what it sent before (a close with an error flushes, then ends).
    expect(await raw.connection?.closed).toBeUndefined()
  })

  it('disconnects a peer that announces metadata over the size limit', async () => {
    const network = createMemoryNetwork()
    const target = await tempDir()
    dirs.push(target)
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const infohash = new Uint8Array(32).fill(3)
    const { raw, disconnected: closed } = await rawPeerOf(network, leecher)
    raw.on((message) => {
      if (message.type !== 'meta-get') return
      // encodeMessage refuses a total over the limit, so encode 16 MiB (a
      // msgpack uint32: 0xce 01 00 00 00) and raise it to 80 MiB in place.
      const bytes = encodeMessage({
        type: 'meta',
        id: message.id,
        total: 0x0100_0000,
        offset: 0,
        bytes: new Uint8Array(8),
      })
      const at = bytes.findIndex(
        (byte, i) => byte === 0xce && bytes[i + 1] === 0x01 && bytes[i + 2] === 0 && bytes[i + 4] === 0,
      )
      bytes[at + 1] = 0x05
      expect(0x0500_0000).toBeGreaterThan(MESSAGE_LIMITS.maxMetadataBytes)
      raw.sendRaw(bytes)
    })
    const download = leecher.download(Buffer.from(infohash).toString('hex'), { dir: target })
    raw.send({ type: 'bitfield', infohash, bits: new Uint8Array([0x80]) })
    const reason = await closed
    expect(reason).toMatchObject({ name: 'NodeError', code: 'PEER_PROTOCOL' })
    expect((reason as Error).cause).toMatchObject({ name: 'WireError' })
    expect(download.manifest).toBeUndefined()
    await download.stop()
  })

  it('refuses metadata whose paths escape the download folder, and bans its sender', async () => {
    const network = createMemoryNetwork()
    const target = await tempDir()
    dirs.push(target)
    const hostileInfo = {
      'file tree': { '..': { 'escaped.txt': { '': { length: 5, 'pieces root': new Uint8Array(32).fill(1) } } } },
      'meta version': 2,
      name: 'innocent',
      'piece length': 16384,
    }
    const info = encodeBencode(hostileInfo)
    const infohash = new Uint8Array(await crypto.subtle.digest('SHA-256', info))
    const metadata = encodeBencode(
      new Map<string, unknown>([
        ['info', hostileInfo],
        ['piece layers', new Map()],
      ]) as never,
    )
    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const banned = new Promise<string>((resolve) => leecher.on('peer-banned', (_id, reason) => resolve(reason)))
    // The hostile peer dials the leecher and offers the share.
    const raw = await RawPeer.dial(network.transport(), leecher.addresses[0] as string)
    rawPeers.push(raw)
    raw.on((message) => {
      if (message.type === 'meta-get') {
        raw.send({ type: 'meta', id: message.id, total: metadata.length, offset: 0, bytes: metadata })
      }
    })
    const hex = Buffer.from(infohash).toString('hex')
    const download = leecher.download(hex, { dir: target })
    raw.send({ type: 'bitfield', infohash, bits: new Uint8Array([0x80]) })
    expect(await banned).toMatch(/MANIFEST_BAD_PATH/)
    expect(download.manifest).toBeUndefined()
    expect(existsSync(join(target, '..', 'escaped.txt'))).toBe(false)
    expect(existsSync(join(target, 'innocent'))).toBe(false)
  })
})
