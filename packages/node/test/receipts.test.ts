/**
 * Transfer receipts between two real nodes (memory transport): the
 * downloader's `receipts/1` signs cumulative receipts for verified bytes
 * and sends them to the uploader, which keeps the highest for a tracker and
 * stops serving a downloader whose unsigned bytes pass the window.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Identity } from '@mycel/transport'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { decodeReceipt, signReceipt, toHex } from '@mycel/wire'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { type MycelNode, RECEIPTS_PROTOCOL, ReceiptsProtocol } from '../src/index.js'
import { cleanup, memoryNode, nextEvent, Recorded, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(() => cleanup(nodes.splice(0), dirs.splice(0)))

const crypto = getDefaultCrypto()
const share = new Uint8Array(randomBytes(32))

async function pair(options: { windowBytes?: number; sendEveryBytes?: number } = {}) {
  const network = createMemoryNetwork()
  const downloaderKey = new Uint8Array(randomBytes(32))
  const uploaderKey = new Uint8Array(randomBytes(32))
  /** Receipts the uploader took as new, in order. */
  const receipts = new Recorded<string>()
  const downloader = new ReceiptsProtocol({ secretKey: downloaderKey, ...options })
  const uploader = new ReceiptsProtocol({
    secretKey: uploaderKey,
    ...options,
    onReceipt: (share) => receipts.push(toHex(share)),
  })
  const opened = new Recorded<string>()
  const watch = (protocol: ReceiptsProtocol) => ({
    name: protocol.name,
    open: (channel: Parameters<ReceiptsProtocol['open']>[0]) => {
      opened.push(protocol === downloader ? 'downloader' : 'uploader')
      return protocol.open(channel)
    },
  })
  const a = await memoryNode(network.transport(), {
    identity: Identity.fromSecretKey(downloaderKey),
    protocols: [watch(downloader)],
  })
  const b = await memoryNode(network.transport(), {
    identity: Identity.fromSecretKey(uploaderKey),
    protocols: [watch(uploader)],
  })
  nodes.push(a, b)
  await a.connect(b.addresses[0] as string)
  await opened.count(2)
  return { a, b, downloader, uploader, downloaderKey, uploaderKey, receipts }
}

describe('receipts/1', () => {
  it('the downloader signs cumulative receipts of verified bytes; the uploader keeps the highest for the tracker', async () => {
    const { downloader, uploader, receipts } = await pair({ sendEveryBytes: 1000 })
    downloader.verified(uploader.publicKey, share, 400)
    downloader.verified(uploader.publicKey, share, 700) // 1,100 uncovered: a receipt goes out
    await receipts.count(1)
    let taken = uploader.takeReceipts()
    const first = decodeReceipt(taken[0] as Uint8Array, crypto)
    expect(first).toMatchObject({ bytes: 1100, share, uploader: uploader.publicKey, downloader: downloader.publicKey })
    expect(uploader.takeReceipts()).toEqual([]) // taken once
    downloader.verified(uploader.publicKey, share, 10) // below sendEveryBytes: nothing yet
    downloader.flush() // until flushed
    await receipts.count(2)
    taken = uploader.takeReceipts()
    expect(decodeReceipt(taken[0] as Uint8Array, crypto).bytes).toBe(1110)
  })

  it('the uploader stops serving a downloader whose unsigned bytes pass the window, and serves again once it signs', async () => {
    const { downloader, uploader } = await pair({ windowBytes: 5000, sendEveryBytes: 1 })
    uploader.sentTo(downloader.publicKey, share, 5000)
    expect(uploader.mayServe(downloader.publicKey, share)).toBe(true)
    uploader.sentTo(downloader.publicKey, share, 1)
    // a downloader that signs nothing loses service after the window
    expect(uploader.mayServe(downloader.publicKey, share)).toBe(false)
    downloader.verified(uploader.publicKey, share, 4000)
    await uploader.whenServable(downloader.publicKey, share)
    expect(uploader.mayServe(downloader.publicKey, share)).toBe(true)
    // another share, or another downloader, is counted apart
    expect(uploader.mayServe(downloader.publicKey, new Uint8Array(32))).toBe(true)
  })

  it('closes the connection of a peer that sends a receipt it did not sign, or one not for us; replays change nothing', async () => {
    const { a, b, downloader, uploader, downloaderKey, receipts } = await pair()
    const disconnected = nextEvent(b, 'peer-disconnected')
    // a replay of an old receipt is ignored
    const old = signReceipt(
      { share, uploader: uploader.publicKey, downloader: downloader.publicKey, bytes: 10, issuedAt: 1 },
      downloaderKey,
      crypto,
    )
    const open = (downloader as unknown as { channels: Map<string, Set<{ send(b: Uint8Array): boolean }>> }).channels
    const channel = [...(open.get(toHex(uploader.publicKey)) ?? [])][0]
    channel?.send(old)
    await receipts.count(1)
    expect(uploader.takeReceipts()).toHaveLength(1)
    channel?.send(old)
    // a receipt signed by someone else, sent by the downloader: its connection is closed
    const someone = new Uint8Array(randomBytes(32))
    const forged = signReceipt(
      { share, uploader: uploader.publicKey, downloader: crypto.ed25519PublicKey(someone), bytes: 99, issuedAt: 1 },
      someone,
      crypto,
    )
    channel?.send(forged)
    const [, reason] = await disconnected
    expect(reason).toMatchObject({ code: 'PEER_PROTOCOL' })
    expect(receipts.length).toBe(1) // the replay raised nothing
    expect(uploader.takeReceipts()).toEqual([])
    expect(a.peers().length + b.peers().length).toBe(0)
  })

  it('checks its options', () => {
    expect(() => new ReceiptsProtocol({ secretKey: new Uint8Array(31) })).toThrow(RangeError)
    expect(() => new ReceiptsProtocol({ secretKey: new Uint8Array(32), windowBytes: -1 })).toThrow(RangeError)
    const protocol = new ReceiptsProtocol({ secretKey: new Uint8Array(32) })
    expect(protocol.name).toBe(RECEIPTS_PROTOCOL)
    expect(() => protocol.verified(new Uint8Array(3), share, 1)).toThrow(RangeError)
    expect(() => protocol.sentTo(new Uint8Array(32), share, Number.NaN)).toThrow(RangeError)
  })
})

/** A seeder's receipts that count what they refuse and what went out. */
class WatchedReceipts extends ReceiptsProtocol {
  refusals = 0
  sentBytes = 0
  /** Sends held back for a receipt, as they happen. */
  readonly held = new Recorded<number>()
  /** Fresh receipts taken from downloaders, as they arrive. */
  readonly fresh = new Recorded<string>()
  constructor(options: ConstructorParameters<typeof ReceiptsProtocol>[0]) {
    super({ ...options, onReceipt: (share) => this.fresh.push(toHex(share)) })
  }
  get waits(): number {
    return this.held.length
  }
  override whenServable(downloader: Uint8Array, share: Uint8Array): Promise<void> {
    this.held.push(this.held.length)
    return super.whenServable(downloader, share)
  }
  override mayServe(downloader: Uint8Array, share: Uint8Array): boolean {
    const serve = super.mayServe(downloader, share)
    if (!serve) this.refusals++
    return serve
  }
  override sentTo(downloader: Uint8Array, share: Uint8Array, bytes: number): void {
    this.sentBytes += bytes
    super.sentTo(downloader, share, bytes)
  }
}

describe('receipts in a download', () => {
  async function seederAndLeecher(signs: boolean, windowBytes: number, size: number) {
    const network = createMemoryNetwork()
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    await writeContent(join(source, 'album.bin'), size)
    const seederKey = new Uint8Array(randomBytes(32))
    const leecherKey = new Uint8Array(randomBytes(32))
    const seederReceipts = new WatchedReceipts({ secretKey: seederKey, windowBytes })
    const leecherReceipts = new ReceiptsProtocol({ secretKey: leecherKey, sendEveryBytes: 64 * 1024 })
    const seeder = await memoryNode(network.transport(), {
      identity: Identity.fromSecretKey(seederKey),
      protocols: [seederReceipts],
    })
    const leecher = await memoryNode(network.transport(), {
      identity: Identity.fromSecretKey(leecherKey),
      protocols: signs ? [leecherReceipts] : [],
    })
    nodes.push(seeder, leecher)
    const share = await seeder.share(join(source, 'album.bin'), { pieceLength: 64 * 1024 })
    const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses })
    return { size, share, download, seederReceipts, leecherKey }
  }

  it('a downloader that signs is served to the end, waiting for its receipts past the window; the seeder holds a receipt for the whole share', async () => {
    const { size, share, download, seederReceipts, leecherKey } = await seederAndLeecher(
      true,
      256 * 1024,
      2 * 1024 * 1024,
    )
    await download.done()
    expect(download.progress.verifiedBytes).toBe(size)
    let latest: ReturnType<typeof decodeReceipt> | undefined
    for (let seen = 1; latest?.bytes !== size; seen++) {
      await seederReceipts.fresh.count(seen)
      for (const receipt of seederReceipts.takeReceipts()) latest = decodeReceipt(receipt, crypto)
    }
    expect(latest).toMatchObject({ share: share.manifest.infohash, downloader: crypto.ed25519PublicKey(leecherKey) })
    // it did run ahead of its receipts (the window is small), and waited rather than being refused
    expect(seederReceipts.waits).toBeGreaterThan(0)
  })

  it('a downloader that refuses to sign loses service after the window: the seeder sends at most one block over it', async () => {
    const windowBytes = 256 * 1024
    const { size, download, seederReceipts } = await seederAndLeecher(false, windowBytes, 2 * 1024 * 1024)
    download.done().catch(() => {})
    // the seeder holds its next block back, waiting for a receipt that does not come
    await seederReceipts.held.count(1)
    expect(seederReceipts.sentBytes).toBeGreaterThan(windowBytes)
    expect(seederReceipts.sentBytes).toBeLessThanOrEqual(windowBytes + 128 * 1024)
    expect(download.progress.verifiedBytes).toBeLessThan(size)
    expect(seederReceipts.takeReceipts()).toEqual([])
  })
})
