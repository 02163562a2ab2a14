import { toHex } from '@mycel/wire'
import { randomBytes } from '@mycel/wire/crypto'
import { describeError } from '@mycel/wire/log'
import { Emitter } from '../emitter.js'
import { NodeError } from '../errors.js'
import type { TypedEmitter } from '../typed-emitter.js'
import { describeChannel } from './describe.js'
import { DhtKeeper } from './dht-keeper.js'
import { ChannelFeed, type VersionSource } from './feed.js'
import { type ChannelEntry, type ChannelIndex, checkEntry, encodeIndex } from './index-format.js'
import { formatExportedKey, parseExportedKey } from './key-text.js'
import { CHANNEL_LIMITS, type ChannelTimings, DEFAULT_CHANNEL_TIMINGS } from './limits.js'
import { parseChannelLink } from './link.js'
import { channelTopic, encodeChannelMessage } from './messages.js'
import { keyOfHex, publicKeyHexOf } from './names.js'
import { checkPolicy, type DownloadPolicy, policyWants } from './policy.js'
import { sealIndex } from './seal.js'
import { type ChannelRecord, ChannelStore, type StoredVersion } from './store.js'
import type { ChannelEvents, ChannelInfo, ChannelsOptions } from './types.js'
import { type ChannelVersion, signVersion } from './version.js'

/** Score lost by a peer for a refused channel message. */
const CHANNEL_PENALTY = 2

interface Followed {
  record: ChannelRecord
  readonly feed: ChannelFeed
  readonly keeper: DhtKeeper | undefined
  readonly stopGossip: () => void
  /** The entries of the version before (to tell which are new). */
  lastEntries?: readonly ChannelEntry[] | undefined
}

/**
 * Channels: a key that publishes an updatable list of shares (`node.channels`).
 * A channel is an Ed25519 key pair kept in the node's state store; each
 * version of its index is signed into a BEP 44 mutable item, pushed by
 * gossip to the peers that follow it, and kept in the DHT by its publisher
 * and every subscriber. See `docs/channels.md`.
 *
 * @example
 * ```ts
 * const channel = await node.channels.create({ title: 'Field recordings' })
 * await node.channels.publish(channel.publicKey, [{ infohash, name: 'rain.flac', size: 1234, time: 1700000000 }])
 * // elsewhere
 * other.channels.on('entry-added', (publicKey, entry) => console.log(entry.name))
 * await other.channels.subscribe(channel.link, { policy: { type: 'all' } })
 * ```
 */
export class Channels extends (Emitter as new () => TypedEmitter<ChannelEvents>) {
  private readonly store: ChannelStore
  private readonly followed = new Map<string, Followed>()
  private readonly timings: ChannelTimings
  private readonly wallNow: () => number
  private readonly stopGreetings: () => void
  private loading: Promise<void> | undefined
  private closed = false

  /** @internal */
  constructor(private readonly options: ChannelsOptions) {
    super()
    this.store = new ChannelStore(options.state)
    this.timings = { ...DEFAULT_CHANNEL_TIMINGS, ...options.timings }
    this.wallNow = options.wallNow ?? (() => Date.now())
    const stopGreeting = options.gossip.onPeer((peer) => {
      for (const { feed } of this.followed.values()) feed.greet(peer)
    })
    // A channel's pushes come only over open connections: its mesh peers are kept, though idle.
    const stopKeeping = options.gossip.keepOpen((peer) => {
      for (const { feed } of this.followed.values()) if (feed.keeps(peer)) return true
      return false
    })
    this.stopGreetings = () => {
      stopGreeting()
      stopKeeping()
    }
  }

  /**
   * Creates a channel: a new key pair kept in the state store, and a first
   * version with no entries.
   * @param options - its title; `private` to seal its index with a new read key (carried in its link)
   * @returns the channel, with its link
   * @throws `CHANNEL_LIMIT` past `CHANNEL_LIMITS.maxChannels`; `CHANNEL_INDEX_INVALID` for a title over
   *   255 bytes; `CLOSED`
   */
  async create(options: { title: string; private?: boolean }): Promise<ChannelInfo> {
    await this.ready()
    const secretKey = randomBytes(32)
    const readKey = options.private === true ? randomBytes(32) : undefined
    encodeIndex({ title: options.title, entries: [] }) // checks the title before anything is kept
    const followed = await this.own(secretKey, readKey)
    await this.sign(followed, { title: options.title, entries: [] })
    return describeChannel(followed)
  }

  /**
   * Adds entries to a channel owned here (an entry whose infohash is listed
   * already replaces it) and publishes the new version: pushed to peers at
   * once, put in the DHT in the background (see {@link Channels.republish}).
   * @param channel - its public key (hex) or link
   * @param entries - the shares to list (`time` defaults to now)
   * @returns the channel as published
   * @throws `CHANNEL_NOT_FOUND` for a channel not owned here; `CHANNEL_ENTRY_INVALID`;
   *   `CHANNEL_INDEX_TOO_LARGE` past 500 entries or 48 KiB; `CLOSED`
   */
  async publish(
    channel: string,
    entries: ReadonlyArray<Omit<ChannelEntry, 'time'> & { time?: number }>,
  ): Promise<ChannelInfo> {
    const followed = await this.owned(channel)
    await this.resolveOwned(followed)
    const now = Math.floor(this.wallNow() / 1000)
    const added = entries.map((entry) => checkEntry({ ...entry, time: entry.time ?? now }))
    const addedKeys = new Set(added.map((entry) => entry.infohash))
    const current = followed.feed.index
    const kept = (current?.entries ?? []).filter((entry) => !addedKeys.has(entry.infohash))
    await this.sign(followed, { title: current?.title ?? '', entries: [...added, ...kept] })
    return describeChannel(followed)
  }

  /**
   * Removes entries from a channel owned here and publishes the new version.
   * @param channel - its public key (hex) or link
   * @param infohashes - the shares to remove (hex)
   * @returns the channel as published
   * @throws `CHANNEL_NOT_FOUND`; `CHANNEL_ENTRY_INVALID` for an infohash it does not list; `CLOSED`
   */
  async unpublish(channel: string, infohashes: readonly string[]): Promise<ChannelInfo> {
    const followed = await this.owned(channel)
    await this.resolveOwned(followed)
    const current = followed.feed.index ?? { title: '', entries: [] }
    const removed = new Set(infohashes.map((infohash) => String(infohash).toLowerCase()))
    for (const infohash of removed) {
      if (!current.entries.some((entry) => entry.infohash === infohash)) {
        throw new NodeError('CHANNEL_ENTRY_INVALID', `the channel does not list ${infohash}`)
      }
    }
    await this.sign(followed, {
      title: current.title,
      entries: current.entries.filter((entry) => !removed.has(entry.infohash)),
    })
    return describeChannel(followed)
  }

  /** The channels owned here. */
  async list(): Promise<ChannelInfo[]> {
    await this.ready()
    return [...this.followed.values()].filter((f) => f.record.owned).map((f) => describeChannel(f))
  }

  /**
   * A channel this node owns or follows.
   * @param channel - public key (hex) or link
   * @returns it, or undefined
   */
  async get(channel: string): Promise<ChannelInfo | undefined> {
    await this.ready()
    const followed = this.followed.get(publicKeyHexOf(channel))
    return followed === undefined ? undefined : describeChannel(followed)
  }

  /**
   * Subscribes to a channel: resolves its latest version from the DHT and
   * from peers, follows its updates (pushed by gossip, polled in the DHT as
   * a fallback), republishes its signed item, and downloads new entries by
   * policy. Subscribing again changes the policy (and adds a read key).
   * @param link - `mycel://channel/<public key>[#<read key>]`
   * @param options - download policy (default none)
   * @returns the channel as known so far (updates come as events)
   * @throws `CHANNEL_LINK_MALFORMED`; `CHANNEL_LIMIT`; TypeError for a bad policy; `CLOSED`;
   *   `CHANNEL_UNREADABLE` for a read key that does not open the private channel's index held here
   */
  async subscribe(link: string, options: { policy?: DownloadPolicy } = {}): Promise<ChannelInfo> {
    const parsed = parseChannelLink(link)
    const policy = checkPolicy(options.policy)
    await this.ready()
    const publicKey = toHex(parsed.publicKey)
    const readKey = parsed.readKey === undefined ? undefined : toHex(parsed.readKey)
    let followed = this.followed.get(publicKey)
    if (followed === undefined) {
      this.checkRoom()
      followed = this.follow({ publicKey, owned: false, subscribed: true, policy, ...(readKey ? { readKey } : {}) })
    } else {
      // A read key given now opens the index held (CHANNEL_UNREADABLE, and nothing changed, if it does not).
      const gained = parsed.readKey !== undefined && followed.feed.readKey === undefined
      const index = gained ? followed.feed.useReadKey(parsed.readKey as Uint8Array) : undefined
      followed.record = {
        ...followed.record,
        subscribed: true,
        policy,
        ...(gained ? { readKey } : {}),
      }
      if (index !== undefined) followed.lastEntries = index.entries
    }
    await this.saveRecords()
    for (const peer of parsed.peers) void this.options.connect(`tcp://${peer}`).catch(() => {})
    return describeChannel(followed)
  }

  /**
   * Stops following a channel (a channel owned here is still kept).
   * @param channel - public key (hex) or link
   * @returns whether there was a subscription
   */
  async unsubscribe(channel: string): Promise<boolean> {
    await this.ready()
    const key = publicKeyHexOf(channel)
    const followed = this.followed.get(key)
    if (followed === undefined || !followed.record.subscribed) return false
    if (followed.record.owned) {
      followed.record = { ...followed.record, subscribed: false }
    } else {
      this.unfollow(followed)
      await this.store.deleteLatest(key)
    }
    await this.saveRecords()
    return true
  }

  /** The channels subscribed to. */
  async subscriptions(): Promise<ChannelInfo[]> {
    await this.ready()
    return [...this.followed.values()].filter((f) => f.record.subscribed).map((f) => describeChannel(f))
  }

  /**
   * The secret key of a channel owned here, as text to back up (and to
   * {@link Channels.importKey} elsewhere). Whoever holds it can publish.
   * @param channel - public key (hex) or link
   * @returns a JSON line with the secret key (and read key of a private channel)
   * @throws `CHANNEL_NOT_FOUND`
   */
  async exportKey(channel: string): Promise<string> {
    const followed = await this.owned(channel)
    const secret = await this.store.getSecret(followed.record.publicKey)
    if (secret === undefined) throw new NodeError('CHANNEL_NOT_FOUND', 'the secret key of this channel is missing')
    return formatExportedKey(followed.record.publicKey, secret, followed.record.readKey)
  }

  /**
   * Takes a channel's key from {@link Channels.exportKey}: this node owns
   * the channel then, and resolves its latest version (its entries) from
   * the DHT and peers before it publishes more.
   * @param text - the exported key
   * @returns the channel
   * @throws `CHANNEL_KEY_INVALID` for text that is not an exported key; `CHANNEL_LIMIT`
   */
  async importKey(text: string): Promise<ChannelInfo> {
    await this.ready()
    const { secretKey, readKey } = parseExportedKey(text, this.options.crypto)
    const publicKey = toHex(this.options.crypto.ed25519PublicKey(secretKey))
    const existing = this.followed.get(publicKey)
    if (existing?.record.owned === true) return describeChannel(existing)
    if (existing !== undefined) this.unfollow(existing)
    const followed = await this.own(secretKey, readKey, existing?.record)
    return describeChannel(followed)
  }

  /**
   * Puts a channel's latest signed item in the DHT now (it is also put
   * every 45 minutes by every node that follows it).
   * @param channel - public key (hex) or link
   * @returns how many DHT nodes stored it (0 without a DHT or a version)
   * @throws `CHANNEL_NOT_FOUND` for a channel not followed here
   */
  async republish(channel: string): Promise<number> {
    await this.ready()
    const followed = this.followed.get(publicKeyHexOf(channel))
    if (followed === undefined) throw new NodeError('CHANNEL_NOT_FOUND', `no channel ${channel} here`)
    return (await followed.keeper?.republish()) ?? 0
  }

  /**
   * Asks the DHT for a newer version of a channel now.
   * @param channel - public key (hex) or link
   * @returns whether a newer version was found and taken
   * @throws `CHANNEL_NOT_FOUND` for a channel not followed here
   */
  async poll(channel: string): Promise<boolean> {
    await this.ready()
    const followed = this.followed.get(publicKeyHexOf(channel))
    if (followed === undefined) throw new NodeError('CHANNEL_NOT_FOUND', `no channel ${channel} here`)
    return (await followed.keeper?.poll()) ?? false
  }

  /** @internal Loads the channels of the state store and starts following them. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(NodeError.closed('channels'))
    this.loading ??= this.load()
    return this.loading
  }

  /** Stops gossip, DHT schedules and timers (idempotent). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.stopGreetings()
    for (const followed of this.followed.values()) this.unfollow(followed)
  }

  private async load(): Promise<void> {
    for (const record of await this.store.list()) {
      if (this.followed.size >= CHANNEL_LIMITS.maxChannels) break
      if (record.owned && (await this.store.getSecret(record.publicKey)) === undefined) continue
      this.follow(record, await this.store.getLatest(record.publicKey))
    }
  }

  private async own(
    secretKey: Uint8Array,
    readKey: Uint8Array | undefined,
    previous?: ChannelRecord,
  ): Promise<Followed> {
    this.checkRoom()
    const publicKey = toHex(this.options.crypto.ed25519PublicKey(secretKey))
    await this.store.setSecret(publicKey, secretKey)
    const stored = previous === undefined ? undefined : await this.store.getLatest(publicKey)
    const followed = this.follow(
      {
        publicKey,
        owned: true,
        subscribed: previous?.subscribed ?? false,
        policy: previous?.policy ?? { type: 'none' },
        ...(readKey === undefined ? {} : { readKey: toHex(readKey) }),
      },
      stored,
    )
    await this.saveRecords()
    return followed
  }

  private checkRoom(): void {
    if (this.followed.size >= CHANNEL_LIMITS.maxChannels) {
      throw new NodeError('CHANNEL_LIMIT', `a node follows at most ${CHANNEL_LIMITS.maxChannels} channels`)
    }
  }

  /** Follows a channel: its feed (with the version stored, if any) on gossip, and its keeper in the DHT. */
  private follow(record: ChannelRecord, stored?: StoredVersion): Followed {
    const publicKey = keyOfHex(record.publicKey)
    const { crypto, clock, log, gossip } = this.options
    const topic = channelTopic(publicKey, crypto)
    const feed = new ChannelFeed(
      publicKey,
      topic,
      record.readKey === undefined ? undefined : keyOfHex(record.readKey),
      {
        crypto,
        clock,
        log,
        wallNow: this.wallNow,
        send: (peer, message) => gossip.sendTo(peer, topic, encodeChannelMessage(message)),
        penalise: (peer, reason) => this.options.score(peer, -CHANNEL_PENALTY, reason),
        fault: (peer, reason) => this.options.fault(peer, reason),
        accepted: (f, version, index, source) => this.accepted(f, version, index, source),
      },
    )
    const dht = this.options.dht
    const keeper =
      dht === undefined
        ? undefined
        : new DhtKeeper(feed, {
            dht,
            clock,
            log,
            timings: this.timings,
            port: () => this.options.port(),
            put: (seq, stored) => this.emit('republished', record.publicKey, seq, stored),
            connect: (addresses) => {
              for (const address of addresses) void this.options.connect(address).catch(() => {})
            },
          })
    const stopGossip = gossip.subscribe(topic, (payload, from) => feed.receive(payload, from))
    const followed: Followed = { record, feed, keeper, stopGossip }
    this.followed.set(record.publicKey, followed)
    if (stored !== undefined) feed.offer(stored, 'stored')
    for (const peer of gossip.peers) feed.greet(peer)
    keeper?.start()
    return followed
  }

  private unfollow(followed: Followed): void {
    followed.stopGossip()
    followed.feed.close()
    followed.keeper?.close()
    this.followed.delete(followed.record.publicKey)
  }

  private async owned(channel: string): Promise<Followed> {
    await this.ready()
    const followed = this.followed.get(publicKeyHexOf(channel))
    if (followed === undefined || !followed.record.owned) {
      throw new NodeError('CHANNEL_NOT_FOUND', `no channel ${String(channel).slice(0, 80)} is owned here`)
    }
    return followed
  }

  /**
   * A channel owned here with no version yet (a key just imported): asks
   * the DHT for its latest first, so that a publication continues its list
   * rather than starting a new one.
   */
  private async resolveOwned(followed: Followed): Promise<void> {
    if (followed.feed.latest === undefined) await followed.keeper?.poll()
  }

  /** Signs a version of an index and takes it as the latest (pushed to peers, then put in the DHT). */
  private async sign(followed: Followed, index: ChannelIndex): Promise<void> {
    const secretKey = await this.store.getSecret(followed.record.publicKey)
    if (secretKey === undefined) throw new NodeError('CHANNEL_NOT_FOUND', 'the secret key of this channel is missing')
    const { feed } = followed
    const plaintext = encodeIndex(index)
    const blob =
      feed.readKey === undefined
        ? plaintext
        : sealIndex(plaintext, feed.readKey, feed.publicKey, this.options.crypto, randomBytes)
    if (blob.length > CHANNEL_LIMITS.maxIndexBytes) {
      throw new NodeError(
        'CHANNEL_INDEX_TOO_LARGE',
        `the index would be ${blob.length} bytes, over ${CHANNEL_LIMITS.maxIndexBytes}: unpublish older entries`,
      )
    }
    const seq = Math.max((feed.latest?.seq ?? 0) + 1, Math.floor(this.wallNow()))
    const version = signVersion(
      { secretKey, publicKey: feed.publicKey, seq, index: blob, private: feed.readKey !== undefined },
      this.options.crypto,
    )
    feed.publishLocal(version, blob)
    void followed.keeper?.putUntilStored(0)
  }

  private accepted(
    feed: ChannelFeed,
    version: ChannelVersion,
    index: ChannelIndex | undefined,
    source: VersionSource,
  ): void {
    const followed = this.followed.get(feed.publicKeyHex)
    if (followed === undefined) return
    const previous = new Set((followed.lastEntries ?? []).map((entry) => entry.infohash))
    followed.lastEntries = index?.entries
    void this.store.setLatest(version, feed.latestIndex).catch((error) => {
      this.options.log.warn(`saving channel ${feed.publicKeyHex} failed: ${describeError(error)}`)
    })
    if (source === 'stored') return
    followed.keeper?.sawUpdate()
    const peer = typeof source === 'object' ? source : undefined
    this.emit('update', {
      publicKey: feed.publicKeyHex,
      seq: version.seq,
      title: index?.title,
      entries: index?.entries,
      source: peer !== undefined ? 'gossip' : source === 'dht' ? 'dht' : 'local',
      ...(peer === undefined ? {} : { peerId: peer.key }),
    })
    for (const entry of index?.entries ?? []) {
      if (previous.has(entry.infohash)) continue
      this.emit('entry-added', feed.publicKeyHex, entry)
      const { record } = followed
      if (record.subscribed && !record.owned && policyWants(record.policy, entry)) {
        try {
          this.options.download(entry, feed.publicKeyHex)
        } catch (error) {
          // (shared here already, or the node is closing): the entry stays listed, nothing more to do
          this.options.log.info(
            `did not download ${entry.infohash} of channel ${feed.publicKeyHex}: ${describeError(error)}`,
          )
        }
      }
    }
  }

  private async saveRecords(): Promise<void> {
    await this.store.save([...this.followed.values()].map((followed) => followed.record))
  }
}
