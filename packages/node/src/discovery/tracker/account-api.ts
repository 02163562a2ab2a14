/**
 * The JSON API of a mycel-tracker with accounts (`/api/v1`, docs/tracker.md)
 * as the node uses it: handing in receipts (`POST /receipts`) and reporting
 * peers it banned (`POST /reports`), with the account's session token. One
 * request at a time per call, bounded in time and in the answer's size,
 * through the node's tracker `fetch` (the SOCKS one in proxy mode).
 * @module
 */

import { toHex } from '@mycel/wire'
import { linkSignals, abortError as signalAbortError } from '@mycel/wire/signal'
import { NodeError } from '../../errors.js'
import type { FetchFunction } from './settings.js'

/** An API request is given up after this long (the whole answer included). */
export const ACCOUNT_API_TIMEOUT_MS = 20_000
/** Largest API answer read, in bytes (256 receipt outcomes are a few KiB). */
export const MAX_ACCOUNT_ANSWER_BYTES = 64 * 1024

/** An account at a mycel-tracker, for the node's receipts and reports (`NodeOptions.trackerAccounts`). */
export interface TrackerAccountOptions {
  /** The tracker's JSON API, `http(s)://host[:port]` (mycel-tracker's `--api`, port 6970 by default). */
  readonly api: string
  /**
   * An announce URL of the same tracker (`http://host:6969/announce`). The
   * shares that list a tracker on this URL's origin (scheme, host, port),
   * in their own trackers or the node's, hand their receipts and reports to
   * this account; other shares never reach it.
   */
  readonly announce: string
  /**
   * The account's session token (`POST /api/v1/sessions`), or a function
   * asked before each request (so that a session renewed elsewhere is
   * used); undefined when there is none: requests wait for one.
   */
  readonly token: string | (() => string | undefined | Promise<string | undefined>)
  /**
   * Announce to this tracker's bare `/announce` URLs with signed announce
   * keys (`/<s1.key>/announce`, `@mycel/wire`'s `signAnnounceKey` with the
   * node's identity) instead of a passkey. The account must have bound the
   * node's peer key (`PUT /api/v1/me/peer-key`). Default false.
   */
  readonly signAnnounces?: boolean
}

/** What the tracker did with one receipt (`POST /api/v1/receipts`). */
export type ReceiptResult =
  | { readonly status: 'credited'; readonly increase: number }
  | { readonly status: 'unchanged' }
  | { readonly status: 'refused'; readonly reason: string }

/** Why a peer is reported. */
export type PeerReportReason = 'corrupt' | 'failed'

/**
 * Checks an account's options.
 * @returns the API base without a trailing slash
 * @throws TypeError for options that are not an account's
 */
export function checkTrackerAccount(account: TrackerAccountOptions): string {
  if (typeof account !== 'object' || account === null) throw new TypeError('a tracker account must be an object')
  const { api, announce, token } = account
  const url = (value: unknown, name: string): URL => {
    let parsed: URL | undefined
    try {
      parsed = typeof value === 'string' ? new URL(value) : undefined
    } catch {
      parsed = undefined
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new TypeError(`trackerAccounts: ${name} must be an http(s) URL`)
    }
    return parsed
  }
  const base = url(api, 'api')
  url(announce, 'announce')
  if (typeof token !== 'string' && typeof token !== 'function') {
    throw new TypeError('trackerAccounts: token must be a string or a function')
  }
  return `${base.protocol}//${base.host}`
}

/** The origin (scheme, host, port) of a URL, or undefined for one that is not a URL. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}`
  } catch {
    return undefined
  }
}

/**
 * The tracker's own code of a `TRACKER_ACCOUNT_REFUSED` (`SESSION_INVALID`,
 * `REQUEST_INVALID`, `NOT_FOUND`, ...), if the error is one.
 *
 * @param error - what a {@link TrackerAccountApi} call threw
 * @returns the code, or undefined
 */
export function accountApiCodeOf(error: unknown): string | undefined {
  if (!(error instanceof NodeError) || error.code !== 'TRACKER_ACCOUNT_REFUSED') return undefined
  const code = (error as { apiCode?: unknown }).apiCode
  return typeof code === 'string' ? code : undefined
}

/** One account's API. @internal */
export class TrackerAccountApi {
  /** The API base, `http(s)://host:port`. */
  readonly base: string
  /** The origin of the tracker's announce URLs. */
  readonly announceOrigin: string

  /**
   * @param account - where and who
   * @param fetch - how to reach it
   * @param timeoutMs - per request
   * @throws TypeError for bad options
   */
  constructor(
    readonly account: TrackerAccountOptions,
    private readonly fetch: FetchFunction,
    private readonly timeoutMs = ACCOUNT_API_TIMEOUT_MS,
  ) {
    this.base = checkTrackerAccount(account)
    this.announceOrigin = originOf(account.announce) as string
  }

  /**
   * Hands receipts in.
   *
   * @param receipts - signed receipts (177 bytes each), at most 256
   * @param signal - aborts the request
   * @returns one result per receipt, in order
   * @throws `NodeError` `TRACKER_ACCOUNT_REFUSED` (no session, or the tracker refused the request),
   *   `TRACKER_UNREACHABLE`, `TRACKER_TIMEOUT`, `TRACKER_INVALID_RESPONSE`, `ABORTED`
   */
  async postReceipts(receipts: readonly Uint8Array[], signal?: AbortSignal): Promise<ReceiptResult[]> {
    const answer = await this.call('/receipts', { receipts: receipts.map(base64) }, signal)
    const results = answer.results
    if (!Array.isArray(results) || results.length !== receipts.length) {
      throw new NodeError('TRACKER_INVALID_RESPONSE', `${this.base} answered receipts without one result each`)
    }
    return results as ReceiptResult[]
  }

  /**
   * Reports a peer.
   *
   * @param peerKey - its 32-byte Ed25519 key
   * @param share - the share's 32-byte v2 infohash
   * @param reason - `corrupt` (it sent data that failed verification) or `failed`
   * @param signal - aborts the request
   * @returns whether the report counted (`unchanged`: this account reported it for the share already)
   * @throws as {@link TrackerAccountApi.postReceipts}
   */
  async report(
    peerKey: Uint8Array,
    share: Uint8Array,
    reason: PeerReportReason,
    signal?: AbortSignal,
  ): Promise<'counted' | 'unchanged'> {
    const answer = await this.call('/reports', { peerKey: toHex(peerKey), share: toHex(share), reason }, signal)
    return answer.status === 'counted' ? 'counted' : 'unchanged'
  }

  private async call(path: string, body: unknown, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
    const token = typeof this.account.token === 'string' ? this.account.token : await this.account.token()
    if (token === undefined || token === '') {
      throw new NodeError('TRACKER_ACCOUNT_REFUSED', `no session at ${this.base}: log in to the tracker`)
    }
    const answer = await requestTrackerApi(
      this.base,
      'POST',
      path,
      { token, json: body },
      { fetch: this.fetch, timeoutMs: this.timeoutMs, ...(signal === undefined ? {} : { signal }) },
    )
    if (answer.status >= 200 && answer.status < 300) return answer.json
    const url = `${this.base}/api/v1${path}`
    const error = (answer.json.error ?? {}) as { code?: unknown; message?: unknown }
    const code = typeof error.code === 'string' ? error.code.slice(0, 64) : `HTTP ${answer.status}`
    const message = typeof error.message === 'string' ? error.message.slice(0, 300) : `HTTP ${answer.status}`
    if (answer.status >= 500 || answer.status === 429)
      throw new NodeError('TRACKER_UNREACHABLE', `${url}: ${message} (${code})`)
    const refused = new NodeError('TRACKER_ACCOUNT_REFUSED', `${url} refused: ${message} (${code})`)
    Object.defineProperty(refused, 'apiCode', { value: code, enumerable: true })
    throw refused
  }
}

/** A request to a tracker's JSON API (see {@link requestTrackerApi}). */
export interface TrackerApiRequest {
  /** The session token, sent as `Authorization: Bearer`. */
  readonly token?: string
  /** A JSON body. */
  readonly json?: unknown
  /** A raw body (an upload), when there is no `json`. */
  readonly body?: Uint8Array
  /** The raw body's type. Default `application/x-bittorrent`. */
  readonly type?: string
}

/** How {@link requestTrackerApi} reaches the API. */
export interface TrackerApiOptions {
  /** Default the global `fetch`. */
  readonly fetch?: FetchFunction
  /** The whole request, answer included. Default {@link ACCOUNT_API_TIMEOUT_MS}. */
  readonly timeoutMs?: number
  /** Largest answer read. Default {@link MAX_ACCOUNT_ANSWER_BYTES}. */
  readonly maxBytes?: number
  readonly signal?: AbortSignal
}

/** An answer of a tracker's JSON API, whatever its status. */
export interface TrackerApiAnswer {
  readonly status: number
  /** The JSON object of a JSON answer (`{ error: { code, message } }` for a refusal); `{}` otherwise. */
  readonly json: Record<string, unknown>
  /** The body as it came (a `.torrent`, ...). */
  readonly bytes: Uint8Array
}

/**
 * Calls a mycel-tracker's JSON API (`<base>/api/v1<path>`, docs/tracker.md):
 * the one client of it that the node, the CLI and the tests share. Every
 * status is answered (a refusal is for the caller to read); redirects are
 * refused, the answer is bounded in size and time.
 *
 * @param base - the API base, `http(s)://host:port`
 * @param method - the HTTP method
 * @param path - under `/api/v1`, e.g. `/me`
 * @param request - token and body
 * @param options - fetch, timeout, size bound, signal
 * @returns status, JSON and bytes
 * @throws `NodeError` `TRACKER_UNREACHABLE` (no answer), `TRACKER_TIMEOUT`, `TRACKER_INVALID_RESPONSE`
 *   (over the size bound, or JSON that cannot be read), `ABORTED`
 *
 * @example
 * ```ts
 * const { status, json } = await requestTrackerApi('http://tracker.example:6970', 'GET', '/me', { token })
 * ```
 */
export async function requestTrackerApi(
  base: string,
  method: string,
  path: string,
  request: TrackerApiRequest = {},
  options: TrackerApiOptions = {},
): Promise<TrackerApiAnswer> {
  const fetch = options.fetch ?? (globalThis.fetch as FetchFunction | undefined)
  if (fetch === undefined) throw new NodeError('TRACKER_UNSUPPORTED', 'no fetch to reach the tracker with')
  const timeoutMs = options.timeoutMs ?? ACCOUNT_API_TIMEOUT_MS
  const url = `${base}/api/v1${path}`
  const headers: Record<string, string> = {}
  if (request.token !== undefined) headers.Authorization = `Bearer ${request.token}`
  let body: string | Uint8Array | undefined
  if (request.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(request.json)
  } else if (request.body !== undefined) {
    headers['Content-Type'] = request.type ?? 'application/x-bittorrent'
    body = request.body
  }
  const link = linkSignals([options.signal], {
    timeoutMs,
    timeoutReason: () => new NodeError('TRACKER_TIMEOUT', `${url} did not answer within ${timeoutMs} ms`),
  })
  try {
    const response = await fetch(url, {
      method,
      headers,
      redirect: 'error',
      signal: link.signal,
      ...(body === undefined ? {} : { body: body as string }),
    })
    const bytes = await readBody(response, url, options.maxBytes ?? MAX_ACCOUNT_ANSWER_BYTES)
    let json: Record<string, unknown> = {}
    if ((response.headers.get('content-type') ?? '').startsWith('application/json') && bytes.length > 0) {
      let parsed: unknown
      try {
        parsed = JSON.parse(new TextDecoder().decode(bytes))
      } catch {
        throw new NodeError('TRACKER_INVALID_RESPONSE', `${url} answered JSON that cannot be read`)
      }
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        json = parsed as Record<string, unknown>
      }
    }
    return { status: response.status, json, bytes }
  } catch (error) {
    if (link.signal.aborted) throw signalAbortError(link.signal, NodeError)
    if (error instanceof NodeError) throw error
    throw new NodeError('TRACKER_UNREACHABLE', `${url}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  } finally {
    link.dispose()
  }
}

function base64(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return btoa(text)
}

/** Reads an answer's body, refusing one over `limit` bytes as soon as it is seen to be. */
async function readBody(response: Response, url: string, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new NodeError('TRACKER_INVALID_RESPONSE', `${url} answered more than ${limit} bytes`)
  if (Number(response.headers.get('content-length') ?? 0) > limit) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  const reader = response.body?.getReader()
  if (reader === undefined) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > limit) throw tooLarge()
      chunks.push(value)
    }
  } catch (error) {
    await reader.cancel().catch(() => {})
    throw error
  } finally {
    reader.releaseLock()
  }
  const body = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    body.set(chunk, at)
    at += chunk.byteLength
  }
  return body
}
