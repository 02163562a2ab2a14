/**
 * The TCP transport (`node:net`) for `tcp://host:port` addresses. Node only.
 *
 * @example
 * ```ts
 * import { tcpTransport } from '@mycel/transport/tcp'
 *
 * const tcp = tcpTransport()
 * const listener = await tcp.listen('tcp://127.0.0.1:0')
 * console.log(listener.addresses[0]) // tcp://127.0.0.1:41234
 * ```
 *
 * @packageDocumentation
 */
export { type TcpTransportOptions, tcpTransport } from './node/tcp.js'
