/** A peer's address as a tracker gives it out: an IP literal (IPv4 or IPv6 text) and a TCP port. */
export interface TrackerPeer {
  /**
   * `192.0.2.7` or `2001:db8::7` (never bracketed), or a v3 onion host
   * (`<56 characters>.onion`, only in a BEP 3 list of dictionaries); never
   * another host name.
   */
  readonly host: string
  /** 0..65535. */
  readonly port: number
  /** The peer id, when the tracker sent the original (non-compact, BEP 3) list with ids. */
  readonly peerId?: Uint8Array
}

/**
 * Why a peer announces (BEP 3 `event`; `paused` is BEP 21's). An announce
 * without an event is one of the regular ones.
 */
export type AnnounceEvent = 'started' | 'completed' | 'stopped' | 'paused'

/** What an announce says, over HTTP (BEP 3) or UDP (BEP 15). */
export interface AnnounceRequest {
  /**
   * The swarm: 20 bytes (a v1 infohash, a v2 infohash truncated to 20 bytes
   * as BEP 52 says, or any 20-byte key a client announces under).
   */
  readonly infohash: Uint8Array
  /** The peer's 20-byte id. */
  readonly peerId: Uint8Array
  /** The port it accepts peer connections on; 0 means "none" (or, over UDP, "the packet's source port"). */
  readonly port: number
  /** Bytes uploaded so far (0 when not given). */
  readonly uploaded: number
  /** Bytes downloaded so far (0 when not given). */
  readonly downloaded: number
  /** Bytes still missing; `undefined` when unknown or not given (a leecher). 0 makes it a seeder. */
  readonly left?: number
  /** Why it announces; absent for a regular announce. */
  readonly event?: AnnounceEvent
  /** How many peers it wants; absent for the tracker's default. */
  readonly numwant?: number
  /** The client's `key` (BEP 7: stays the same across addresses and sessions). */
  readonly key?: Uint8Array
  /** HTTP only: the `trackerid` a previous response gave. */
  readonly trackerId?: Uint8Array
  /** HTTP only: whether the client asked for a compact answer (`compact=1`, BEP 23). */
  readonly compact?: boolean
  /** HTTP only: `no_peer_id=1`. */
  readonly noPeerId?: boolean
  /**
   * The address the client claims (`ip`, or over UDP the IPv4 field), as
   * text: an IP literal, or over HTTP a v3 onion host (`<56 characters>.onion`,
   * a node behind Tor announcing its onion service). Trackers ignore an IP
   * literal (anyone could claim a victim's address).
   */
  readonly ip?: string
}

/** The counts a tracker gives for one swarm (BEP 48 scrape; also in announce responses). */
export interface SwarmCounts {
  /** Seeders (`complete`). */
  readonly complete: number
  /** Leechers (`incomplete`). */
  readonly incomplete: number
  /** Completed downloads so far (`downloaded`). */
  readonly downloaded: number
}
