/** Payload moved within this long makes a connection too useful to evict. */
export const RECENT_TRANSFER_MS = 30_000

/** What the idle and eviction rules read of a connection. @internal */
export interface ConnectionActivity {
  readonly peerIdText: string
  /** When the connection was adopted (ms since the epoch). */
  readonly connectedAt: number
  /** When the peer last joined a share or payload last moved either way (else `connectedAt`). */
  readonly lastActiveAt: number
  /** When payload (pieces or metadata) last moved either way; 0 if never. */
  readonly lastTransferAt: number
  /** The peer's score: positive once it gave us verified pieces. */
  readonly score: number
  readonly isClosed: boolean
}

/**
 * Whether a connection has been idle for `idleTimeoutMs`: in that time the
 * peer joined no share and no piece or metadata moved either way. A peer
 * that holds a connection and does nothing else (a sybil that sent `hello`,
 * a finished seeder next to another seeder) gives its slot back.
 *
 * @param idleTimeoutMs - 0 for never
 * @internal
 */
export function isIdle(peer: ConnectionActivity, now: number, idleTimeoutMs: number): boolean {
  return idleTimeoutMs > 0 && now - peer.lastActiveAt >= idleTimeoutMs
}

/**
 * Whether a connection is useful enough never to be evicted: payload moved
 * on it in the last {@link RECENT_TRANSFER_MS}, the peer has a good score,
 * or it is a member of a share we are downloading.
 * @internal
 */
export function isUseful(peer: ConnectionActivity, now: number, inDownload: () => boolean): boolean {
  return peer.score > 0 || (peer.lastTransferAt > 0 && now - peer.lastTransferAt < RECENT_TRANSFER_MS) || inDownload()
}

/**
 * The connection to close to make room for a new one, if any may go: never
 * a useful one ({@link isUseful}); of the others, the one with the lowest
 * score, then the one inactive for longest (so a newcomer is evicted only
 * after every connection older than it).
 *
 * @param inDownload - whether a peer is a member of a share we are downloading
 * @internal
 */
export function evictionCandidate<T extends ConnectionActivity>(
  peers: Iterable<T>,
  now: number,
  inDownload: (peer: T) => boolean,
): T | undefined {
  let best: T | undefined
  for (const peer of peers) {
    if (peer.isClosed || isUseful(peer, now, () => inDownload(peer))) continue
    if (
      best === undefined ||
      peer.score < best.score ||
      (peer.score === best.score && peer.lastActiveAt < best.lastActiveAt)
    ) {
      best = peer
    }
  }
  return best
}
