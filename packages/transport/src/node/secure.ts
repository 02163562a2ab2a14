import type { Identity } from '../identity.js'
import type { SecureConnection } from '../secure/connection.js'
import { type SecureOptions, secure as secureWith } from '../secure/secure.js'
import type { ByteStream } from '../stream.js'
import { nodeCrypto } from './crypto.js'

/**
 * `secure()` of `@mycel/transport` with `crypto` defaulting to
 * {@link nodeCrypto}. In Node the core `secure()` already picks the same
 * provider at run time; this one states it. Everything else is identical.
 *
 * @param stream - a fresh stream from a transport
 * @param identity - our identity
 * @param options - as for the core `secure()`
 * @returns the secure connection
 * @throws `TransportError` as the core `secure()`
 *
 * @example
 * ```ts
 * import { loadOrCreateIdentity, secure } from '@mycel/transport/node'
 * import { tcpTransport } from '@mycel/transport/tcp'
 *
 * const identity = await loadOrCreateIdentity('identity.json')
 * const stream = await tcpTransport().dial('tcp://127.0.0.1:4001')
 * const conn = await secure(stream, identity, { initiator: true })
 * ```
 */
export function secure(stream: ByteStream, identity: Identity, options: SecureOptions): Promise<SecureConnection> {
  return secureWith(stream, identity, { ...options, crypto: options?.crypto ?? nodeCrypto })
}
