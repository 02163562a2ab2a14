import type { PeerConnection } from './connection.js'

/** Shares a connected peer asked about that we did not have, remembered per connection. */
export const MAX_ASKS_PER_CONNECTION = 32
/** Bytes of the bitfields of those questions kept per connection; a larger one is kept as empty. */
export const MAX_ASK_BYTES_PER_CONNECTION = 16 * 1024

interface Asked {
  /** Infohash (hex) → the bitfield the peer sent, oldest question first. */
  readonly shares: Map<string, Uint8Array>
  bytes: number
}

/**
 * Questions about shares we did not have: a peer joins a share by sending
 * its `bitfield`, and one for a share we do not hold is not answered (the
 * peer learns nothing about what we have). When we start that share later,
 * the peers that asked are answered then, and only they: the question is
 * remembered per connection, at most {@link MAX_ASKS_PER_CONNECTION} shares
 * (the oldest forgotten first) and {@link MAX_ASK_BYTES_PER_CONNECTION}
 * bytes of bitfields (a peer whose bitfield did not fit counts as holding no
 * piece until its `have` messages say more), and forgotten when the
 * connection closes.
 * @internal
 */
export class ShareAsks {
  private readonly asked = new Map<PeerConnection, Asked>()

  /** Remembers that a peer asked about a share (the bitfield is copied). */
  remember(peer: PeerConnection, infohashHex: string, bits: Uint8Array): void {
    let asked = this.asked.get(peer)
    if (asked === undefined) {
      asked = { shares: new Map(), bytes: 0 }
      this.asked.set(peer, asked)
    }
    this.drop(asked, infohashHex)
    const kept = bits.length <= MAX_ASK_BYTES_PER_CONNECTION ? bits.slice() : new Uint8Array(0)
    while (
      asked.shares.size >= MAX_ASKS_PER_CONNECTION ||
      (asked.shares.size > 0 && asked.bytes + kept.length > MAX_ASK_BYTES_PER_CONNECTION)
    ) {
      this.drop(asked, asked.shares.keys().next().value as string)
    }
    asked.shares.set(infohashHex, kept)
    asked.bytes += kept.length
  }

  /**
   * Takes the questions about a share: the peers that asked, with the
   * bitfields they sent, forgotten here.
   */
  take(infohashHex: string): Array<[PeerConnection, Uint8Array]> {
    const found: Array<[PeerConnection, Uint8Array]> = []
    for (const [peer, asked] of this.asked) {
      const bits = asked.shares.get(infohashHex)
      if (bits === undefined) continue
      this.drop(asked, infohashHex)
      if (asked.shares.size === 0) this.asked.delete(peer)
      found.push([peer, bits])
    }
    return found
  }

  /** Forgets the questions of a connection that closed. */
  forget(peer: PeerConnection): void {
    this.asked.delete(peer)
  }

  /** Shares asked about over one connection (for tests and figures). */
  count(peer: PeerConnection): number {
    return this.asked.get(peer)?.shares.size ?? 0
  }

  private drop(asked: Asked, infohashHex: string): void {
    const bits = asked.shares.get(infohashHex)
    if (bits === undefined) return
    asked.shares.delete(infohashHex)
    asked.bytes -= bits.length
  }
}
