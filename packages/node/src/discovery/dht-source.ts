import { DhtError, type DhtNode } from '@mycel/dht'
import { formatAddress } from '@mycel/transport'
import { assertFunction, assertInteger, assertSignal } from '@mycel/wire/assert'
import { linkSignals, throwIfAborted } from '@mycel/wire/signal'
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

/** Bytes of a DHT key (a node id, an infohash, a discovery key). */
const DHT_KEY_LENGTH = 20

/** Options of {@link DhtPeerSource}. */
export interface DhtPeerSourceOptions {
  /**
   * The transport address of a peer the DHT lists (an IP address and the
   * port it announced). Default `tcp://host:port`: the port a node announces
   * is its TCP port.
   */
  readonly toAddress?: (peer: { readonly host: string; readonly port: number }) => string
}

/**
 * The Mainline DHT as a peer source: an announce stores our port under the
 * share's key at the closest nodes (`announce_peer`), a lookup yields the
 * peers the closest nodes list (`get_peers`). The DHT node stays the
 * caller's: closing the source ends its operations, not the node.
 *
 * @example
 * ```ts
 * const source = new DhtPeerSource(dht)
 * const key = shareKeyOf(infohash, 'discovery-key')
 * await source.announce(key, { port: 7000 })
 * for await (const { address } of source.lookup(key)) console.log(address)
 * ```
 */
export class DhtPeerSource implements PeerSource {
  readonly name = 'dht'
  readonly usesUdp = true
  private readonly closing = new AbortController()
  private readonly toAddress: (peer: { readonly host: string; readonly port: number }) => string

  /**
   * @param dht - the DHT node to announce on and look up with (not closed by {@link DhtPeerSource.close})
   * @param options - how listed peers become transport addresses
   */
  constructor(
    private readonly dht: DhtNode,
    options: DhtPeerSourceOptions = {},
  ) {
    if (options.toAddress !== undefined) assertFunction(options.toAddress, 'toAddress')
    this.toAddress =
      options.toAddress ?? ((peer) => formatAddress({ scheme: 'tcp', host: peer.host, port: peer.port, path: '' }))
  }

  /**
   * Announces our port under the share's key. Without a port, and for the
   * `stopped` event (DHT records expire by themselves), nothing is sent.
   * @returns how many DHT nodes stored the announcement
   * @throws `NodeError` `CLOSED` once the source is closed; the DHT node's `DhtError` otherwise, as it
   *   always was (`ABORTED` for the signal, `CLOSED` once the node is closed); TypeError or RangeError for
   *   a malformed share key or port
   */
  async announce(share: ShareKey, options: SourceAnnounceOptions): Promise<AnnounceResult> {
    checkShareKey(share, DHT_KEY_LENGTH)
    if (options.port !== undefined) assertInteger(options.port, 'port', { min: 1, max: 65535 })
    assertSignal(options.signal)
    this.assertOpen()
    if (options.port === undefined || options.event === 'stopped') {
      throwIfAborted(options.signal, DhtError)
      return { reached: 0 }
    }
    const link = linkSignals([options.signal, this.closing.signal])
    try {
      return { reached: await this.dht.announce(share.key, options.port, { signal: link.signal }) }
    } catch (error) {
      this.assertOpen()
      throw error
    } finally {
      link.dispose()
    }
  }

  /**
   * Looks the share's key up: yields each peer the DHT lists, once.
   * @throws TypeError or RangeError for a malformed share key (at once); the iteration throws `NodeError`
   *   `CLOSED` once the source is closed, else the DHT node's `DhtError` (`ABORTED` for the signal)
   */
  lookup(share: ShareKey, options: SourceLookupOptions = {}): AsyncIterable<PeerCandidate> {
    checkShareKey(share, DHT_KEY_LENGTH)
    assertSignal(options.signal)
    return this.find(share.key, options.signal)
  }

  /** Ends the source's announces and lookups (the DHT node stays open). Idempotent. */
  close(): Promise<void> {
    if (!this.closing.signal.aborted) this.closing.abort(NodeError.closed('the DHT peer source'))
    return Promise.resolve()
  }

  private async *find(key: Uint8Array, signal: AbortSignal | undefined): AsyncGenerator<PeerCandidate> {
    this.assertOpen()
    const link = linkSignals([signal, this.closing.signal])
    try {
      for await (const peer of this.dht.lookup(key, { signal: link.signal })) {
        yield { address: this.toAddress(peer) }
        if (link.signal.aborted) break
      }
    } catch (error) {
      this.assertOpen()
      throw error
    } finally {
      link.dispose()
    }
    this.assertOpen()
    // Aborted between two peers: end as the DHT ends an aborted lookup.
    throwIfAborted(link.signal, DhtError)
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw NodeError.closed('the DHT peer source')
  }
}
