import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { HttpReply } from '../http-server.js'
import type { DaemonShares } from '../shares.js'
import { type TransmissionContext, transmissionMethods } from './methods.js'
import { TorrentIds } from './torrent-ids.js'

/** The header of Transmission's CSRF handshake. */
export const SESSION_ID_HEADER = 'x-transmission-session-id'

/** What a Transmission request is: `{ method, arguments, tag }`. */
interface TransmissionRequest {
  method: string
  arguments?: Record<string, unknown>
  tag?: number
}

function json(status: number, value: unknown, sessionId: string): HttpReply {
  return {
    status,
    headers: { 'content-type': 'application/json', [SESSION_ID_HEADER]: sessionId },
    body: JSON.stringify(value),
  }
}

/**
 * The Transmission RPC of the daemon (the subset `transmission-remote` and
 * the common front-ends use; docs/daemon.md lists it). A request without
 * the session id of this run is answered 409 with the id in
 * `X-Transmission-Session-Id`, as Transmission does, so that a page of
 * another site cannot post to it blindly; a client repeats its request with
 * the id.
 */
export class TransmissionRpc {
  /** The session id of this run. */
  readonly sessionId = randomBytes(24).toString('base64url')
  private readonly context: TransmissionContext

  /**
   * @param shares - the daemon's shares
   * @param session - what `session-get` tells
   */
  constructor(shares: DaemonShares, session: TransmissionContext['session']) {
    this.context = { shares, ids: new TorrentIds(), verifyErrors: new Map(), session }
  }

  /** Answers one HTTP request whose credential and origin were checked. */
  readonly handle = async (request: IncomingMessage, body: string): Promise<HttpReply> => {
    if (request.headers[SESSION_ID_HEADER] !== this.sessionId) {
      return {
        status: 409,
        headers: { 'content-type': 'text/html', [SESSION_ID_HEADER]: this.sessionId },
        body: `<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p><p><code>X-Transmission-Session-Id: ${this.sessionId}</code></p>`,
      }
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return json(400, { result: 'the request is not JSON' }, this.sessionId)
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as TransmissionRequest).method !== 'string') {
      return json(400, { result: 'a request is {"method": ..., "arguments": {...}}' }, this.sessionId)
    }
    const { method, arguments: args = {}, tag } = parsed as TransmissionRequest
    const answer = (result: string, value: Record<string, unknown> = {}) =>
      json(200, { result, arguments: value, ...(typeof tag === 'number' ? { tag } : {}) }, this.sessionId)
    const methods = transmissionMethods(this.context)
    const handler = Object.hasOwn(methods, method) ? methods[method] : undefined
    if (handler === undefined) return answer('method name not recognized')
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return answer('arguments must be an object')
    try {
      return answer('success', await handler(args))
    } catch (error) {
      return answer(this.context.shares.explain(error).message)
    }
  }
}
