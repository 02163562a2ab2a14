import { AGENT } from '@mycel/node'
import { encodeMetadata } from '@mycel/pieces'
import type { NodeAccess } from '../access/access.js'
import { infohash, optionalPositiveInteger, text } from '../daemon/params.js'
import { CONTROL_PROTOCOL_VERSION, type ControlMethod, type HelloResult } from './protocol.js'
import type { ControlHandler } from './server.js'

/**
 * The methods of a running node that the short commands use, answered from
 * its {@link NodeAccess}. The one set of handlers of both transports: the
 * control socket serves exactly these, and the daemon's JSON-RPC serves them
 * under the same names beside its own (docs/daemon.md).
 *
 * @param access - the node of this process
 * @returns one handler per method
 */
export function controlHandlers(access: NodeAccess): Record<Exclude<ControlMethod, 'channel'>, ControlHandler> {
  return {
    hello: async (): Promise<HelloResult> => ({ protocol: CONTROL_PROTOCOL_VERSION, pid: process.pid, agent: AGENT }),
    status: () => access.status(),
    peers: () => access.peers(),
    list: () => access.list(),
    search: (params) => access.search(text(params, 'text'), optionalPositiveInteger(params, 'limit')),
    manifest: async (params) => {
      const manifest = await access.manifest(infohash(params))
      return manifest === undefined ? null : { metadata: Buffer.from(encodeMetadata(manifest)).toString('base64') }
    },
    announce: async (params) => ({ nodes: await access.announce(infohash(params)) }),
    remove: async (params) => {
      await access.remove(infohash(params))
      return null
    },
  }
}
