import { type BencodeInput, equalBytes } from '@mycel/wire'
import { assertBytes, assertInteger, assertSignal } from '@mycel/wire/assert'
import type { PeerAddress } from './address.js'
import { isExemptAddress, isSecureNodeId } from './bep42.js'
import { resolveBootstrap } from './bootstrap.js'
import { type Clock, sleep } from './clock.js'
import type { IpFamily, NodeContact } from './compact.js'
import { DhtError } from './errors.js'
import { ExternalAddressVotes } from './external-address.js'
import type { QueryContext } from './handlers/context.js'
import { dispatchQuery } from './handlers/dispatch.js'
import { ID_LENGTH, idToHex, randomNodeId } from './id.js'
import { ipFamily } from './ip.js'
import type { KrpcQuery } from './krpc/message.js'
import { RateWindow } from './krpc/rate-limit.js'
import { KrpcSocket, type QueryAnswer, type QueryOptions as SendOptions } from './krpc/rpc.js'
import type { DhtLimits } from './limits.js'
import { type LookupContext, type LookupEvent, type LookupSummary, runLookup } from './lookup/lookup.js'
import { Maintenance } from './maintenance.js'
import type { OperationContext } from './operations/context.js'
import {
  getImmutableItem,
  getMutableItem,
  type ImmutableItem,
  type MutableItem,
  type MutablePutInput,
  type PutResult,
  putImmutableItem,
  putMutableItem,
} from './operations/items.js'
import { announcePeer, lookupPeers } from './operations/peers.js'
import { readSampleAnswer } from './operations/sample.js'
import { OperationScope } from './operations/scope.js'
import type {
  AnnounceOptions,
  BootstrapResult,
  DhtNodeOptions,
  DhtStats,
  GetMutableOptions,
  OperationOptions,
  QueryOptions,
  SampleAnswer,
  SampleOptions,
} from './options.js'
import { Liveness } from './routing/liveness.js'
import { TableRefresher } from './routing/refresh.js'
import { type RoutingTableSnapshot, toSnapshot } from './routing/snapshot.js'
import { RoutingTable } from './routing/table.js'
import { type NodeSettings, readSettings } from './settings.js'
import type { DatagramSocket } from './socket.js'
import { ItemStore } from './storage/item-store.js'
import { PeerStore } from './storage/peer-store.js'
import { TOKEN_ROTATION_INTERVAL, TokenIssuer } from './storage/tokens.js'

/** How long a joining node waits before looking for its neighbours again, when it found fewer than k. */
const REJOIN_DELAY = 250

/** Bucket refreshes run in parallel while joining. */
const JOIN_CONCURRENCY = 4

/**
 * A Mainline DHT node (BEP 5, BEP 32, BEP 42, BEP 43, BEP 44, BEP 51) on a
 * {@link DatagramSocket}. It answers queries from the moment it is
 * created; {@link DhtNode.ready} joins the network through the bootstrap
 * nodes. Every operation takes an `AbortSignal`; {@link DhtNode.close} ends
 * them all, clears every timer and closes the socket.
 *
 * @example
 * ```ts
 * import { DhtNode } from '@mycel/dht'
 * import { bindUdpSocket } from '@mycel/dht/udp'
 *
 * const dht = new DhtNode({ socket: await bindUdpSocket({ port: 0 }), bootstrap: ['127.0.0.1:6881'] })
 * await dht.ready()
 * await dht.announce(discoveryKey, 7000)
 * for await (const peer of dht.lookup(discoveryKey)) console.log(peer.host, peer.port)
 * await dht.close()
 * ```
 */
export class DhtNode {
  /** Our 20-byte node id. */
  readonly id: Uint8Array
  /** The IP family this node's DHT runs on (that of its socket). */
  readonly family: IpFamily
  /** Bucket size and lookup width. */
  readonly k: number
  private readonly socket: DatagramSocket
  private readonly clock: Clock
  private readonly limits: DhtLimits
  private readonly settings: NodeSettings
  private readonly externalVotes: ExternalAddressVotes
  private readonly table: RoutingTable
  private readonly rpc: KrpcSocket
  private readonly liveness: Liveness
  private readonly tokens = new TokenIssuer()
  private readonly peers: PeerStore
  private readonly items: ItemStore
  private readonly maintenance: Maintenance
  private readonly refresher: TableRefresher
  private readonly scope = new OperationScope()
  private readonly queryContext: QueryContext
  private readonly lookupContext: LookupContext
  private readonly operationContext: OperationContext
  private readyPromise: Promise<void> | undefined
  private closePromise: Promise<void> | undefined

  /**
   * @param options - socket, bootstrap nodes and tuning
   * @throws {@link DhtError} `INVALID_ADDRESS` for a bad bootstrap entry,
   *   `INVALID_SNAPSHOT` for a routing table that is not a snapshot;
   *   TypeError / RangeError for bad options. The socket stays the caller's
   *   to close when the constructor throws.
   */
  constructor(options: DhtNodeOptions) {
    const settings = readSettings(options)
    this.settings = settings
    const { socket, clock, limits, family, id, k } = settings
    this.socket = socket
    this.clock = clock
    this.limits = limits
    this.family = family
    this.id = id
    this.k = k
    this.externalVotes = new ExternalAddressVotes(family)
    const now = clock.now()
    this.table = new RoutingTable({ id, k }, now)
    for (const node of settings.restoredNodes) if (this.admits(node)) this.table.restore(node, now)
    this.peers = new PeerStore(this.limits)
    this.items = new ItemStore(this.limits)
    this.rpc = new KrpcSocket({
      socket,
      clock: this.clock,
      limits: this.limits,
      timeout: settings.queryTimeout,
      readOnly: settings.readOnly,
      version: settings.clientVersion,
      log: settings.log,
      onQuery: (query, from) => this.answer(query, from),
      onAddressReport: (reported, by) => this.externalVotes.report(reported, by),
    })
    this.liveness = new Liveness(this.table, this.clock, this.limits.maxLivenessPings, (contact, retries) =>
      this.send(contact, 'ping', {}, { retries, expectedId: contact.id }),
    )
    this.queryContext = {
      id: this.id,
      family: this.family,
      limits: this.limits,
      k: this.k,
      tokens: this.tokens,
      peers: this.peers,
      items: this.items,
      signatureChecks: new RateWindow(this.limits.signatureChecksPerSecond),
      now: () => this.clock.now(),
      closest: (target, count) => this.table.closest(target, count ?? settings.nodesPerResponse),
    }
    this.lookupContext = {
      id: this.id,
      family: this.family,
      k: this.k,
      alpha: settings.alpha,
      stallTimeout: settings.stallTimeout,
      maxQueries: this.limits.maxQueriesPerLookup,
      maxCandidates: this.limits.maxLookupCandidates,
      clock: this.clock,
      seeds: (target) => this.table.closest(target, this.k),
      bootstrap: (signal) => resolveBootstrap(settings.bootstrap, this.socket, this.family, signal, settings.log),
      query: (to, method, args, expectedId, signal, onTransmit) =>
        this.send(to, method, args, {
          expectedId,
          signal,
          timeout: settings.lookupAttemptTimeout,
          retries: 1,
          onTransmit,
        }),
    }
    this.operationContext = {
      family: this.family,
      limits: this.limits,
      lookup: (request) => runLookup(this.lookupContext, request),
      localPeers: (key) => this.peers.get(key, this.clock.now(), this.limits.maxPeersPerResponse),
      localItem: (target) => this.items.get(target, this.clock.now()),
      store: (to, method, args, signal) => this.send(to, method, args, { retries: 1, expectedId: to.id, signal }),
    }
    this.maintenance = new Maintenance(this.clock)
    this.maintenance.schedule({ every: TOKEN_ROTATION_INTERVAL, run: () => this.tokens.rotate() })
    this.refresher = new TableRefresher({
      table: this.table,
      clock: this.clock,
      k: this.k,
      refreshInterval: settings.refreshInterval,
      canBootstrap: settings.bootstrap.length > 0,
      findNode: (target) => this.findNode(target).catch(() => undefined),
    })
    this.maintenance.schedule({
      every: 60_000,
      run: () => {
        const now = this.clock.now()
        this.peers.sweep(now)
        this.items.sweep(now)
        this.rpc.prune()
        if (!this.closed) this.refresher.tick()
      },
    })
  }

  /** The address of the socket (with the real port when it was bound to port 0). */
  get address(): PeerAddress {
    return this.socket.localAddress
  }

  /**
   * Our IP address as other nodes see it, from the `ip` field (BEP 42) of
   * their answers: the address at least two of them agree on, or undefined
   * before that. Saved in {@link DhtNode.snapshot}, so that the next start
   * takes a node id that follows BEP 42 for it.
   */
  get externalAddress(): string | undefined {
    return this.externalVotes.address
  }

  /**
   * Joins the network once: the first call runs {@link DhtNode.bootstrap}
   * and every call returns the same promise. A node with no bootstrap nodes
   * and no restored table is ready at once (it only serves).
   *
   * @returns resolves when the self-lookup has finished (whether or not anyone answered)
   * @throws {@link DhtError} `CLOSED` if the node is closed first
   *
   * @example
   * ```ts
   * await dht.ready()
   * ```
   */
  ready(): Promise<void> {
    this.readyPromise ??= this.bootstrap().then(() => undefined)
    return this.readyPromise
  }

  /**
   * Joins the network: finds the nodes closest to our own id through the
   * routing table and the bootstrap nodes (BEP 5 "upon inserting the first
   * node ... and when starting up"), then refreshes every bucket farther
   * away, as Kademlia's join does. Safe to call again, e.g. after a network
   * change.
   *
   * @param options - cancellation
   * @returns how many nodes answered and how many the table holds
   * @throws {@link DhtError} `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * const { nodes } = await dht.bootstrap({ signal: AbortSignal.timeout(30_000) })
   * ```
   */
  async bootstrap(options: OperationOptions = {}): Promise<BootstrapResult> {
    assertSignal(options.signal)
    return this.scope.run(options.signal, async (signal) => {
      let responded = 0
      let before = -1
      // Nodes that start together find a bootstrap node that does not know them
      // yet; while the table stays short of k and grows (or is still empty),
      // look again shortly.
      for (let attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0) {
          if (this.table.size >= this.k || (this.table.size <= before && this.table.size > 0)) break
          await sleep(this.clock, Math.min(this.settings.stallTimeout, REJOIN_DELAY), signal)
        }
        before = this.table.size
        responded += (await this.findNode(this.id, { signal })).responses
      }
      // Kademlia's join: refresh every bucket farther than our closest neighbours,
      // so that far buckets are filled now rather than after 15 minutes.
      const now = this.clock.now()
      const targets: Uint8Array[] = []
      for (let index = 0; index < this.table.bucketCount - 1; index++)
        targets.push(this.table.refreshTarget(index, now))
      // A few at a time: each lookup listens on `signal`, and dozens of listeners on one signal would leak-warn.
      const worker = async () => {
        for (let target = targets.pop(); target !== undefined; target = targets.pop()) {
          responded += (await this.findNode(target, { signal })).responses
        }
      }
      await Promise.all(Array.from({ length: JOIN_CONCURRENCY }, worker))
      return { responded, nodes: this.table.size }
    })
  }

  /**
   * Finds peers announced under `key` (an infohash or a discovery key): a
   * `get_peers` lookup that yields each peer once, as answers arrive.
   * Breaking out of the loop cancels the lookup.
   *
   * @param key - 20-byte key
   * @param options - cancellation
   * @returns an async iterable of peer addresses
   * @throws RangeError if `key` is not 20 bytes; the iteration throws {@link DhtError} `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * for await (const peer of dht.lookup(discoveryKey, { signal })) connect(peer.host, peer.port)
   * ```
   */
  lookup(key: Uint8Array, options: OperationOptions = {}): AsyncGenerator<PeerAddress, void, undefined> {
    assertBytes(key, 'key', ID_LENGTH)
    assertSignal(options.signal)
    return this.scope.iterate(options.signal, (signal) => lookupPeers(this.operationContext, key, signal))
  }

  /**
   * Runs an iterative lookup towards `target` and yields every event: each
   * answer (with its raw values), each failed query, and finally the k
   * closest nodes that answered with the lookup's cost. The building block
   * of the other operations, for callers that need more than they return.
   *
   * @param target - 20-byte id
   * @param options - which query to send, cancellation
   * @returns an async iterable of {@link LookupEvent}, ending with `done`
   * @throws RangeError if `target` is not 20 bytes; the iteration throws {@link DhtError} `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * for await (const event of dht.query(target, { method: 'get_peers' })) {
   *   if (event.type === 'done') console.log(event.closest.length, event.queries)
   * }
   * ```
   */
  query(target: Uint8Array, options: QueryOptions = {}): AsyncGenerator<LookupEvent, void, undefined> {
    assertBytes(target, 'target', ID_LENGTH)
    assertSignal(options.signal)
    const method = options.method ?? 'find_node'
    const args = method === 'get_peers' ? { info_hash: target } : { target }
    if (!['find_node', 'get_peers', 'get'].includes(method)) throw new RangeError(`unknown lookup method ${method}`)
    return this.scope.iterate(options.signal, (signal) =>
      runLookup(this.lookupContext, { target, method, args, signal }),
    )
  }

  /**
   * Finds the k nodes closest to `target` that answer (`find_node` lookup).
   *
   * @param target - 20-byte id
   * @param options - cancellation
   * @returns the closest nodes and the lookup's cost (queries, rounds)
   * @throws {@link DhtError} `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * const { closest, queries } = await dht.findNode(target)
   * ```
   */
  async findNode(target: Uint8Array, options: OperationOptions = {}): Promise<LookupSummary> {
    for await (const event of this.query(target, options)) if (event.type === 'done') return event
    throw DhtError.closed()
  }

  /**
   * Announces that a peer listens on `port` for `key`: a `get_peers` lookup,
   * then `announce_peer` to the k closest nodes with their tokens. Announces
   * expire after 30 minutes on storing nodes; announce again before.
   *
   * @param key - 20-byte key (infohash or discovery key)
   * @param port - the peer's port (with `impliedPort`, storing nodes use our UDP source port instead)
   * @param options - `impliedPort`, cancellation
   * @returns how many nodes stored the announce
   * @throws {@link DhtError} `ABORTED`, `CLOSED`; RangeError for a bad key or port
   *
   * @example
   * ```ts
   * const stored = await dht.announce(discoveryKey, 7000)
   * ```
   */
  async announce(key: Uint8Array, port: number, options: AnnounceOptions = {}): Promise<number> {
    assertBytes(key, 'key', ID_LENGTH)
    assertInteger(port, 'port', { min: 1, max: 65535 })
    assertSignal(options.signal)
    const impliedPort = options.impliedPort ?? false
    return this.scope.run(options.signal, (signal) =>
      announcePeer(this.operationContext, { key, port, impliedPort, signal }),
    )
  }

  /**
   * Stores an immutable BEP 44 item at the k nodes closest to its target
   * (SHA-1 of the bencoded value).
   *
   * @param value - any bencodable value, at most 1,000 bytes once bencoded
   * @param options - cancellation
   * @returns the target and how many nodes stored it
   * @throws {@link DhtError} `VALUE_TOO_LARGE`, `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * const { target, stored } = await dht.putImmutable('Hello World!')
   * ```
   */
  async putImmutable(value: BencodeInput, options: OperationOptions = {}): Promise<PutResult> {
    assertSignal(options.signal)
    return this.scope.run(options.signal, (signal) => putImmutableItem(this.operationContext, value, signal))
  }

  /**
   * Fetches an immutable item, checking that its SHA-1 is the target. Stops
   * at the first good answer.
   *
   * @param target - 20-byte target
   * @param options - cancellation
   * @returns the item, or undefined if no node had it
   * @throws {@link DhtError} `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * const item = await dht.getImmutable(target)
   * ```
   */
  async getImmutable(target: Uint8Array, options: OperationOptions = {}): Promise<ImmutableItem | undefined> {
    assertBytes(target, 'target', ID_LENGTH)
    assertSignal(options.signal)
    return this.scope.run(options.signal, (signal) => getImmutableItem(this.operationContext, target, signal))
  }

  /**
   * Stores a mutable BEP 44 item under SHA-1(public key || salt), signed
   * with the caller's Ed25519 secret key (or re-published with an existing
   * signature). Storing nodes keep only the highest `seq`; see the
   * `rejections` for nodes that refused (302: stale `seq`, 301: `cas`).
   *
   * @param input - value, `seq`, optional `salt` and `cas`, and `secretKey` (or `publicKey` + `signature`)
   * @param options - cancellation
   * @returns the target, how many nodes stored it, and the refusals
   * @throws {@link DhtError} `VALUE_TOO_LARGE`, `SALT_TOO_LARGE`, `INVALID_SIGNATURE`, `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * const { secretKey, publicKey } = createItemKeyPair()
   * await dht.putMutable({ secretKey, value: { name: 'my channel' }, seq: 1 })
   * const item = await dht.getMutable(publicKey)
   * ```
   */
  async putMutable(input: MutablePutInput, options: OperationOptions = {}): Promise<PutResult> {
    assertSignal(options.signal)
    return this.scope.run(options.signal, (signal) => putMutableItem(this.operationContext, input, signal))
  }

  /**
   * Fetches the mutable item with the highest `seq` published under
   * `publicKey` and `salt`, verifying every signature. Runs the whole lookup,
   * since a later node may hold a newer version. With `seq`, only an item
   * whose `seq` is greater is returned: every answer is checked here, as
   * most Mainline nodes ignore the `seq` of a `get` and send what they hold.
   *
   * @param publicKey - the publisher's 32-byte Ed25519 public key
   * @param options - `salt`, `seq` (the one the caller has: only a newer item is a result), cancellation
   * @returns the newest verified item (newer than `seq` when given), or undefined
   * @throws {@link DhtError} `ABORTED`, `CLOSED`; RangeError for a bad key or salt
   *
   * @example
   * ```ts
   * const item = await dht.getMutable(publicKey, { salt: new TextEncoder().encode('profile') })
   * ```
   */
  async getMutable(publicKey: Uint8Array, options: GetMutableOptions = {}): Promise<MutableItem | undefined> {
    assertBytes(publicKey, 'publicKey', 32)
    assertSignal(options.signal)
    return this.scope.run(options.signal, (signal) =>
      getMutableItem(this.operationContext, publicKey, { ...options, signal }),
    )
  }

  /**
   * Pings a node (with one retry); a node that answers is offered to the
   * routing table, so this also adds a known node by hand.
   *
   * @param address - an IP address and port
   * @param options - cancellation
   * @returns the node's id
   * @throws {@link DhtError} `TIMEOUT`, `ABORTED`, `CLOSED`; RangeError if the host is not an IP address of our family
   *
   * @example
   * ```ts
   * const id = await dht.ping({ host: '127.0.0.1', port: 6881 })
   * ```
   */
  async ping(address: PeerAddress, options: OperationOptions = {}): Promise<Uint8Array> {
    return (await this.askOne(address, 'ping', {}, options.signal)).id
  }

  /**
   * Asks one node for a sample of the keys it stores peers for (BEP 51
   * `sample_infohashes`), with its closest nodes to `target` so that a
   * crawler can go on to others. A node that does not implement BEP 51
   * rejects with `REMOTE_ERROR` 204.
   *
   * @param address - the node to ask (of this node's IP family)
   * @param options - `target` for the nodes of the answer (default random), abort signal
   * @returns the node's sample, key count, interval and nodes
   * @throws {@link DhtError} `TIMEOUT`, `REMOTE_ERROR`, `INVALID_RESPONSE`, `ABORTED`, `CLOSED`
   *
   * @example
   * ```ts
   * const { samples, interval, nodes } = await dht.sampleInfohashes({ host: '127.0.0.1', port: 6881 })
   * ```
   */
  async sampleInfohashes(address: PeerAddress, options: SampleOptions = {}): Promise<SampleAnswer> {
    const target = options.target ?? randomNodeId()
    assertBytes(target, 'options.target', ID_LENGTH)
    return readSampleAnswer(await this.askOne(address, 'sample_infohashes', { target }, options.signal), this.family)
  }

  /**
   * The routing table as plain data, to save (e.g. as JSON) and pass back as
   * `routingTable` on the next start.
   *
   * @returns the snapshot
   *
   * @example
   * ```ts
   * await writeFile('dht.json', JSON.stringify(dht.snapshot()))
   * ```
   */
  snapshot(): RoutingTableSnapshot {
    return toSnapshot(this.id, this.table.entries(), this.externalAddress)
  }

  /**
   * Counters for a status display: routing table, storage, queries, drops.
   *
   * @returns a fresh object
   *
   * @example
   * ```ts
   * const { routingTable, dropped } = dht.stats()
   * ```
   */
  stats(): DhtStats {
    const counters = this.rpc.counters
    return {
      id: idToHex(this.id),
      address: this.address,
      externalAddress: this.externalAddress,
      routingTable: this.table.counts(this.clock.now()),
      storage: { peerKeys: this.peers.keyCount, peers: this.peers.peerCount, items: this.items.size },
      queries: {
        inFlight: this.rpc.inFlight,
        sent: counters.queriesSent,
        received: counters.queriesReceived,
        responses: counters.responsesReceived,
        errors: counters.errorsReceived,
        timeouts: counters.timeouts,
      },
      dropped: { ...counters.dropped },
    }
  }

  /**
   * Ends every operation (they reject with `CLOSED`), clears every timer and
   * closes the socket. Idempotent: every call returns the same promise.
   *
   * @returns resolves when the socket is closed
   *
   * @example
   * ```ts
   * await dht.close()
   * ```
   */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.maintenance.stop()
      this.scope.close()
      this.rpc.close()
      await this.refresher.settled()
      await this.socket.close()
    })()
    return this.closePromise
  }

  private get closed(): boolean {
    return this.closePromise !== undefined
  }

  /** One query to a node the caller names (checked to be of our family), as an operation of this node. */
  private askOne(
    address: PeerAddress,
    method: string,
    args: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<QueryAnswer> {
    assertInteger(address?.port, 'address.port', { min: 1, max: 65535 })
    if (ipFamily(address.host) !== this.family)
      throw new RangeError(`address.host must be an IPv${this.family} address`)
    assertSignal(signal)
    return this.scope.run(signal, (inner) => this.send(address, method, args, { retries: 1, signal: inner }))
  }

  /** Sends one query and tells the routing table how it went. */
  private async send(
    to: PeerAddress,
    method: string,
    args: Record<string, unknown>,
    options: SendOptions & { expectedId?: Uint8Array },
  ): Promise<QueryAnswer> {
    const { expectedId } = options
    try {
      const answer = await this.rpc.query(to, method, { ...args, id: this.id }, options)
      if (expectedId !== undefined && !equalBytes(expectedId, answer.id)) this.liveness.timedOut(expectedId)
      const contact = { id: answer.id, host: to.host, port: to.port }
      if (this.admits(contact)) this.liveness.responded(contact)
      return answer
    } catch (err) {
      if (expectedId !== undefined && err instanceof DhtError && err.code === 'TIMEOUT')
        this.liveness.timedOut(expectedId)
      throw err
    }
  }

  /** Answers an incoming query and lets the routing table learn of its sender. */
  private answer(query: KrpcQuery, from: PeerAddress) {
    const reply = dispatchQuery(this.queryContext, query, from)
    const id = query.args.id
    if (!query.readOnly && id instanceof Uint8Array && id.length === ID_LENGTH) {
      const contact = { id: id.slice(), host: from.host, port: from.port }
      if (this.admits(contact)) this.liveness.queried(contact)
    }
    return reply
  }

  /** Whether the routing table may hold a node: with `enforceNodeIds`, its id must follow BEP 42 for its address. */
  private admits(contact: NodeContact): boolean {
    return !this.settings.enforceNodeIds || isExemptAddress(contact.host) || isSecureNodeId(contact.id, contact.host)
  }
}
