import type { PeerAddress } from '../address.js'
import { compactPeerLength, decodeCompactPeer } from '../compact.js'
import { lookupClosest, type OperationContext, storeAtClosest } from './context.js'

/** Options of {@link announcePeer}. @internal */
export interface AnnounceRequest {
  readonly key: Uint8Array
  readonly port: number
  readonly impliedPort: boolean
  readonly signal: AbortSignal | undefined
}

/**
 * A `get_peers` lookup that yields each peer found in `values` once, as the
 * answers arrive, after the peers announced to this node itself. Values of
 * the wrong size are skipped.
 * @internal
 */
export async function* lookupPeers(
  context: OperationContext,
  key: Uint8Array,
  signal: AbortSignal | undefined,
): AsyncGenerator<PeerAddress, void, undefined> {
  const seen = new Set<string>()
  for (const peer of context.localPeers(key)) {
    seen.add(`${peer.host}|${peer.port}`)
    yield peer
  }
  const size = compactPeerLength(context.family)
  for await (const event of context.lookup({ target: key, method: 'get_peers', args: { info_hash: key }, signal })) {
    if (event.type !== 'response') continue
    const values = event.values.values
    if (!Array.isArray(values)) continue
    for (const value of values) {
      if (!(value instanceof Uint8Array) || value.length !== size) continue
      const peer = decodeCompactPeer(value)
      if (peer === undefined) continue
      const address = `${peer.host}|${peer.port}`
      if (seen.has(address)) continue
      if (seen.size >= context.limits.maxPeersPerLookup) return
      seen.add(address)
      yield peer
    }
  }
}

/**
 * Announces a peer: a `get_peers` lookup for the k closest nodes and their
 * tokens, then `announce_peer` to each.
 * @returns how many nodes stored the announce
 * @internal
 */
export async function announcePeer(context: OperationContext, request: AnnounceRequest): Promise<number> {
  const { key, port, impliedPort, signal } = request
  const summary = await lookupClosest(context, { target: key, method: 'get_peers', args: { info_hash: key }, signal })
  const result = await storeAtClosest(
    context,
    summary.closest,
    'announce_peer',
    (_node, token) => ({ info_hash: key, port, token, implied_port: impliedPort ? 1 : undefined }),
    signal,
  )
  return result.stored
}
