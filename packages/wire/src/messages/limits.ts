/**
 * Version of the peer protocol spoken in `hello`. A peer that speaks another
 * major version is refused.
 */
export const PROTOCOL_VERSION = 1

/**
 * Upper bounds the message decoder enforces. Every field coming from the
 * network is checked against them before anything else sees it; the same
 * values are listed in `docs/limits.md`.
 */
export const MESSAGE_LIMITS = {
  /** Largest encoded message, in bytes. */
  maxMessageBytes: 1024 * 1024,
  /** Largest block range one `request` may ask for (and one `data` carry). */
  maxRequestBytes: 128 * 1024,
  /** Largest slice of metadata one `meta` message carries. */
  maxMetaChunkBytes: 256 * 1024,
  /** Largest whole metadata (info dict plus piece layers) a `meta` may announce. */
  maxMetadataBytes: 64 * 1024 * 1024,
  /** Most pieces a share may have; a bitfield holds at most this many bits. */
  maxPieces: 1 << 20,
  /** Largest byte offset inside a piece (the largest piece length, 16 MiB). */
  maxPieceOffset: 16 * 1024 * 1024,
  /** Most 32-byte hashes in a Merkle proof carried by `data`. */
  maxProofHashes: 64,
  /** Longest `agent` text in `hello`. */
  maxAgentLength: 64,
  /** Most listen addresses in `hello`, and most added/dropped peers in `pex`. */
  maxAddresses: 50,
  /** Longest address text. */
  maxAddressLength: 256,
  /** Most capabilities in `hello`. */
  maxCapabilities: 32,
  /** Longest capability name. */
  maxCapabilityLength: 32,
  /** Longest `reject` code. */
  maxRejectCodeLength: 32,
  /** Longest `reject` reason text. */
  maxReasonLength: 256,
  /** Largest body of an `ext` message (an optional protocol's message), in bytes. */
  maxExtensionBytes: 1024 * 1024 - 1024,
  /** Longest gossip topic, in bytes. */
  maxTopicBytes: 64,
  /** Largest gossip payload, in bytes. */
  maxGossipBytes: 64 * 1024,
  /** Largest request or transaction id (ids are unsigned 32-bit). */
  maxId: 0xffff_ffff,
  /**
   * Deepest nesting of lists and maps; the message map is depth 1, and the
   * deepest field of any message type (a list of strings) depth 2. Checked
   * on the raw bytes before decoding, so deep input costs no decoder time.
   */
  maxDepth: 4,
  /** Most msgpack values in one message, map keys included (the largest message type holds about 110). */
  maxValues: 1024,
  /** Most entries of one msgpack map. */
  maxMapEntries: 32,
  /** Most items of one msgpack list. */
  maxListItems: 64,
} as const

/** Bytes in an infohash (SHA-256). */
export const INFOHASH_BYTES = 32
