import { peerIdToString } from '@mycel/transport'
import { toHex } from '@mycel/wire'
import { abortError } from '@mycel/wire/signal'
import {
  type AnnounceResult,
  checkShareKey,
  type PeerCandidate,
  type PeerSource,
  type ShareKey,
  type SourceAnnounceOptions,
  type SourceLookupOptions,
} from '../discovery/peer-source.js'
import { NodeError } from '../errors.js'
import { MAX_SHARE_KEY_BYTES, MAX_SIGNAL_PEERS } from './messages.js'
import type { SignalProtocol } from './signal-protocol.js'

/** Longest a lookup waits for the middle peers' answers (it ends once each asked has answered). */
export const SIGNAL_LOOKUP_MS = 3000

/**
 * A peer source over `signal/1`: announcing a share sends `join` to every
 * connected peer that speaks it (and to those that connect later), and a
 * lookup yields `webrtc://<peer id>` for the other joiners they name. What
 * a middle peer pushes between lookups (a peer that joined later) waits
 * for the next lookup, at most 50 per share.
 * @internal
 */
export class SignalPeerSource implements PeerSource {
  readonly name = 'signal'
  /** Shares we joined, by key (hex). */
  private readonly joined = new Map<string, Uint8Array>()
  /** Peers heard of between lookups, by key. */
  private readonly heard = new Map<string, Set<string>>()
  /** Running lookups, by key: each gets the peer ids of every `peers` message for it. */
  private readonly waiting = new Map<string, Set<(peerIds: readonly string[]) => void>>()
  private readonly controller = new AbortController()

  constructor(
    private readonly signalling: SignalProtocol,
    private readonly localPeerId: string,
  ) {
    signalling.onJoinable((send) => {
      for (const key of this.joined.values()) send(key)
    })
    signalling.onPeers((key, peers) => this.heardOf(key, peers))
  }

  async announce(share: ShareKey, options: SourceAnnounceOptions): Promise<AnnounceResult> {
    this.check(share, options.signal)
    const keyHex = toHex(share.key)
    if (options.event === 'stopped') {
      this.joined.delete(keyHex)
      this.heard.delete(keyHex)
      return { reached: 0 }
    }
    this.joined.set(keyHex, share.key.slice())
    return { reached: this.signalling.join(share.key) }
  }

  async *lookup(share: ShareKey, options: SourceLookupOptions = {}): AsyncIterable<PeerCandidate> {
    this.check(share, options.signal)
    const keyHex = toHex(share.key)
    this.joined.set(keyHex, share.key.slice())
    const found: string[] = [...(this.heard.get(keyHex) ?? [])]
    this.heard.delete(keyHex)
    let wake: (() => void) | undefined
    let answers = 0
    const take = (peerIds: readonly string[]): void => {
      answers++
      found.push(...peerIds)
      wake?.()
    }
    let listeners = this.waiting.get(keyHex)
    if (listeners === undefined) {
      listeners = new Set()
      this.waiting.set(keyHex, listeners)
    }
    listeners.add(take)
    const deadline = Date.now() + SIGNAL_LOOKUP_MS
    const given = new Set<string>()
    try {
      const asked = this.signalling.join(share.key)
      for (;;) {
        while (found.length > 0) {
          const peerId = found.shift() as string
          if (given.has(peerId) || peerId === this.localPeerId) continue
          given.add(peerId)
          yield { address: `webrtc://${peerId}` }
        }
        // Every middle peer asked answers a join once (those that relay nothing never do: the wait bounds it).
        const left = deadline - Date.now()
        if (left <= 0 || answers >= asked) return
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left)
          const signals = [options.signal, this.controller.signal]
          function done(): void {
            clearTimeout(timer)
            wake = undefined
            for (const signal of signals) signal?.removeEventListener('abort', done)
            resolve()
          }
          wake = done
          for (const signal of signals) signal?.addEventListener('abort', done, { once: true })
        })
        if (options.signal?.aborted) throw abortError(options.signal, NodeError)
        if (this.controller.signal.aborted) throw NodeError.closed('the signal peer source')
      }
    } finally {
      listeners.delete(take)
      if (listeners.size === 0 && this.waiting.get(keyHex) === listeners) this.waiting.delete(keyHex)
    }
  }

  async close(): Promise<void> {
    this.controller.abort()
    this.joined.clear()
    this.heard.clear()
  }

  private heardOf(key: Uint8Array, peers: readonly Uint8Array[]): void {
    const keyHex = toHex(key)
    if (!this.joined.has(keyHex)) return // not a share we joined: nothing to do with it
    const ids = peers.map((peer) => peerIdToString(peer)).filter((id) => id !== this.localPeerId)
    const listeners = this.waiting.get(keyHex)
    if (listeners !== undefined && listeners.size > 0) {
      for (const take of [...listeners]) take(ids)
      return
    }
    let heard = this.heard.get(keyHex)
    if (heard === undefined) {
      heard = new Set()
      this.heard.set(keyHex, heard)
    }
    for (const id of ids) if (heard.size < MAX_SIGNAL_PEERS) heard.add(id)
  }

  private check(share: ShareKey, signal: AbortSignal | undefined): void {
    checkShareKey(share)
    if (share.key.length > MAX_SHARE_KEY_BYTES)
      throw new RangeError(`share.key must be at most ${MAX_SHARE_KEY_BYTES} bytes`)
    if (this.controller.signal.aborted) throw NodeError.closed('the signal peer source')
    if (signal?.aborted) throw abortError(signal, NodeError)
  }
}
