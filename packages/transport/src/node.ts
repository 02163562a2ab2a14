/**
 * The Node side of `@mycel/transport`: the `node:crypto` provider, a
 * `secure()` that uses it by default, and identity files. Node users get the
 * fast provider without effort by importing `secure` from here.
 *
 * @example
 * ```ts
 * import { loadOrCreateIdentity, secure } from '@mycel/transport/node'
 * import { tcpTransport } from '@mycel/transport/tcp'
 *
 * const identity = await loadOrCreateIdentity('/var/lib/mycel/identity.json')
 * const tcp = tcpTransport()
 * const conn = await secure(await tcp.dial('tcp://127.0.0.1:4001'), identity, { initiator: true })
 * ```
 *
 * @packageDocumentation
 */
export { nodeCrypto } from './node/crypto.js'
export {
  IDENTITY_FILE_TYPE,
  type LoadIdentityOptions,
  loadIdentity,
  loadOrCreateIdentity,
  saveIdentity,
} from './node/identity-file.js'
export { secure } from './node/secure.js'
