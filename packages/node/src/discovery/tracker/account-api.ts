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
    const url = `${this.base}/api/v1${path}`
    const link = linkSignals([signal], {
      timeoutMs: this.timeoutMs,
      timeoutReason: () => new NodeError('TRACKER_TIMEOUT', `${url} did not answer within ${this.timeoutMs} ms`),
    })
    try {
      const response = await this.fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: link.signal,
      })
      const text = await readText(response, url)
      let json: Record<string, unknown> = {}
      try {
        const parsed: unknown = text === '' ? {} : JSON.parse(text)
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
          json = parsed as Record<string, unknown>
      } catch {
        throw new NodeError('TRACKER_INVALID_RESPONSE', `${url} answered something that is not JSON`)
      }
      if (response.ok) return json
      const error = (json.error ?? {}) as { code?: unknown; message?: unknown }
      const code = typeof error.code === 'string' ? error.code.slice(0, 64) : `HTTP ${response.status}`
      const message = typeof error.message === 'string' ? error.message.slice(0, 300) : response.statusText
      if (response.status >= 500 || response.status === 429) {
        throw new NodeError('TRACKER_UNREACHABLE', `${url}: ${message} (${code})`)
      }
      throw new NodeError('TRACKER_ACCOUNT_REFUSED', `${url} refused: ${message} (${code})`)
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
}

function base64(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return btoa(text)
}

/** Reads an answer's body as text, refusing one over {@link MAX_ACCOUNT_ANSWER_BYTES}. */
async function readText(response: Response, url: string): Promise<string> {
  const tooLarge = () =>
    new NodeError('TRACKER_INVALID_RESPONSE', `${url} answered more than ${MAX_ACCOUNT_ANSWER_BYTES} bytes`)
  if (Number(response.headers.get('content-length') ?? 0) > MAX_ACCOUNT_ANSWER_BYTES) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  const reader = response.body?.getReader()
  if (reader === undefined) return ''
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > MAX_ACCOUNT_ANSWER_BYTES) throw tooLarge()
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
  return new TextDecoder().decode(body)
}
