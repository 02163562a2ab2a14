import { toHex } from '@mycel/wire'
import type { CryptoProvider } from '@mycel/wire/crypto'
import { type ComponentLogger, describeError } from '@mycel/wire/log'
import type { Clock } from '../clock.js'
import { NodeError } from '../errors.js'
import { Allowance } from '../peer/budgets.js'
import type { PeerLink } from '../swarm/peer.js'
import { type ChannelIndex, decodeIndex } from './index-format.js'
import { CHANNEL_LIMITS } from './limits.js'
import { type ChannelMessage, decodeChannelMessage } from './messages.js'
import { openIndex } from './seal.js'
import { type ChannelVersion, checkIndexBytes, verifyVersion } from './version.js'

/** Where a version came from. */
export type VersionSource = PeerLink | 'dht' | 'local' | 'stored'

/** What a feed needs of the node. @internal */
export interface FeedEnvironment {
  readonly crypto: CryptoProvider
  /** Wall-clock time in ms (what `seq` is compared with). */
  wallNow(): number
  /** Time of the relay timers. */
  readonly clock: Clock
  /** Sends a message on the feed's topic to one peer; false when it did not go. */
  send(peer: PeerLink, message: ChannelMessage): boolean
  /** Lowers a peer's score, logged and reported as `peer-penalised`. */
  penalise(peer: PeerLink, reason: string): void
  /** Lowers a peer's score and disconnects it. */
  fault(peer: PeerLink, reason: string): void
  readonly log: ComponentLogger
  /**
   * A newer version was verified (its index too, when it came with it).
   * @param index - its plaintext index when readable here
   */
  accepted(feed: ChannelFeed, version: ChannelVersion, index: ChannelIndex | undefined, source: VersionSource): void
}

/** What a feed knows of one peer that shares the channel. */
interface MeshPeer {
  /** The highest `seq` the peer sent us: it never goes back (a lower one is a replay). */
  shown: number
  /** The highest `seq` the peer has, as far as we know (shown, or sent by us): relays skip it. */
  known: number
  /** The highest `seq` we sent it with its index in answer to a `want`. */
  answered: number
  /** Versions it may push. */
  readonly versions: Allowance
}

/**
 * One channel as this node follows it: its latest verified version and
 * index, the peers that share it (its mesh, at most
 * `CHANNEL_LIMITS.maxMeshPeers`), and its gossip: verifying what peers
 * push, answering `want`s, and relaying newer versions with bounded fan-out
 * and rate. Memory per channel is bounded: one index, one mesh.
 * @internal
 */
export class ChannelFeed {
  readonly publicKeyHex: string
  /** The latest verified version, if any. */
  latest: ChannelVersion | undefined
  /** Its index as it travels (sealed for a private channel), when held. */
  latestIndex: Uint8Array | undefined
  /** Its plaintext index, when readable here. */
  index: ChannelIndex | undefined
  /** A newer version whose index is still wanted (from the DHT or a peer that sent none). */
  private wanted: ChannelVersion | undefined
  private readonly mesh = new Map<PeerLink, MeshPeer>()
  private readonly relays: Allowance
  private relayTimer: unknown
  private closed = false

  constructor(
    readonly publicKey: Uint8Array,
    readonly topic: Uint8Array,
    public readKey: Uint8Array | undefined,
    private readonly env: FeedEnvironment,
  ) {
    this.publicKeyHex = toHex(publicKey)
    this.relays = new Allowance(
      CHANNEL_LIMITS.relayBurst,
      CHANNEL_LIMITS.relayBurst * CHANNEL_LIMITS.relayIntervalMs,
      env.clock.now(),
    )
  }

  /** Peers known to share the channel (connected ones). */
  get meshPeers(): PeerLink[] {
    return [...this.mesh.keys()].filter((peer) => !peer.isClosed)
  }

  /**
   * Tells a peer that just connected that we follow the channel: our latest
   * version (without a large index: it asks if it wants it), or a `want`
   * when we have none. Either puts us in its mesh.
   */
  greet(peer: PeerLink): void {
    const latest = this.latest
    if (latest === undefined) this.env.send(peer, { type: 'want', seq: 0 })
    else this.env.send(peer, { type: 'version', seq: latest.seq, signature: latest.signature, value: latest.value })
  }

  /**
   * Handles one gossip payload on the channel's topic.
   * @param payload - valid only while the call runs
   * @param from - the peer that sent it
   */
  receive(payload: Uint8Array, from: PeerLink): void {
    if (this.closed) return
    let message: ChannelMessage
    try {
      message = decodeChannelMessage(payload)
    } catch (error) {
      this.env.fault(from, `sent a malformed message on channel ${this.publicKeyHex} (${describeError(error)})`)
      return
    }
    const peer = this.meshPeer(from)
    if (message.type === 'want') {
      this.answerWant(from, peer, message.seq)
      return
    }
    if (!peer.versions.take(1, this.env.clock.now())) {
      this.env.penalise(
        from,
        `pushed versions of channel ${this.publicKeyHex} faster than ${CHANNEL_LIMITS.peerVersionBurst} at once and one per ${CHANNEL_LIMITS.peerVersionIntervalMs} ms`,
      )
      return
    }
    if (message.seq < peer.shown) {
      this.env.penalise(
        from,
        `replayed version ${message.seq} of channel ${this.publicKeyHex} after sending ${peer.shown}`,
      )
      return
    }
    const latest = this.latest
    if (latest !== undefined && message.seq <= latest.seq) {
      peer.shown = message.seq
      peer.known = Math.max(peer.known, message.seq)
      if (message.seq < latest.seq) this.sendLatest(from, peer, true) // it is behind: bring it up to date
      return
    }
    let version: ChannelVersion
    try {
      version = verifyVersion(
        { publicKey: this.publicKey, seq: message.seq, value: message.value, signature: message.signature },
        this.env.wallNow(),
      )
    } catch (error) {
      const forged = error instanceof NodeError && error.code === 'CHANNEL_SIGNATURE_INVALID'
      const reason = `sent a version of channel ${this.publicKeyHex} that was refused: ${describeError(error)}`
      if (forged) this.env.fault(from, reason)
      else this.env.penalise(from, reason)
      return
    }
    peer.shown = version.seq
    peer.known = Math.max(peer.known, version.seq)
    const index = version.inlineIndex ?? message.index
    if (index === undefined) {
      if (this.wanted === undefined || this.wanted.seq < version.seq) this.wanted = version
      this.env.send(from, { type: 'want', seq: version.seq })
      return
    }
    this.take(version, index, from)
  }

  /**
   * Takes a version from the DHT (or the store): verified again here; its
   * index is asked from the mesh when it does not travel in the value.
   * @returns whether it was newer and complete (taken)
   */
  offer(
    input: { seq: number; value: Uint8Array; signature: Uint8Array; index?: Uint8Array | undefined },
    source: 'dht' | 'stored',
  ): boolean {
    if (this.closed || (this.latest !== undefined && input.seq <= this.latest.seq)) return false
    let version: ChannelVersion
    try {
      version = verifyVersion({ publicKey: this.publicKey, ...input }, this.env.wallNow())
    } catch (error) {
      this.env.log.info(`refused a version of channel ${this.publicKeyHex} from the ${source}: ${describeError(error)}`)
      return false
    }
    const index = version.inlineIndex ?? input.index
    if (index === undefined) {
      if (this.wanted === undefined || this.wanted.seq < version.seq) this.wanted = version
      for (const peer of this.meshPeers.slice(0, 3)) this.env.send(peer, { type: 'want', seq: version.seq })
      return false
    }
    return this.take(version, index, source)
  }

  /** A version we signed: taken and pushed to the mesh. */
  publishLocal(version: ChannelVersion, index: Uint8Array): void {
    this.take(version, index, 'local')
  }

  /**
   * Takes a private channel's read key given after its latest version came
   * (a subscription again, with the keyed link): reads the index held.
   * @returns the index, when the key opens it
   * @throws NodeError `CHANNEL_UNREADABLE` when the key does not open it (the key is not kept)
   */
  useReadKey(readKey: Uint8Array): ChannelIndex | undefined {
    const { latest, latestIndex } = this
    if (latest?.private === true && latestIndex !== undefined && this.index === undefined) {
      this.index = decodeIndex(openIndex(latestIndex, readKey, this.publicKey, this.env.crypto))
    }
    this.readKey = readKey
    return this.index
  }

  /** Whether a version newer than the latest is known whose index has not come yet. */
  get waitingForIndex(): boolean {
    return this.wanted !== undefined && (this.latest === undefined || this.wanted.seq > this.latest.seq)
  }

  /** Stops relaying (idempotent). */
  close(): void {
    this.closed = true
    this.env.clock.clearTimeout(this.relayTimer)
    this.mesh.clear()
  }

  /** Checks the index against the version, reads it when it can, then keeps it and relays. */
  private take(version: ChannelVersion, index: Uint8Array, source: VersionSource): boolean {
    const blame = (reason: string) => {
      if (typeof source === 'object') this.env.penalise(source, reason)
      else this.env.log.info(`refused a version of channel ${this.publicKeyHex} from the ${source}: ${reason}`)
    }
    try {
      checkIndexBytes(version, index, this.env.crypto)
    } catch (error) {
      blame(`sent an index of channel ${this.publicKeyHex} that was refused: ${describeError(error)}`)
      return false
    }
    let plaintext: ChannelIndex | undefined
    if (!version.private || this.readKey !== undefined) {
      try {
        const bytes = version.private
          ? openIndex(index, this.readKey as Uint8Array, this.publicKey, this.env.crypto)
          : index
        plaintext = decodeIndex(bytes)
      } catch (error) {
        // Signed by the publisher: a relay that could read it should not have passed it on.
        blame(`sent a channel ${this.publicKeyHex} index that does not read: ${describeError(error)}`)
        return false
      }
    }
    this.latest = version
    this.latestIndex = index
    this.index = plaintext
    if (this.wanted !== undefined && this.wanted.seq <= version.seq) this.wanted = undefined
    this.env.accepted(this, version, plaintext, source)
    if (source !== 'stored') this.relay(typeof source === 'object' ? source : undefined)
    return true
  }

  /**
   * Whether `peer` is one of the first `fanOut` live peers of the mesh: the
   * connections kept open for the channel's pushes (at most 6 per channel).
   */
  keeps(peer: PeerLink): boolean {
    let live = 0
    for (const link of this.mesh.keys()) {
      if (link.isClosed) continue
      if (link.key === peer.key) return true
      if (++live >= CHANNEL_LIMITS.fanOut) return false
    }
    return false
  }

  private meshPeer(peer: PeerLink): MeshPeer {
    let state = this.mesh.get(peer)
    if (state === undefined) {
      for (const [link] of this.mesh) if (link.isClosed) this.mesh.delete(link)
      if (this.mesh.size >= CHANNEL_LIMITS.maxMeshPeers) {
        const oldest = this.mesh.keys().next().value
        if (oldest !== undefined) this.mesh.delete(oldest)
      }
      const { peerVersionBurst: burst, peerVersionIntervalMs: interval } = CHANNEL_LIMITS
      state = {
        shown: 0,
        known: 0,
        answered: 0,
        versions: new Allowance(burst, burst * interval, this.env.clock.now()),
      }
      this.mesh.set(peer, state)
    }
    return state
  }

  private answerWant(from: PeerLink, peer: MeshPeer, seq: number): void {
    const latest = this.latest
    // Each version's index goes to a peer once: a peer asking again gets nothing (it cannot make us resend 48 KiB).
    if (latest === undefined || latest.seq < seq || peer.answered >= latest.seq) return
    this.sendLatest(from, peer, true)
    peer.answered = latest.seq
  }

  private sendLatest(to: PeerLink, peer: MeshPeer, withIndex: boolean): void {
    const latest = this.latest
    if (latest === undefined) return
    const index = withIndex && latest.inlineIndex === undefined ? this.latestIndex : undefined
    const sent = this.env.send(to, {
      type: 'version',
      seq: latest.seq,
      signature: latest.signature,
      value: latest.value,
      ...(index === undefined ? {} : { index }),
    })
    if (sent) peer.known = Math.max(peer.known, latest.seq)
  }

  /** Pushes the latest version on: now if the rate allows, else once the next relay is due (the latest then). */
  private relay(except: PeerLink | undefined): void {
    if (this.relayTimer !== undefined) return // one is scheduled: it sends the latest
    if (this.relays.take(1, this.env.clock.now())) {
      this.relayNow(except)
      return
    }
    this.relayTimer = this.env.clock.setTimeout(() => {
      this.relayTimer = undefined
      if (!this.closed) this.relay(undefined)
    }, CHANNEL_LIMITS.relayIntervalMs)
  }

  /** The index to `fanOut` peers of the mesh (at random), the signed item alone to the others. */
  private relayNow(except: PeerLink | undefined): void {
    const latest = this.latest
    if (latest === undefined) return
    const targets = [...this.mesh].filter(
      ([link, state]) => link !== except && !link.isClosed && state.known < latest.seq,
    )
    for (let i = targets.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[targets[i], targets[j]] = [targets[j] as [PeerLink, MeshPeer], targets[i] as [PeerLink, MeshPeer]]
    }
    targets.forEach(([link, state], at) => {
      this.sendLatest(link, state, at < CHANNEL_LIMITS.fanOut)
    })
    if (targets.length > 0 && this.env.log.enabled('debug')) {
      this.env.log.debug(`relayed version ${latest.seq} of channel ${this.publicKeyHex} to ${targets.length} peers`)
    }
  }
}
