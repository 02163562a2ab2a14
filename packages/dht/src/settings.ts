/**
 * The options of a `DhtNode` checked and completed with their defaults, in
 * one place, so the node's constructor only wires parts together.
 * @internal
 * @module
 */

import { assertBytes, integerOption } from '@mycel/wire/assert'
import { type ComponentLogger, componentLogger } from '@mycel/wire/log'
import { type PeerAddress, parseHostPort } from './address.js'
import { type Clock, systemClock } from './clock.js'
import type { IpFamily, NodeContact } from './compact.js'
import { ID_LENGTH } from './id.js'
import { ipFamily } from './ip.js'
import { type DhtLimits, resolveLimits } from './limits.js'
import type { DhtNodeOptions } from './options.js'
import { fromSnapshot, idOnRestart } from './routing/snapshot.js'
import type { DatagramSocket } from './socket.js'

/** Every setting of a node, defaults applied. @internal */
export interface NodeSettings {
  readonly socket: DatagramSocket
  readonly family: IpFamily
  readonly id: Uint8Array
  readonly clock: Clock
  readonly limits: DhtLimits
  readonly k: number
  readonly alpha: number
  readonly nodesPerResponse: number
  /** Milliseconds per query attempt. */
  readonly queryTimeout: number
  /** Milliseconds per lookup attempt: half the timeout, sent twice (a lost datagram costs a lookup 1 s, a dead node no more). */
  readonly lookupAttemptTimeout: number
  readonly stallTimeout: number
  readonly refreshInterval: number
  readonly readOnly: boolean
  readonly clientVersion: Uint8Array | undefined
  readonly enforceNodeIds: boolean
  readonly bootstrap: readonly PeerAddress[]
  /** Nodes of a restored routing table, of the socket's family. */
  readonly restoredNodes: readonly NodeContact[]
  /** The `mycel:dht` logger (silent by default). */
  readonly log: ComponentLogger
}

/**
 * Checks a node's options and fills in the defaults.
 * @throws TypeError / RangeError for bad options; {@link DhtError} `INVALID_ADDRESS`
 *   for a bad bootstrap entry, `INVALID_SNAPSHOT` for a bad routing table
 * @internal
 */
export function readSettings(options: DhtNodeOptions): NodeSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  const { socket } = options
  if (typeof socket?.send !== 'function' || typeof socket.onDatagram !== 'function') {
    throw new TypeError('options.socket must be a DatagramSocket')
  }
  const k = integerOption(options.k, 'k', { min: 1, max: 64, fallback: 8 })
  const queryTimeout = integerOption(options.queryTimeout, 'queryTimeout', { min: 1, fallback: 2000 })
  if (options.clientVersion !== undefined && !(options.clientVersion instanceof Uint8Array)) {
    throw new TypeError('clientVersion must be a Uint8Array')
  }
  if (options.id !== undefined) assertBytes(options.id, 'id', ID_LENGTH)
  const family = ipFamily(socket.localAddress.host) === 6 ? 6 : 4
  const restored = options.routingTable === undefined ? undefined : fromSnapshot(options.routingTable)
  return {
    socket,
    family,
    id: (options.id ?? idOnRestart(restored)).slice(),
    clock: options.clock ?? systemClock,
    limits: resolveLimits(options.limits),
    k,
    alpha: integerOption(options.alpha, 'alpha', { min: 1, max: 32, fallback: 3 }),
    nodesPerResponse: integerOption(options.nodesPerResponse, 'nodesPerResponse', { min: 1, max: 32, fallback: 2 * k }),
    queryTimeout,
    lookupAttemptTimeout: Math.max(1, Math.ceil(queryTimeout / 2)),
    stallTimeout: integerOption(options.stallTimeout, 'stallTimeout', {
      min: 1,
      fallback: Math.min(1000, queryTimeout),
    }),
    refreshInterval: integerOption(options.refreshInterval, 'refreshInterval', { fallback: 15 * 60_000 }),
    readOnly: options.readOnly ?? false,
    clientVersion: options.clientVersion,
    enforceNodeIds: options.enforceNodeIds ?? false,
    bootstrap: (options.bootstrap ?? []).map(parseHostPort),
    restoredNodes: (restored?.nodes ?? []).filter((node) => ipFamily(node.host) === family),
    log: componentLogger(options.logger, 'mycel:dht'),
  }
}
