/**
 * HTTP(S) trackers (BEP 3 announce, BEP 48 scrape) over an injected
 * `fetch`: one request with its redirects followed by hand (at most
 * {@link MAX_REDIRECTS}, only to `http:` and `https:`), its body read up to
 * {@link TRACKER_LIMITS}.maxResponseBytes, the whole of it within a
 * timeout; the answer read by the codec of `@mycel/wire`.
 * @internal
 * @module
 */

import {
  type AnnounceReply,
  type AnnounceRequest,
  announceRequestUrl,
  decodeAnnounceResponse,
  decodeScrapeResponse,
  type ScrapeReply,
  scrapeRequestUrl,
  TRACKER_LIMITS,
  type TrackerFailure,
  WireError,
} from '@mycel/wire'
import { linkSignals, abortError as signalAbortError } from '@mycel/wire/signal'
import { NodeError } from '../../errors.js'
import { type FetchFunction, MAX_REDIRECTS } from './settings.js'

/** How one HTTP request is made. */
export interface HttpExchange {
  readonly fetch: FetchFunction
  /** The whole request, redirects and body included. */
  readonly timeoutMs: number
  readonly signal?: AbortSignal | undefined
}

/** What a tracker's refusal becomes. */
export function trackerFailure(url: string, failure: TrackerFailure | { reason: string }): NodeError {
  const error = new NodeError('TRACKER_FAILURE', `${url} refused: ${failure.reason}`)
  const retryIn = (failure as TrackerFailure).retryIn
  if (retryIn !== undefined) Object.defineProperty(error, 'retryIn', { value: retryIn, enumerable: true })
  return error
}

/** The BEP 31 `retry in` of a `TRACKER_FAILURE`, in minutes, or `'never'`, if the tracker gave one. */
export function retryInOf(error: unknown): number | 'never' | undefined {
  return (error as { retryIn?: number | 'never' } | undefined)?.retryIn
}

/**
 * Announces over HTTP.
 *
 * @param url - the tracker's announce URL
 * @param request - the announce
 * @param exchange - fetch, timeout, signal
 * @returns the tracker's answer
 * @throws `NodeError` `TRACKER_FAILURE` (its `failure reason`), `TRACKER_UNREACHABLE`, `TRACKER_TIMEOUT`,
 *   `TRACKER_INVALID_RESPONSE`, `ABORTED`, or the signal's reason when it is a `NodeError` (`CLOSED`)
 */
export async function httpAnnounce(
  url: string,
  request: AnnounceRequest,
  exchange: HttpExchange,
): Promise<AnnounceReply> {
  const body = await get(announceRequestUrl(url, request), url, exchange)
  const reply = read(url, () => decodeAnnounceResponse(body, { maxPeers: TRACKER_LIMITS.maxPeers }))
  if (reply.kind === 'failure') throw trackerFailure(url, reply)
  return reply
}

/**
 * Scrapes over HTTP (BEP 48).
 *
 * @param scrapeUrl - the scrape URL (`scrapeUrlOf` of the announce URL)
 * @param infohashes - 20 bytes each
 * @param exchange - fetch, timeout, signal
 * @returns the tracker's counts
 * @throws as {@link httpAnnounce}
 */
export async function httpScrape(
  scrapeUrl: string,
  infohashes: readonly Uint8Array[],
  exchange: HttpExchange,
): Promise<ScrapeReply> {
  const body = await get(scrapeRequestUrl(scrapeUrl, infohashes), scrapeUrl, exchange)
  const reply = read(scrapeUrl, () => decodeScrapeResponse(body))
  if (reply.kind === 'failure') throw trackerFailure(scrapeUrl, reply)
  return reply
}

/** Decodes an answer; what the codec refuses becomes `TRACKER_INVALID_RESPONSE`. */
function read<T>(url: string, decode: () => T): T {
  try {
    return decode()
  } catch (error) {
    throw invalidResponse(url, error)
  }
}

function invalidResponse(url: string, cause: unknown): NodeError {
  const why = cause instanceof Error ? cause.message : String(cause)
  return new NodeError('TRACKER_INVALID_RESPONSE', `${url} answered something that is not a tracker response: ${why}`, {
    cause,
  })
}

function unreachable(url: string, why: string, cause?: unknown): NodeError {
  return new NodeError('TRACKER_UNREACHABLE', `${url}: ${why}`, cause === undefined ? undefined : { cause })
}

/**
 * GETs a URL: redirects followed by hand, the body read whole within the
 * size limit, everything within the timeout.
 * @returns the body of a 200 answer
 */
async function get(first: string, tracker: string, exchange: HttpExchange): Promise<Uint8Array> {
  const link = linkSignals([exchange.signal], {
    timeoutMs: exchange.timeoutMs,
    timeoutReason: () => new NodeError('TRACKER_TIMEOUT', `${tracker} did not answer within ${exchange.timeoutMs} ms`),
  })
  try {
    let url = first
    for (let redirects = 0; ; redirects++) {
      const response = await exchange.fetch(url, { signal: link.signal, redirect: 'manual' })
      if (response.type === 'opaqueredirect') {
        throw unreachable(tracker, 'it redirects, and this runtime does not let a redirect be followed by hand')
      }
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => {})
        if (redirects >= MAX_REDIRECTS) throw unreachable(tracker, `more than ${MAX_REDIRECTS} redirects`)
        url = redirectTarget(tracker, url, response.headers.get('location'))
        continue
      }
      const body = await readBody(tracker, response, link.signal)
      if (response.status === 200) return body
      throw refusalOf(tracker, response.status, body)
    }
  } catch (error) {
    if (link.signal.aborted) throw signalAbortError(link.signal, NodeError)
    if (error instanceof NodeError) throw error
    throw unreachable(tracker, error instanceof Error ? error.message : String(error), error)
  } finally {
    link.dispose()
  }
}

/** Where a redirect leads: an absolute `http:` or `https:` URL. */
function redirectTarget(tracker: string, from: string, location: string | null): string {
  if (location === null) throw unreachable(tracker, 'a redirect without a Location')
  let target: URL
  try {
    target = new URL(location, from)
  } catch {
    throw unreachable(tracker, `a redirect to ${JSON.stringify(location.slice(0, 100))}, which is not a URL`)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw unreachable(tracker, `a redirect to a ${target.protocol} URL`)
  }
  if (target.href.length > TRACKER_LIMITS.maxUrlLength * 4) throw unreachable(tracker, 'a redirect to a huge URL')
  return target.href
}

/** The error of an answer other than 200: its `failure reason` when the body has one. */
function refusalOf(tracker: string, status: number, body: Uint8Array): NodeError {
  try {
    const reply = decodeAnnounceResponse(body, { maxPeers: TRACKER_LIMITS.maxPeers })
    if (reply.kind === 'failure') return trackerFailure(tracker, reply)
  } catch {
    // not bencode: the status says it
  }
  return unreachable(tracker, `HTTP ${status}`)
}

/** Reads a body whole, refusing one over the limit as soon as it is seen to be. */
async function readBody(tracker: string, response: Response, signal: AbortSignal): Promise<Uint8Array> {
  const limit = TRACKER_LIMITS.maxResponseBytes
  const tooLarge = (size: string) =>
    invalidResponse(
      tracker,
      new WireError('TRACKER_TOO_LARGE', `a body of ${size} bytes is over the limit of ${limit}`),
    )
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > limit) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge(String(declared))
  }
  const reader = response.body?.getReader()
  if (reader === undefined) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      if (signal.aborted) throw signalAbortError(signal, NodeError)
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > limit) throw tooLarge(`more than ${total}`)
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
