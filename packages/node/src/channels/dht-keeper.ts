import type { DhtNode } from '@mycel/dht'
import { formatAddress } from '@mycel/transport'
import { decodeBencode } from '@mycel/wire'
import { type ComponentLogger, describeError } from '@mycel/wire/log'
import type { Clock } from '../clock.js'
import type { ChannelFeed } from './feed.js'
import { CHANNEL_LIMITS, type ChannelTimings } from './limits.js'
import { CHANNEL_SALT } from './version.js'

/** What a keeper needs of the node. @internal */
export interface KeeperEnvironment {
  readonly dht: DhtNode
  readonly clock: Clock
  readonly timings: ChannelTimings
  /** The TCP port peers reach us at, if any (announced under the channel's topic). */
  port(): number | undefined
  /** Dials peers found under the channel's topic. */
  connect(addresses: readonly string[]): void
  /** A put of the latest version ended: how many DHT nodes stored it. */
  put(seq: number, stored: number): void
  readonly log: ComponentLogger
}

/**
 * Keeps one channel alive in the DHT: puts its signed item again before it
 * expires (the publisher and every subscriber: anyone can, no one can
 * forge it), polls for newer versions with a backoff (the fallback when
 * gossip brings nothing), and announces and looks up the peers that follow
 * it (under its topic) so that gossip has a mesh.
 * @internal
 */
export class DhtKeeper {
  private readonly controller = new AbortController()
  private readonly timers = new Set<unknown>()
  private pollDelay: number
  private putting: Promise<unknown> = Promise.resolve()
  private closed = false

  constructor(
    private readonly feed: ChannelFeed,
    private readonly env: KeeperEnvironment,
  ) {
    this.pollDelay = env.timings.pollInterval
  }

  /**
   * Starts the schedules: once the DHT node has joined, a first resolve
   * (again after 5 s, 15 s, ... while nothing is found), a put of the
   * version held (a node that was offline may be the only one left that
   * has it), and a peer search (again after 15 s, 30 s, ... while no peer
   * shares the channel); then the intervals.
   */
  start(): void {
    void this.env.dht.ready().then(
      () => {
        if (this.closed) return
        void this.resolveUntilFound(0)
        if (this.feed.latest !== undefined) void this.putUntilStored(0)
        void this.searchPeers(FIRST_PEER_RETRY_MS)
      },
      () => {}, // closed first
    )
    this.repeat(this.env.timings.republishInterval, () => this.republish())
    this.repeat(this.env.timings.peerInterval, () => this.findPeers())
    if (this.env.timings.pollInterval > 0) this.schedulePoll()
  }

  /** Polls; while nothing was ever found, again after 5 s, 15 s, 45 s, ... up to the republish interval. */
  private async resolveUntilFound(attempt: number): Promise<void> {
    const found = await this.poll()
    const delay = 5_000 * 3 ** attempt
    if (found || this.feed.latest !== undefined || this.closed || delay >= this.env.timings.republishInterval) return
    this.after(delay, () => this.resolveUntilFound(attempt + 1))
  }

  /**
   * Puts the latest item; while no DHT node stores it (the routing table is
   * still empty at start), again after 5 s, 15 s, 45 s, ... up to the
   * republish interval.
   */
  async putUntilStored(attempt: number): Promise<void> {
    const stored = await this.republish()
    const delay = 5_000 * 3 ** attempt
    if (stored > 0 || this.closed || delay >= this.env.timings.republishInterval) return
    this.after(delay, () => this.putUntilStored(attempt + 1))
  }

  /** Searches peers now, and again after `retryMs` (doubling up to the peer interval) while the mesh is empty. */
  private async searchPeers(retryMs: number): Promise<void> {
    await this.findPeers()
    if (this.closed || this.feed.meshPeers.length > 0 || retryMs >= this.env.timings.peerInterval) return
    this.after(retryMs, () => this.searchPeers(retryMs * 2))
  }

  /** A newer version arrived (from a peer or published here): polls wait their first interval again. */
  sawUpdate(): void {
    this.pollDelay = this.env.timings.pollInterval
  }

  /**
   * Puts the latest signed item (with its own signature) at the nodes
   * closest to its target.
   * @returns how many nodes stored it (0 without a version)
   */
  republish(): Promise<number> {
    // One put at a time, in order: a node asked twice at once for the same seq would refuse the second.
    const next = this.putting.then(() => this.putLatest())
    this.putting = next
    return next
  }

  private async putLatest(): Promise<number> {
    const latest = this.feed.latest
    if (latest === undefined || this.closed) return 0
    try {
      const result = await this.env.dht.putMutable(
        {
          publicKey: latest.publicKey,
          signature: latest.signature,
          value: decodeBencode(latest.value),
          seq: latest.seq,
          salt: CHANNEL_SALT,
        },
        { signal: this.controller.signal },
      )
      this.env.put(latest.seq, result.stored)
      if (this.env.log.enabled('debug')) {
        const refused = result.rejections.map((rejection) => `${rejection.code} ${rejection.message}`).join('; ')
        this.env.log.debug(
          `put version ${latest.seq} of channel ${this.feed.publicKeyHex} at ${result.stored} DHT nodes${refused === '' ? '' : `; refused: ${refused}`}`,
        )
      }
      return result.stored
    } catch (error) {
      if (!this.closed) this.env.log.debug(`putting channel ${this.feed.publicKeyHex} failed: ${describeError(error)}`)
      return 0
    }
  }

  /**
   * Asks the DHT for a version newer than the latest.
   * @returns whether one was found and taken
   */
  async poll(): Promise<boolean> {
    if (this.closed) return false
    try {
      await this.env.dht.ready()
      const item = await this.env.dht.getMutable(this.feed.publicKey, {
        salt: CHANNEL_SALT,
        ...(this.feed.latest === undefined ? {} : { seq: this.feed.latest.seq }),
        signal: this.controller.signal,
      })
      if (item === undefined || typeof item.seq !== 'number') return false
      return this.feed.offer({ seq: item.seq, value: item.encoded, signature: item.signature }, 'dht')
    } catch (error) {
      if (!this.closed) this.env.log.debug(`polling channel ${this.feed.publicKeyHex} failed: ${describeError(error)}`)
      return false
    }
  }

  /** Announces our port under the channel's topic and dials peers found there while the mesh is small. */
  async findPeers(): Promise<void> {
    if (this.closed) return
    const port = this.env.port()
    const signal = this.controller.signal
    try {
      if (port !== undefined) await this.env.dht.announce(this.feed.topic, port, { signal })
      if (this.feed.meshPeers.length >= CHANNEL_LIMITS.fanOut && !this.feed.waitingForIndex) return
      const found: string[] = []
      for await (const peer of this.env.dht.lookup(this.feed.topic, { signal })) {
        if (port !== undefined && peer.port === port && isLoopbackOrSelf(peer.host)) continue
        found.push(formatAddress({ scheme: 'tcp', host: peer.host, port: peer.port, path: '' }))
        if (found.length >= CHANNEL_LIMITS.maxDials) break
      }
      if (found.length > 0) this.env.connect(found)
    } catch (error) {
      if (!this.closed)
        this.env.log.debug(`finding peers of channel ${this.feed.publicKeyHex} failed: ${describeError(error)}`)
    }
  }

  /** Stops every schedule and operation (idempotent). */
  close(): void {
    this.closed = true
    this.controller.abort()
    for (const timer of this.timers) this.env.clock.clearTimeout(timer)
    this.timers.clear()
  }

  private schedulePoll(): void {
    this.after(this.pollDelay, async () => {
      const found = await this.poll()
      this.pollDelay = found
        ? this.env.timings.pollInterval
        : Math.min(this.pollDelay * 2, this.env.timings.maxPollInterval)
      if (!this.closed) this.schedulePoll()
    })
  }

  private repeat(ms: number, work: () => Promise<unknown>): void {
    if (ms <= 0) return
    this.after(ms, async () => {
      await work()
      if (!this.closed) this.repeat(ms, work)
    })
  }

  private after(ms: number, work: () => Promise<unknown>): void {
    if (this.closed) return
    const timer = this.env.clock.setTimeout(() => {
      this.timers.delete(timer)
      if (!this.closed) void work()
    }, ms)
    ;(timer as { unref?: () => void } | undefined)?.unref?.()
    this.timers.add(timer)
  }
}

/** The first retry of a peer search that found no peer of the channel. */
const FIRST_PEER_RETRY_MS = 15_000

/** A DHT peer that may be this node: the same port on a loopback address (what a local test network gives). */
function isLoopbackOrSelf(host: string): boolean {
  return host === '127.0.0.1' || host === '::1'
}
