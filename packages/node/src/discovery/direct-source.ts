import { toHex } from '@mycel/wire'
import { assertSignal } from '@mycel/wire/assert'
import { throwIfAborted } from '@mycel/wire/signal'
import { NodeError } from '../errors.js'
import {
  type AnnounceResult,
  checkShareKey,
  type PeerCandidate,
  type PeerSource,
  type ShareKey,
  type SourceAnnounceOptions,
  type SourceLookupOptions,
} from './peer-source.js'

/** Addresses kept for one share; more are dropped (the dial queue takes no more than this either). */
export const MAX_DIRECT_PEERS = 1000
/** Characters of one address; a longer one is dropped. */
const MAX_ADDRESS_LENGTH = 1024

/**
 * The peers the user named for a share (a magnet link's `x.pe`,
 * `DownloadOptions.peers`) as a peer source: a lookup yields them, every
 * time it is asked, so that the scheduler dials them again while the
 * download still lacks peers (a seeder that was down when the download
 * started is found once it is up). Nothing is announced anywhere; the
 * `stopped` event forgets the share's peers.
 *
 * @example
 * ```ts
 * const direct = new DirectPeerSource()
 * direct.add(infohash, ['tcp://192.0.2.7:6881'])
 * for await (const { address } of direct.lookup(shareKeyOf(infohash, 'discovery-key'))) dial(address)
 * ```
 */
export class DirectPeerSource implements PeerSource {
  readonly name = 'direct'
  private readonly peers = new Map<string, Set<string>>()
  private closed = false

  /**
   * Adds addresses of a share (duplicates and addresses past
   * `MAX_DIRECT_PEERS`, 1,000, are dropped).
   * @param infohash - the share
   * @param addresses - transport addresses, e.g. `tcp://192.0.2.7:6881`
   * @throws `NodeError` `CLOSED`; TypeError when an address is not a string
   */
  add(infohash: Uint8Array, addresses: readonly string[]): void {
    if (this.closed) throw NodeError.closed('the direct peer source')
    if (addresses.some((address) => typeof address !== 'string')) throw new TypeError('peers must be strings')
    const infohashHex = toHex(infohash)
    const known = this.peers.get(infohashHex) ?? new Set<string>()
    for (const address of addresses) {
      if (known.size >= MAX_DIRECT_PEERS) break
      if (address.length > 0 && address.length <= MAX_ADDRESS_LENGTH) known.add(address)
    }
    if (known.size > 0) this.peers.set(infohashHex, known)
  }

  /**
   * Announces nothing (there is nowhere to); `stopped` forgets the share's peers.
   * @returns reached 0, and no announce again
   * @throws `NodeError` `ABORTED`, `CLOSED`; TypeError or RangeError for a malformed share key
   */
  async announce(share: ShareKey, options: SourceAnnounceOptions): Promise<AnnounceResult> {
    checkShareKey(share)
    assertSignal(options.signal)
    this.assertOpen()
    throwIfAborted(options.signal, NodeError)
    if (options.event === 'stopped') this.peers.delete(toHex(share.infohash))
    return { reached: 0, nextAnnounceMs: Number.POSITIVE_INFINITY }
  }

  /**
   * Yields the share's peers, each once, then ends.
   * @throws TypeError or RangeError for a malformed share key (at once); the iteration throws `NodeError`
   *   `ABORTED`, `CLOSED`
   */
  lookup(share: ShareKey, options: SourceLookupOptions = {}): AsyncIterable<PeerCandidate> {
    checkShareKey(share)
    assertSignal(options.signal)
    return this.list(toHex(share.infohash), options.signal)
  }

  /** Forgets every share's peers. Idempotent. */
  close(): Promise<void> {
    this.closed = true
    this.peers.clear()
    return Promise.resolve()
  }

  private async *list(infohashHex: string, signal: AbortSignal | undefined): AsyncGenerator<PeerCandidate> {
    this.assertOpen()
    throwIfAborted(signal, NodeError)
    for (const address of [...(this.peers.get(infohashHex) ?? [])]) {
      yield { address }
      this.assertOpen()
      throwIfAborted(signal, NodeError)
    }
  }

  private assertOpen(): void {
    if (this.closed) throw NodeError.closed('the direct peer source')
  }
}
