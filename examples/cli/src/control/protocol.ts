/**
 * The control channel between a running `mycel share`/`mycel get` process
 * and the short commands (`ls`, `status`, `peers`, ...) run beside it: a
 * Unix domain socket `control.sock` in the data folder, one JSON object per
 * line each way. It is internal to the CLI (docs/cli.md describes it); its
 * methods are the same handlers as the daemon's JSON-RPC methods of the
 * same names (control/handlers.ts).
 */

import type { ChannelOperation } from './channel-handlers.js'

/** The socket's file name inside the data folder. */
export const CONTROL_SOCKET_NAME = 'control.sock'

/** Version of this protocol, in `hello`. */
export const CONTROL_PROTOCOL_VERSION = 1

/** Longest request line the server reads. */
export const MAX_REQUEST_BYTES = 64 * 1024

/** Longest response line the client reads (a manifest of many files is large). */
export const MAX_RESPONSE_BYTES = 128 * 1024 * 1024

/** Connections the server serves at once. */
export const MAX_CONTROL_CONNECTIONS = 16

/** The methods, with their parameters. */
export interface ControlParams {
  hello: Record<string, never>
  status: Record<string, never>
  peers: Record<string, never>
  list: Record<string, never>
  search: { text: string; limit?: number }
  manifest: { infohash: string }
  announce: { infohash: string }
  /** A channel command's operation (see `channel-handlers.ts`). */
  channel: ChannelOperation
  /** Stops and forgets a share (a daemon does; a `share`/`get` process refuses with `DATA_DIR_BUSY`). */
  remove: { infohash: string }
}

/** A method name. */
export type ControlMethod = keyof ControlParams

/** The names, for checking a request. */
export const CONTROL_METHODS: readonly ControlMethod[] = [
  'hello',
  'status',
  'peers',
  'list',
  'search',
  'manifest',
  'announce',
  'channel',
  'remove',
]

/** A request line. */
export interface ControlRequest {
  id: number
  method: string
  params?: Record<string, unknown>
}

/** An error as it travels: the code and words of a `CliError`. */
export interface ControlError {
  code: string
  message: string
  hint: string
}

/** A response line: `result` or `error`, with the request's `id`. */
export type ControlResponse = { id: number; result: unknown } | { id: number | null; error: ControlError }

/** What `hello` answers. */
export interface HelloResult {
  protocol: number
  pid: number
  agent: string
}
