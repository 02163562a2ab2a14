/**
 * Transfer receipts between mycel nodes (`receipts/1`, an optional protocol
 * on the connection): the downloader's side counts the bytes it received
 * from each uploader per share **and verified**, and sends the uploader a
 * signed, cumulative receipt (`@mycel/wire`'s `signReceipt`) whenever
 * enough new bytes are covered; the uploader's side checks each receipt
 * (signed by the connection's own peer, naming us as the uploader), keeps
 * the highest per (share, downloader) for a tracker with accounts, and
 * knows how many bytes it sent each downloader that no receipt covers yet:
 * past a window it may stop serving that downloader (bounded loss).
 *
 * Pass it in `NodeOptions.protocols`: the node then reports to it the
 * bytes of each stored piece (split among the peers that sent its blocks)
 * and each block it sends, and refuses (`BUSY`) the requests of a
 * downloader {@link ReceiptsProtocol.mayServe} says no to. Handing the
 * receipts to a tracker is the app's (`takeReceipts`).
 * @module
 */
import { decodeReceipt, RECEIPT_BYTES, signReceipt, toHex, WireError } from '@mycel/wire'
import { assertBytes, assertInteger } from '@mycel/wire/assert'
import { type CryptoProvider, getDefaultCrypto } from '@mycel/wire/crypto'
import { type Clock, systemClock } from '../clock.js'
import { Allowance } from '../peer/budgets.js'
import type { ConnectionProtocol, ProtocolChannel, ProtocolHandler } from '../peer/protocols.js'
import type { PeerLink } from '../swarm/peer.js'

/** The protocol's name in `hello`. */
export const RECEIPTS_PROTOCOL = 'receipts/1'

/** Receipts one peer may send: 64 at once, 64 more per second; the rest are ignored (each costs a signature check). */
export const RECEIPT_BUDGET = { burst: 64, intervalMs: 1000 } as const

/** Sends kept waiting per (share, downloader); beyond, the oldest is woken (it checks again). */
const MAX_WAITS_PER_PAIR = 8

/** (share, peer) pairs whose counts are kept on each side; beyond, the oldest are forgotten. */
export const MAX_RECEIPT_PAIRS = 100_000

/** Options of {@link ReceiptsProtocol}. */
export interface ReceiptsOptions {
  /** This node's Ed25519 secret key (its identity's 32-byte seed): it signs our receipts. */
  readonly secretKey: Uint8Array
  /**
   * Unsigned bytes a downloader may have from us before
   * {@link ReceiptsProtocol.mayServe} says no. Default 32 MiB. It must exceed
   * what an honest downloader has unsigned at worst: its requests in flight
   * (96 blocks, 1.5 MiB), a piece not yet verified (up to 16 MiB), and its
   * receipt step (`sendEveryBytes`), or a signing downloader is refused too.
   */
  readonly windowBytes?: number
  /** New verified bytes that make us send an uploader a fresh receipt. Default 1 MiB (a quarter of nothing smaller). */
  readonly sendEveryBytes?: number
  /** Ed25519. Default `getDefaultCrypto()`. */
  readonly crypto?: CryptoProvider
  /** Time, for the receipt budget of each peer. Default the system clock. */
  readonly clock?: Clock
  /**
   * Called when a downloader's receipt raised what it covers (uploader
   * side), so an app can hand {@link ReceiptsProtocol.takeReceipts} to its
   * tracker without polling. Must not throw.
   */
  readonly onReceipt?: (share: Uint8Array, downloader: Uint8Array) => void
}

interface Counted {
  /** Verified (downloader side) or sent (uploader side) bytes, in all. */
  bytes: number
  /** Bytes covered by the last receipt sent (downloader side) or received (uploader side). */
  covered: number
  /** The last receipt received (uploader side), to hand to a tracker. */
  receipt?: Uint8Array
  /** Whether `receipt` changed since the last {@link ReceiptsProtocol.takeReceipts}. */
  fresh?: boolean
}

function pairKey(share: Uint8Array, peer: Uint8Array): string {
  return `${toHex(share)}:${toHex(peer)}`
}

function remember(map: Map<string, Counted>, key: string): Counted {
  let counted = map.get(key)
  if (counted === undefined) {
    if (map.size >= MAX_RECEIPT_PAIRS) {
      const oldest = map.keys().next().value
      if (oldest !== undefined) map.delete(oldest)
    }
    counted = { bytes: 0, covered: 0 }
    map.set(key, counted)
  }
  return counted
}

/** What the node tells a transfer accounting (a {@link ReceiptsProtocol}) and asks it. */
export interface TransferAccounting {
  /** Bytes of a share received from a peer passed verification. */
  verified(uploader: Uint8Array, share: Uint8Array, bytes: number): void
  /** Bytes of a share were sent to a peer. */
  sentTo(downloader: Uint8Array, share: Uint8Array, bytes: number): void
  /** Whether to serve a peer's requests for a share. */
  mayServe(downloader: Uint8Array, share: Uint8Array): boolean
  /** Resolves when {@link TransferAccounting.mayServe} would say yes again (or the peer's channel closed). */
  whenServable(downloader: Uint8Array, share: Uint8Array): Promise<void>
}

/** Both sides of `receipts/1`. */
export class ReceiptsProtocol implements ConnectionProtocol, TransferAccounting {
  readonly name = RECEIPTS_PROTOCOL
  /** Our public key: the `uploader` of receipts we accept, the `downloader` of those we sign. */
  readonly publicKey: Uint8Array
  private readonly crypto: CryptoProvider
  private readonly clock: Clock
  private readonly windowBytes: number
  private readonly sendEveryBytes: number
  /** Open channels, by the peer's key (hex): more than one while a duplicate connection is being dropped. */
  private readonly channels = new Map<string, Set<ProtocolChannel>>()
  private readonly budgets = new WeakMap<PeerLink, Allowance>()
  /** Downloader side: verified bytes per (share, uploader). */
  private readonly received = new Map<string, Counted & { share: Uint8Array; uploader: Uint8Array }>()
  /** Uploader side: sent bytes and receipts per (share, downloader). */
  private readonly sent = new Map<string, Counted>()
  /** Sends waiting for a receipt, per (share, downloader); woken by a receipt or by the peer's channel closing. */
  private readonly waiting = new Map<string, Array<() => void>>()
  /** Listeners of {@link ReceiptsProtocol.watch}. */
  private readonly watchers = new Set<(share: Uint8Array, downloader: Uint8Array) => void>()

  /**
   * @param options - our key, the window, when to send
   * @throws TypeError/RangeError for a key that is not 32 bytes or bad numbers
   */
  constructor(private readonly options: ReceiptsOptions) {
    assertBytes(options.secretKey, 'secretKey', 32)
    this.crypto = options.crypto ?? getDefaultCrypto()
    this.clock = options.clock ?? systemClock
    this.windowBytes = assertInteger(options.windowBytes ?? 32 * 1024 * 1024, 'windowBytes')
    this.sendEveryBytes = assertInteger(options.sendEveryBytes ?? 1024 * 1024, 'sendEveryBytes', { min: 1 })
    this.publicKey = this.crypto.ed25519PublicKey(options.secretKey)
  }

  open(channel: ProtocolChannel): ProtocolHandler {
    const key = toHex(channel.link.keyBytes)
    const open = this.channels.get(key) ?? new Set<ProtocolChannel>()
    open.add(channel)
    this.channels.set(key, open)
    this.budgets.set(channel.link, new Allowance(RECEIPT_BUDGET.burst, RECEIPT_BUDGET.intervalMs, this.clock.now()))
    // Receipts not yet sent to this uploader (a reconnection) go out now.
    for (const counted of this.received.values()) {
      if (toHex(counted.uploader) === key && counted.bytes > counted.covered) this.sendReceipt(counted)
    }
    return {
      onMessage: (body) => this.receive(channel.link, body),
      onClose: () => {
        this.wake((waiting) => waiting.endsWith(`:${key}`))
        open.delete(channel)
        if (open.size === 0 && this.channels.get(key) === open) this.channels.delete(key)
      },
    }
  }

  /**
   * Downloader side: bytes of a share received from an uploader passed
   * verification. A receipt goes to the uploader once `sendEveryBytes` new
   * bytes are covered (or at the next {@link ReceiptsProtocol.flush}).
   *
   * @param uploader - the uploader's 32-byte key (`PeerLink.keyBytes`)
   * @param share - the share's 32-byte v2 infohash
   * @param bytes - bytes verified now
   */
  verified(uploader: Uint8Array, share: Uint8Array, bytes: number): void {
    assertBytes(uploader, 'uploader', 32)
    assertBytes(share, 'share', 32)
    assertInteger(bytes, 'bytes')
    const key = pairKey(share, uploader)
    let counted = this.received.get(key)
    if (counted === undefined) {
      if (this.received.size >= MAX_RECEIPT_PAIRS) {
        const oldest = this.received.keys().next().value
        if (oldest !== undefined) this.received.delete(oldest)
      }
      counted = { bytes: 0, covered: 0, share: share.slice(), uploader: uploader.slice() }
      this.received.set(key, counted)
    }
    counted.bytes += bytes
    if (counted.bytes - counted.covered >= this.sendEveryBytes) this.sendReceipt(counted)
  }

  /** Sends every uploader we are connected to a receipt for what is not covered yet. */
  flush(): void {
    for (const counted of this.received.values()) if (counted.bytes > counted.covered) this.sendReceipt(counted)
  }

  private sendReceipt(counted: Counted & { share: Uint8Array; uploader: Uint8Array }): void {
    let channel: ProtocolChannel | undefined
    for (const candidate of this.channels.get(toHex(counted.uploader)) ?? []) {
      if (!candidate.link.isClosed) channel = candidate
    }
    if (channel === undefined) return
    const receipt = signReceipt(
      {
        share: counted.share,
        uploader: counted.uploader,
        downloader: this.publicKey,
        bytes: counted.bytes,
        issuedAt: Date.now(),
      },
      this.options.secretKey,
      this.crypto,
    )
    channel.send(receipt)
    counted.covered = counted.bytes
  }

  /**
   * Uploader side: bytes of a share sent to a downloader.
   *
   * @param downloader - its 32-byte key
   * @param share - the share's v2 infohash
   * @param bytes - bytes sent now
   */
  sentTo(downloader: Uint8Array, share: Uint8Array, bytes: number): void {
    assertBytes(downloader, 'downloader', 32)
    assertBytes(share, 'share', 32)
    assertInteger(bytes, 'bytes')
    remember(this.sent, pairKey(share, downloader)).bytes += bytes
  }

  /**
   * Uploader side: whether to go on serving a downloader: false once the
   * bytes we sent it of the share that no receipt covers exceed the window.
   *
   * @param downloader - its 32-byte key
   * @param share - the share's v2 infohash
   * @returns true while it is within the window
   */
  mayServe(downloader: Uint8Array, share: Uint8Array): boolean {
    const counted = this.sent.get(pairKey(share, downloader))
    return counted === undefined || counted.bytes - counted.covered <= this.windowBytes
  }

  /**
   * Uploader side: resolves once {@link ReceiptsProtocol.mayServe} says yes
   * (a receipt came), or the downloader's `receipts/1` channel closed.
   *
   * @param downloader - its 32-byte key
   * @param share - the share's v2 infohash
   * @returns when to try again
   */
  whenServable(downloader: Uint8Array, share: Uint8Array): Promise<void> {
    if (this.mayServe(downloader, share)) return Promise.resolve()
    const key = pairKey(share, downloader)
    return new Promise((resolve) => {
      const list = this.waiting.get(key) ?? []
      // Pumps of connections that closed while waiting leave their waits here: a few per pair at most.
      if (list.length >= MAX_WAITS_PER_PAIR) list.shift()?.()
      list.push(resolve)
      this.waiting.set(key, list)
    })
  }

  private wake(predicate: (key: string) => boolean): void {
    for (const [key, list] of this.waiting) {
      if (!predicate(key)) continue
      this.waiting.delete(key)
      for (const resolve of list) resolve()
    }
  }

  /**
   * Uploader side: the receipts received since the last call (the highest
   * per share and downloader), to hand to a tracker (`POST /api/v1/receipts`).
   *
   * @returns signed receipts, 177 bytes each
   */
  takeReceipts(): Uint8Array[] {
    const out: Uint8Array[] = []
    for (const counted of this.sent.values()) {
      if (counted.fresh === true && counted.receipt !== undefined) {
        out.push(counted.receipt)
        counted.fresh = false
      }
    }
    return out
  }

  private receive(link: PeerLink, body: Uint8Array): void {
    if (!(this.budgets.get(link)?.take(1, this.clock.now()) ?? false)) return
    if (body.length !== RECEIPT_BYTES) {
      throw new WireError('MESSAGE_MALFORMED', `a ${RECEIPTS_PROTOCOL} message is one ${RECEIPT_BYTES}-byte receipt`)
    }
    const receipt = decodeReceipt(body, this.crypto)
    if (toHex(receipt.downloader) !== toHex(link.keyBytes)) {
      throw new WireError('MESSAGE_INVALID_FIELD', 'a receipt must be signed by the peer that sends it')
    }
    if (toHex(receipt.uploader) !== toHex(this.publicKey)) {
      throw new WireError('MESSAGE_INVALID_FIELD', 'a receipt sent to us must name us as the uploader')
    }
    const counted = remember(this.sent, pairKey(receipt.share, receipt.downloader))
    if (receipt.bytes <= counted.covered) return // a replay or an older receipt
    counted.covered = receipt.bytes
    counted.receipt = body.slice()
    counted.fresh = true
    if (this.mayServe(receipt.downloader, receipt.share)) {
      const key = pairKey(receipt.share, receipt.downloader)
      this.wake((waiting) => waiting === key)
    }
    this.options.onReceipt?.(receipt.share, receipt.downloader)
    for (const watcher of this.watchers) watcher(receipt.share, receipt.downloader)
  }

  /**
   * Uploader side: calls `listener` as `onReceipt` is called (a downloader's
   * receipt raised what it covers), besides `onReceipt`. The node's tracker
   * accounts watch so. `listener` must not throw.
   *
   * @param listener - told the share and the downloader
   * @returns a function that stops the calls
   */
  watch(listener: (share: Uint8Array, downloader: Uint8Array) => void): () => void {
    this.watchers.add(listener)
    return () => this.watchers.delete(listener)
  }
}
