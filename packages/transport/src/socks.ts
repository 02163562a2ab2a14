/**
 * The SOCKS5 transport (RFC 1928, username/password of RFC 1929) for
 * `tcp://host:port` addresses: every dial goes through the proxy, host
 * names (`.onion` ones too) are resolved by the proxy, never here. Node only.
 *
 * @example
 * ```ts
 * import { socksTransport } from '@mycel/transport/socks'
 *
 * const tor = socksTransport({ proxy: 'socks5://127.0.0.1:9050' })
 * const stream = await tor.dial('tcp://example.org:4001')
 * ```
 *
 * @packageDocumentation
 */
export {
  DEFAULT_SOCKS_TIMEOUT_MS,
  type SocksConnection,
  type SocksConnectOptions,
  socksConnect,
} from './node/socks-connect.js'
export { type ProxiedFetch, type SocksFetchOptions, socksFetch } from './node/socks-fetch.js'
export { type SocksTransportOptions, socksTransport } from './node/socks-transport.js'
export { SOCKS_REPLY_MEANINGS } from './socks/messages.js'
export {
  DEFAULT_SOCKS_PORT,
  describeProxy,
  MAX_SOCKS_CREDENTIAL_BYTES,
  parseProxyUrl,
  type SocksProxy,
} from './socks/proxy-url.js'
