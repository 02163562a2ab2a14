/**
 * A Kademlia DHT that speaks Mainline KRPC: BEP 5 (`ping`, `find_node`,
 * `get_peers`, `announce_peer`), BEP 44 (immutable and mutable items), BEP 32
 * (IPv6), BEP 42 (node ids tied to addresses), BEP 43 (read-only nodes) and
 * BEP 51 (`sample_infohashes`). The node talks to a
 * {@link DatagramSocket}: `@mycel/dht/udp` binds a real UDP socket,
 * `@mycel/dht/testing` simulates thousands of nodes in one process.
 *
 * @example
 * ```ts
 * import { DhtNode } from '@mycel/dht'
 * import { bindUdpSocket } from '@mycel/dht/udp'
 *
 * const dht = new DhtNode({ socket: await bindUdpSocket({ port: 0 }), bootstrap: ['127.0.0.1:6881'] })
 * await dht.ready()
 * await dht.announce(discoveryKey, 7000)
 * for await (const peer of dht.lookup(discoveryKey, { signal: AbortSignal.timeout(20_000) })) {
 *   console.log(`${peer.host}:${peer.port}`)
 * }
 * await dht.close()
 * ```
 *
 * @packageDocumentation
 */
export { formatHostPort, type PeerAddress, parseHostPort } from './address.js'
export { isSecureNodeId, secureNodeId } from './bep42.js'
export {
  createItemKeyPair,
  immutableItemTarget,
  type MutableSignatureInput,
  mutableItemTarget,
  mutableSignatureData,
  PUBLIC_KEY_LENGTH,
  SECRET_KEY_LENGTH,
  type Seq,
  SIGNATURE_LENGTH,
  signMutableItem,
  verifyMutableItem,
} from './bep44/items.js'
export { type Clock, systemClock } from './clock.js'
export {
  compactNodeLength,
  compactPeerLength,
  decodeCompactNodes,
  decodeCompactPeer,
  encodeCompactNodes,
  encodeCompactPeer,
  type IpFamily,
  type NodeContact,
} from './compact.js'
export { DhtNode } from './dht-node.js'
export { DhtError, type DhtErrorCode } from './errors.js'
export { commonPrefixLength, compareDistance, ID_LENGTH, idFromHex, idToHex, randomNodeId } from './id.js'
export {
  decodeKrpc,
  encodeKrpc,
  KRPC_ERROR,
  type KrpcErrorMessage,
  type KrpcMessage,
  type KrpcMessageInput,
  type KrpcQuery,
  type KrpcResponse,
} from './krpc/message.js'
export { DROP_REASONS, type DropReason } from './krpc/rpc.js'
export { DEFAULT_LIMITS, type DhtLimits, MAX_ITEM_VALUE_BYTES, MAX_SALT_BYTES } from './limits.js'
export type { ClosestNode, LookupEvent, LookupMethod, LookupSummary } from './lookup/lookup.js'
export type { StoreRejection, StoreResult } from './operations/context.js'
export type { ImmutableItem, MutableItem, MutablePutInput, PutResult } from './operations/items.js'
export type {
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
export { MAX_SNAPSHOT_NODES, type RoutingTableSnapshot } from './routing/snapshot.js'
export type { DatagramHandler, DatagramSocket } from './socket.js'
