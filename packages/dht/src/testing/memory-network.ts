import { numberOption } from '@mycel/wire/assert'
import type { PeerAddress } from '../address.js'
import { type Clock, systemClock } from '../clock.js'
import { ipFamily, normalizeHost } from '../ip.js'
import type { DatagramHandler, DatagramSocket } from '../socket.js'

/** One-way delay of a datagram in ms: fixed, or uniform in `[min, max]`. */
export type Latency = number | { readonly min: number; readonly max: number }

/** Options of a {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Clock the deliveries are scheduled on (a `ManualClock` for fast simulations). Default: the system clock. */
  readonly clock?: Clock
  /** One-way latency. Default 0 (delivered on the next timer tick). */
  readonly latency?: Latency
  /** Probability (0-1) that a datagram is lost. Default 0. */
  readonly loss?: number
  /** Random source in [0, 1) for loss, latency and churn. Default `Math.random`. */
  readonly random?: () => number
}

/** Counters of a {@link MemoryNetwork}. */
export interface MemoryNetworkStats {
  /** Datagrams sent. */
  sent: number
  /** Datagrams handed to a receiver. */
  delivered: number
  /** Datagrams lost to the loss rate or because their sender was offline. */
  lost: number
  /** Datagrams whose destination was closed, offline or never existed. */
  undeliverable: number
}

/**
 * A simulated datagram network in one process: sockets with IP addresses,
 * configurable latency and loss, and churn (sockets taken offline and back).
 * Cheap enough for thousands of DHT nodes.
 *
 * @example
 * ```ts
 * const network = new MemoryNetwork({ latency: { min: 5, max: 50 }, loss: 0.01 })
 * const a = network.createSocket()
 * const b = network.createSocket()
 * b.onDatagram((bytes, from) => console.log(bytes.length, from.host))
 * a.send(new Uint8Array([1, 2, 3]), b.localAddress)
 * ```
 */
export class MemoryNetwork {
  /** The clock deliveries run on. */
  readonly clock: Clock
  /** Counters of everything sent. */
  readonly stats: MemoryNetworkStats = { sent: 0, delivered: 0, lost: 0, undeliverable: 0 }
  private readonly random: () => number
  private readonly sockets = new Map<string, MemorySocket>()
  private readonly offline = new Set<string>()
  private latency: Latency = 0
  private loss = 0
  private nextHost = 1
  private nextPort = 49152

  /** @param options - clock, latency, loss, random source */
  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? Math.random
    this.setLatency(options.latency ?? 0)
    this.setLoss(options.loss ?? 0)
  }

  /** Sockets open on the network. */
  get size(): number {
    return this.sockets.size
  }

  /**
   * Opens a socket. Without a host, each socket gets its own IPv4 address
   * (`10.x.y.z`) on port 6881; with a host but no port, a free port.
   * @param options - host (IPv4 or IPv6 text) and port
   * @returns the socket
   * @throws Error if the address is taken; TypeError if the host is not an IP address
   */
  createSocket(options: { host?: string; port?: number } = {}): MemorySocket {
    let host = options.host
    let port = options.port
    if (host === undefined) {
      const n = this.nextHost++
      host = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
      port ??= 6881
    } else {
      if (ipFamily(host) === 0) throw new TypeError(`not an IP address: ${host}`)
      host = normalizeHost(host)
    }
    port ??= this.nextPort++
    const address = { host, port }
    const key = addressKey(address)
    if (this.sockets.has(key)) throw new Error(`address in use: ${host}:${port}`)
    const socket = new MemorySocket(this, address)
    this.sockets.set(key, socket)
    return socket
  }

  /**
   * Sets the one-way latency of every later datagram.
   * @param latency - ms, or a `{ min, max }` range
   */
  setLatency(latency: Latency): void {
    const range = typeof latency === 'number' ? { min: latency, max: latency } : latency
    numberOption(range.min, 'latency.min', { max: Number.MAX_SAFE_INTEGER, fallback: 0 })
    numberOption(range.max, 'latency.max', { max: Number.MAX_SAFE_INTEGER, fallback: 0 })
    if (range.max < range.min) throw new RangeError('latency.max must not be below latency.min')
    this.latency = latency
  }

  /**
   * Sets the probability that a datagram is lost.
   * @param loss - from 0 to 1
   */
  setLoss(loss: number): void {
    this.loss = numberOption(loss, 'loss', { max: 1, fallback: 0 })
  }

  /**
   * Takes a socket off the network (it neither sends nor receives) or puts it back.
   * @param address - the socket's address
   * @param online - false to take it offline
   */
  setOnline(address: PeerAddress, online: boolean): void {
    if (online) this.offline.delete(addressKey(address))
    else this.offline.add(addressKey(address))
  }

  /**
   * Whether a socket is online (open and not taken offline).
   * @param address - the socket's address
   * @returns true if datagrams reach it
   */
  isOnline(address: PeerAddress): boolean {
    const key = addressKey(address)
    return this.sockets.has(key) && !this.offline.has(key)
  }

  /**
   * Churn: takes a random `fraction` of the online sockets offline.
   * @param fraction - from 0 to 1
   * @param options - addresses to spare
   * @returns the addresses taken offline
   */
  churn(fraction: number, options: { spare?: readonly PeerAddress[] } = {}): PeerAddress[] {
    numberOption(fraction, 'fraction', { max: 1, fallback: 0 })
    const spared = new Set((options.spare ?? []).map(addressKey))
    const candidates = [...this.sockets.entries()].filter(([key]) => !this.offline.has(key) && !spared.has(key))
    const count = Math.round(candidates.length * fraction)
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(this.random() * (candidates.length - i))
      const swap = candidates[i] as [string, MemorySocket]
      candidates[i] = candidates[j] as [string, MemorySocket]
      candidates[j] = swap
    }
    return candidates.slice(0, count).map(([key, socket]) => {
      this.offline.add(key)
      return socket.localAddress
    })
  }

  /** Puts every socket taken offline back online. */
  heal(): void {
    this.offline.clear()
  }

  /** @internal */
  transmit(datagram: Uint8Array, from: PeerAddress, to: PeerAddress): void {
    this.stats.sent++
    if (this.offline.has(addressKey(from)) || (this.loss > 0 && this.random() < this.loss)) {
      this.stats.lost++
      return
    }
    const copy = datagram.slice()
    const targetKey = addressKey(to)
    this.clock.setTimeout(() => {
      const target = this.sockets.get(targetKey)
      if (target === undefined || this.offline.has(targetKey)) {
        this.stats.undeliverable++
        return
      }
      this.stats.delivered++
      target.deliver(copy, from)
    }, this.delay())
  }

  /** @internal */
  release(socket: MemorySocket): void {
    const key = addressKey(socket.localAddress)
    if (this.sockets.get(key) === socket) this.sockets.delete(key)
    this.offline.delete(key)
  }

  private delay(): number {
    const latency = this.latency
    if (typeof latency === 'number') return latency
    return latency.min + this.random() * (latency.max - latency.min)
  }
}

/** A {@link DatagramSocket} on a {@link MemoryNetwork}. */
export class MemorySocket implements DatagramSocket {
  private handler: DatagramHandler | undefined
  private closed = false

  /** @internal */
  constructor(
    private readonly network: MemoryNetwork,
    /** This socket's address on the network. */
    readonly localAddress: PeerAddress,
  ) {}

  /**
   * Sends a datagram through the network (copied; subject to latency and loss).
   * @param datagram - the payload
   * @param to - destination address
   */
  send(datagram: Uint8Array, to: PeerAddress): void {
    if (this.closed) return
    this.network.transmit(datagram, this.localAddress, to)
  }

  /**
   * Sets the receiver of incoming datagrams.
   * @param handler - called once per datagram
   */
  onDatagram(handler: DatagramHandler): void {
    this.handler = handler
  }

  /**
   * Host names are not simulated: returns the input if it is an IP address, else nothing.
   * @param host - a host
   * @returns `[host]` for an IP address, else `[]`
   */
  async resolve(host: string): Promise<string[]> {
    return ipFamily(host) === 0 ? [] : [normalizeHost(host)]
  }

  /** @internal */
  deliver(datagram: Uint8Array, from: PeerAddress): void {
    if (!this.closed) this.handler?.(datagram, from)
  }

  /**
   * Leaves the network. Idempotent.
   * @returns resolves at once
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.handler = undefined
    this.network.release(this)
  }
}

function addressKey(address: PeerAddress): string {
  return `${address.host}|${address.port}`
}
