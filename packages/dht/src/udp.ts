/**
 * The Node.js UDP socket for a DHT node (`node:dgram`), and a shortcut that
 * binds one and starts a node on it.
 *
 * @example
 * ```ts
 * import { createUdpDhtNode } from '@mycel/dht/udp'
 *
 * const dht = await createUdpDhtNode({ host: '0.0.0.0', port: 6881, bootstrap: ['192.0.2.1:6881'] })
 * await dht.ready()
 * ```
 *
 * @packageDocumentation
 */
import { DhtNode } from './dht-node.js'
import { bindUdpSocket, type UdpSocketOptions } from './node/udp-socket.js'
import type { DhtNodeOptions } from './options.js'

export { bindUdpSocket, UdpSocket, type UdpSocketOptions } from './node/udp-socket.js'

/** Options of {@link createUdpDhtNode}: where to bind, and every node option but the socket. */
export type UdpDhtNodeOptions = Omit<DhtNodeOptions, 'socket'> & Omit<UdpSocketOptions, 'signal'>

/**
 * Binds a UDP socket and creates a {@link DhtNode} on it; closing the node
 * closes the socket.
 *
 * @param options - bind address and node options
 * @returns the node (call `ready()` to join the network)
 * @throws `DhtError` `SOCKET_ERROR` if binding fails, `INVALID_ADDRESS` for a bad bootstrap entry
 *
 * @example
 * ```ts
 * const local = await createUdpDhtNode({ host: '127.0.0.1', port: 0 }) // serves only: a bootstrap node
 * const other = await createUdpDhtNode({ host: '127.0.0.1', bootstrap: [`127.0.0.1:${local.address.port}`] })
 * ```
 */
export async function createUdpDhtNode(options: UdpDhtNodeOptions = {}): Promise<DhtNode> {
  const { host, port, type, ...nodeOptions } = options
  const socket = await bindUdpSocket({ host, port, type })
  try {
    return new DhtNode({ ...nodeOptions, socket })
  } catch (err) {
    await socket.close()
    throw err
  }
}
