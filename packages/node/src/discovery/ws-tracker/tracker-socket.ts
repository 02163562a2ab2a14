/**
 * One WebSocket tracker as the node speaks to it: the socket (opened on
 * first use, reopened with backoff), the shares announced there, the
 * unaddressed offers waiting for answers, and the offers of other peers
 * being answered. The bounds of the client are defined here.
 * @module
 */
import { describeError } from '@mycel/wire/log'
import { abortError } from '@mycel/wire/signal'
import { NodeError } from '../../errors.js'
import {
  binaryString,
  decodeWsTrackerMessage,
  encodeWsAnnounce,
  encodeWsAnswer,
  WS_ID_CHARS,
  type WsAnnounceFields,
  type WsTrackerMessage,
} from './messages.js'
import type { TrackerWebSocket, WsTrackerClient } from './ws-tracker-client.js'

/** Offers one announce carries at most (WebTorrent sends 5 to 10). */
export const WS_OFFERS_PER_ANNOUNCE = 5
/** Offers of one share waiting for an answer at once, per tracker. */
export const MAX_PENDING_OFFERS_PER_SHARE = 10
/** How long an offer waits for its answer (the transport's lifetime of it bounds it too). */
export const WS_OFFER_TTL_MS = 50_000
/** Answered offers of one share waiting for a lookup to dial them, per tracker. */
export const MAX_ANSWERED_WAITING = 10
/** Offers of other peers being answered at once, per tracker socket. */
export const MAX_ANSWERING_PER_SOCKET = 8
/** WebSocket trackers connected at once (a share's list beyond this is not asked). */
export const MAX_WS_TRACKER_SOCKETS = 16
/** Longest wait for a socket to open, and for the reply to an announce. */
export const WS_TRACKER_TIMEOUT_MS = 10_000
/** First wait before reconnecting a socket that closed; it doubles up to {@link WS_RECONNECT_MAX_MS}. */
export const WS_RECONNECT_MIN_MS = 5000
/** Longest wait before reconnecting. */
export const WS_RECONNECT_MAX_MS = 5 * 60 * 1000

/** What one share keeps at one tracker. */
interface ShareAtTracker {
  /** Our offers waiting for an answer: offer id (tracker's) to the transport's id and expiry. */
  readonly offers: Map<string, { readonly rtcId: string; readonly expiresAt: number }>
  /** `webrtc-offer://` addresses of answered offers, for the next lookup to dial. */
  readonly answered: string[]
  /** Called when an answered offer is added (a lookup waits). */
  readonly wake: Set<() => void>
  /** Called with the tracker's reply to an announce. */
  readonly replies: Set<(reply: Extract<WsTrackerMessage, { kind: 'reply' }>) => void>
}

const OPEN = 1

/** One tracker's socket and the shares announced to it. @internal */
export class WsTrackerSocket {
  readonly shares = new Map<string, ShareAtTracker>()
  private socket: TrackerWebSocket | undefined
  private opening: Promise<TrackerWebSocket> | undefined
  private failures = 0
  private retryAt = 0
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  private answering = 0
  private closed = false

  constructor(
    readonly url: string,
    private readonly client: WsTrackerClient,
  ) {}

  /**
   * Announces a share: joins its swarm here with up to `offers` offers.
   * @returns the tracker's interval, in seconds, if it gave one
   * @throws `NodeError` `TRACKER_UNREACHABLE`, `TRACKER_TIMEOUT`, `TRACKER_FAILURE`, `ABORTED`
   */
  async announce(
    fields: Omit<WsAnnounceFields, 'peerId' | 'offers'>,
    offers: number,
    signal: AbortSignal | undefined,
  ): Promise<number | undefined> {
    const socket = await this.open(signal)
    const share = this.share(fields.infoHash)
    this.sweep(share)
    const made = await this.makeOffers(
      share,
      Math.min(offers, MAX_PENDING_OFFERS_PER_SHARE - share.offers.size),
      signal,
    )
    const reply = this.reply(share, signal)
    reply.catch(() => {})
    socket.send(encodeWsAnnounce({ ...fields, peerId: this.client.peerId, offers: made }))
    const answer = await reply
    if (answer.failure !== undefined) throw new NodeError('TRACKER_FAILURE', `${this.url}: ${answer.failure}`)
    return answer.interval
  }

  /** Leaves a share's swarm here (`stopped`), giving up its offers; the socket closes with its last share. */
  stop(infoHash: string, fields: Omit<WsAnnounceFields, 'peerId' | 'infoHash' | 'event'>): void {
    const share = this.shares.get(infoHash)
    if (share === undefined) return
    for (const { rtcId } of share.offers.values()) this.client.rtc.cancelOffer(rtcId)
    this.shares.delete(infoHash)
    for (const wake of share.wake) wake()
    if (this.socket?.readyState === OPEN) {
      this.socket.send(encodeWsAnnounce({ ...fields, infoHash, peerId: this.client.peerId, event: 'stopped' }))
    }
    if (this.shares.size === 0) this.close()
  }

  /** Takes the addresses of answered offers of a share, waiting up to `waitMs` for the first when none. */
  async answered(infoHash: string, waitMs: number, signal: AbortSignal | undefined): Promise<string[]> {
    const share = this.shares.get(infoHash)
    if (share === undefined) return []
    if (share.answered.length === 0 && share.offers.size > 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          share.wake.delete(done)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, waitMs)
        share.wake.add(done)
        signal?.addEventListener('abort', done, { once: true })
      })
    }
    return share.answered.splice(0)
  }

  /** Whether a share still has offers waiting for answers here. */
  waiting(infoHash: string): boolean {
    const share = this.shares.get(infoHash)
    if (share === undefined) return false
    this.sweep(share)
    return share.offers.size > 0
  }

  /** Closes the socket and gives up every offer. Idempotent. */
  close(): void {
    this.closed = true
    clearTimeout(this.reconnectTimer)
    for (const share of this.shares.values()) {
      for (const { rtcId } of share.offers.values()) this.client.rtc.cancelOffer(rtcId)
      for (const wake of share.wake) wake()
    }
    this.shares.clear()
    this.socket?.close(1000, 'done')
    this.socket = undefined
    this.client.forget(this)
  }

  private share(infoHash: string): ShareAtTracker {
    let share = this.shares.get(infoHash)
    if (share === undefined) {
      share = { offers: new Map(), answered: [], wake: new Set(), replies: new Set() }
      this.shares.set(infoHash, share)
    }
    return share
  }

  private sweep(share: ShareAtTracker): void {
    const now = Date.now()
    for (const [offerId, offer] of share.offers) {
      if (offer.expiresAt > now) continue
      share.offers.delete(offerId)
      this.client.rtc.cancelOffer(offer.rtcId)
    }
  }

  private async makeOffers(
    share: ShareAtTracker,
    count: number,
    signal: AbortSignal | undefined,
  ): Promise<Array<{ offerId: string; sdp: string }>> {
    const made = await Promise.allSettled(
      Array.from({ length: Math.max(0, count) }, () => this.client.rtc.createOffer(signal ? { signal } : {})),
    )
    const offers: Array<{ offerId: string; sdp: string }> = []
    for (const result of made) {
      if (result.status === 'rejected') {
        this.client.log.debug(`no offer for ${this.url}: ${describeError(result.reason)}`)
        continue
      }
      const offerId = binaryString(globalThis.crypto.getRandomValues(new Uint8Array(WS_ID_CHARS)))
      share.offers.set(offerId, { rtcId: result.value.id, expiresAt: Date.now() + WS_OFFER_TTL_MS })
      offers.push({ offerId, sdp: result.value.sdp })
    }
    return offers
  }

  private reply(
    share: ShareAtTracker,
    signal: AbortSignal | undefined,
  ): Promise<Extract<WsTrackerMessage, { kind: 'reply' }>> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        share.replies.delete(onReply)
        signal?.removeEventListener('abort', onAbort)
      }
      const onReply = (reply: Extract<WsTrackerMessage, { kind: 'reply' }>): void => {
        done()
        resolve(reply)
      }
      const onAbort = (): void => {
        done()
        reject(abortError(signal as AbortSignal, NodeError))
      }
      const timer = setTimeout(() => {
        done()
        reject(
          new NodeError('TRACKER_TIMEOUT', `${this.url} did not answer the announce in ${WS_TRACKER_TIMEOUT_MS} ms`),
        )
      }, WS_TRACKER_TIMEOUT_MS)
      share.replies.add(onReply)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** The open socket, connecting it first (not before the backoff of the last failure has passed). */
  private open(signal: AbortSignal | undefined): Promise<TrackerWebSocket> {
    if (this.closed) return Promise.reject(NodeError.closed('the WebSocket tracker client'))
    if (signal?.aborted) return Promise.reject(abortError(signal, NodeError))
    if (this.socket?.readyState === OPEN) return Promise.resolve(this.socket)
    if (this.opening !== undefined) return this.opening
    if (Date.now() < this.retryAt) {
      return Promise.reject(
        new NodeError(
          'TRACKER_UNREACHABLE',
          `${this.url} is tried again in ${Math.ceil((this.retryAt - Date.now()) / 1000)} s`,
        ),
      )
    }
    this.opening = this.connect().finally(() => {
      this.opening = undefined
    })
    return this.opening
  }

  private async connect(): Promise<TrackerWebSocket> {
    let socket: TrackerWebSocket
    try {
      socket = await this.client.openSocket(this.url)
    } catch (error) {
      this.failed()
      throw new NodeError('TRACKER_UNREACHABLE', `${this.url}: ${describeError(error)}`, { cause: error })
    }
    return new Promise((resolve, reject) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        socket.close()
        this.failed()
        reject(new NodeError('TRACKER_TIMEOUT', `${this.url} did not open in ${WS_TRACKER_TIMEOUT_MS} ms`))
      }, WS_TRACKER_TIMEOUT_MS)
      socket.addEventListener('open', () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (this.closed) {
          socket.close(1000, 'done')
          reject(NodeError.closed('the WebSocket tracker client'))
          return
        }
        this.socket = socket
        this.failures = 0
        resolve(socket)
      })
      socket.addEventListener('message', (event: { data?: unknown }) => this.receive(socket, event.data))
      socket.addEventListener('error', () => {})
      socket.addEventListener('close', () => {
        clearTimeout(timer)
        if (!settled) {
          settled = true
          this.failed()
          reject(new NodeError('TRACKER_UNREACHABLE', `${this.url} refused the WebSocket`))
          return
        }
        if (this.socket !== socket) return
        this.socket = undefined
        this.failed()
      })
    })
  }

  /** A connect failed or the socket closed: wait (doubling), then reconnect and rejoin the swarms. */
  private failed(): void {
    if (this.closed) return
    this.failures++
    const wait = Math.min(WS_RECONNECT_MAX_MS, WS_RECONNECT_MIN_MS * 2 ** Math.min(this.failures - 1, 16))
    this.retryAt = Date.now() + wait
    clearTimeout(this.reconnectTimer)
    if (this.shares.size === 0) return
    this.reconnectTimer = setTimeout(() => {
      if (this.closed || this.shares.size === 0) return
      this.open(undefined).then(
        (socket) => {
          // Back in each swarm, so that its peers' offers reach us again.
          for (const infoHash of this.shares.keys()) {
            socket.send(encodeWsAnnounce({ infoHash, peerId: this.client.peerId }))
          }
        },
        (error) => this.client.log.debug(`reconnecting to ${this.url} failed: ${describeError(error)}`),
      )
    }, wait)
    unref(this.reconnectTimer)
  }

  private receive(socket: TrackerWebSocket, data: unknown): void {
    if (this.socket !== socket) return
    let message: WsTrackerMessage
    try {
      message = decodeWsTrackerMessage(data)
    } catch (error) {
      // A malformed message ends this tracker's socket, nothing else.
      this.client.log.info(`closed the socket of ${this.url}: ${describeError(error)}`)
      this.socket = undefined
      socket.close(1002, 'malformed message')
      this.failed()
      return
    }
    if (message.kind === 'ignored') return
    const share = this.shares.get(message.infoHash)
    if (share === undefined) return
    if (message.kind === 'reply') {
      for (const reply of [...share.replies]) reply(message)
    } else if (message.kind === 'offer') this.answerOffer(socket, message)
    else this.takeAnswer(share, message)
  }

  private answerOffer(socket: TrackerWebSocket, offer: Extract<WsTrackerMessage, { kind: 'offer' }>): void {
    if (offer.peerId === this.client.peerId) return
    if (this.answering >= MAX_ANSWERING_PER_SOCKET) {
      this.client.log.debug(`an offer through ${this.url} left unanswered: ${MAX_ANSWERING_PER_SOCKET} being answered`)
      return
    }
    this.answering++
    this.client.rtc
      .answerOffer(offer.sdp)
      .then(
        (sdp) => {
          if (this.socket !== socket || socket.readyState !== OPEN || !this.shares.has(offer.infoHash)) return
          socket.send(
            encodeWsAnswer({
              infoHash: offer.infoHash,
              peerId: this.client.peerId,
              toPeerId: offer.peerId,
              offerId: offer.offerId,
              sdp,
            }),
          )
        },
        (error) => this.client.log.debug(`an offer through ${this.url} was not answered: ${describeError(error)}`),
      )
      .finally(() => this.answering--)
  }

  private takeAnswer(share: ShareAtTracker, answer: Extract<WsTrackerMessage, { kind: 'answer' }>): void {
    const offer = share.offers.get(answer.offerId)
    if (offer === undefined) return // not ours, answered already, or expired
    share.offers.delete(answer.offerId)
    if (share.answered.length >= MAX_ANSWERED_WAITING) {
      this.client.rtc.cancelOffer(offer.rtcId)
      return
    }
    this.client.rtc.acceptAnswer(offer.rtcId, answer.sdp).then(
      (address) => {
        if (this.shares.get(answer.infoHash) !== share || share.answered.length >= MAX_ANSWERED_WAITING) {
          this.client.rtc.cancelOffer(offer.rtcId)
          return
        }
        share.answered.push(address)
        for (const wake of [...share.wake]) wake()
      },
      (error) => this.client.log.debug(`an answer through ${this.url} was refused: ${describeError(error)}`),
    )
  }
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  ;(timer as { unref?: () => void }).unref?.()
}
