/**
 * The daemon's HTTP API: file names in the data folder, paths, bounds and
 * the JSON-RPC 2.0 shapes. docs/daemon.md describes the methods and
 * notifications; docs/limits.md the bounds.
 */

/** The daemon's lock and address file in the data folder: `{ pid, url, startedAt }`. */
export const DAEMON_FILE_NAME = 'daemon.json'

/** The token file in the data folder (mode 0600): the credential of every request. */
export const TOKEN_FILE_NAME = 'daemon.token'

/** Default TCP port of the HTTP server (Transmission's is 9091; this one does not clash with it). */
export const DEFAULT_DAEMON_PORT = 9092

/** Where JSON-RPC requests are POSTed. */
export const RPC_PATH = '/rpc'

/** Where WebSocket clients connect for notifications. */
export const WS_PATH = '/ws'

/** Where Transmission RPC requests are POSTed (with or without a final slash). */
export const TRANSMISSION_PATH = '/transmission/rpc'

/** Path of the chunks of an upload (`POST /upload?id=&offset=`, see the `upload.*` methods). */
export const UPLOAD_PATH = '/upload'

/** Version of this API, in `hello`. */
export const DAEMON_API_VERSION = 1

/** Bounds of the HTTP server (docs/limits.md, section `mycel daemon`). */
export const DAEMON_LIMITS = {
  /**
   * Largest request body read: a base64 `.torrent` of up to 12 MiB fits (a larger one is added by its
   * path on the daemon's machine).
   */
  maxBodyBytes: 16 * 1024 * 1024,
  /** Requests in one JSON-RPC batch. */
  maxBatch: 32,
  /** WebSocket clients at once; the next is refused with HTTP 503. */
  maxWebSocketClients: 32,
  /** Bytes queued for one WebSocket client before it is dropped as too slow. */
  maxQueuedBytesPerClient: 1024 * 1024,
  /** Largest WebSocket message read from a client (a JSON-RPC request or batch). */
  maxWebSocketMessageBytes: 1024 * 1024,
  /** Requests of one WebSocket client answered at once; more are refused with a JSON-RPC error. */
  maxRequestsInFlightPerClient: 16,
  /** HTTP connections at once (WebSockets included). */
  maxConnections: 128,
  /** Longest a request may take to arrive (headers and body). */
  requestTimeoutMs: 30_000,
  /** Length of a `--password` for an address other than loopback. */
  minPasswordLength: 16,
} as const

/** JSON-RPC 2.0 error codes the daemon answers with. */
export const RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Every failure of a method: `error.data.code` holds the stable code of docs/cli.md. */
  methodFailed: -32000,
} as const

/** A JSON-RPC 2.0 request (a notification when it has no `id`). */
export interface RpcRequest {
  jsonrpc: '2.0'
  method: string
  params?: Record<string, unknown>
  id?: string | number | null
}

/** The `error` of a response: `data.code` is the stable code, `data.hint` what to do. */
export interface RpcError {
  code: number
  message: string
  data?: { code: string; hint: string }
}

/** A JSON-RPC 2.0 response. */
export type RpcResponse =
  | { jsonrpc: '2.0'; id: string | number | null; result: unknown }
  | { jsonrpc: '2.0'; id: string | number | null; error: RpcError }

/** Notifications sent over the WebSocket, with their params. */
export type NotificationName =
  | 'progress'
  | 'done'
  | 'error'
  | 'share.added'
  | 'share.removed'
  | 'share.changed'
  | 'peer.connected'
  | 'peer.disconnected'
  | 'channel.update'
  | 'channel.entry'
  | 'private.done'

/** What `daemon.json` holds. */
export interface DaemonFile {
  pid: number
  /** `http://host:port` of the HTTP server; empty while the daemon starts. */
  url: string
  startedAt: number
}
