import { AGENT } from '@mycel/node'
import { encodeMetadata } from '@mycel/pieces'
import type { NodeAccess } from '../access/access.js'
import { CliError } from '../errors.js'
import { CONTROL_PROTOCOL_VERSION, type ControlMethod, type HelloResult } from './protocol.js'
import type { ControlHandler } from './server.js'

function text(params: Record<string, unknown>, name: string): string {
  const value = params[name]
  if (typeof value !== 'string' || value.length > 1000) throw CliError.usage(`${name} must be a string`)
  return value
}

function infohash(params: Record<string, unknown>): string {
  const value = text(params, 'infohash').toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(value)) throw CliError.usage('infohash must be 64 hex digits')
  return value
}

function limit(params: Record<string, unknown>): number | undefined {
  const value = params.limit
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw CliError.usage('limit must be a positive integer')
  return value as number
}

/**
 * The control methods of a running process, answered from its node.
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
    search: (params) => access.search(text(params, 'text'), limit(params)),
    manifest: async (params) => {
      const manifest = await access.manifest(infohash(params))
      return manifest === undefined ? null : { metadata: Buffer.from(encodeMetadata(manifest)).toString('base64') }
    },
    announce: async (params) => ({ nodes: await access.announce(infohash(params)) }),
  }
}
