/** `hello`: the first message each side sends after the secure handshake. */
export interface HelloMessage {
  type: 'hello'
  /** Peer protocol version ({@link PROTOCOL_VERSION}). */
  version: number
  /** Free-form software name and version, e.g. `mycel/0.1.0`. */
  agent: string
  /** Addresses the sender accepts connections on, e.g. `tcp://203.0.113.5:4001`. */
  listen: string[]
  /** Optional protocols the sender speaks, by name and version: `pex/1`, `gossip/1`. */
  capabilities: string[]
}

/** `meta-get`: asks for part of a share's metadata (info dict and piece layers). */
export interface MetaGetMessage {
  type: 'meta-get'
  /** Request id, echoed by the `meta` or `reject` that answers. */
  id: number
  /** The share's infohash (32 bytes). */
  infohash: Uint8Array
  /** Byte offset into the metadata to start from. */
  offset: number
}

/** `meta`: one slice of a share's metadata, answering a `meta-get`. */
export interface MetaMessage {
  type: 'meta'
  /** Id of the `meta-get` this answers. */
  id: number
  /** Size of the whole metadata in bytes. */
  total: number
  /** Offset of `bytes` in the whole metadata. */
  offset: number
  /** The slice itself. */
  bytes: Uint8Array
}

/** `bitfield`: which pieces of a share the sender holds. */
export interface BitfieldMessage {
  type: 'bitfield'
  infohash: Uint8Array
  /** One bit per piece, most significant bit of byte 0 is piece 0. */
  bits: Uint8Array
}

/** `have`: the sender completed (and verified) one more piece. */
export interface HaveMessage {
  type: 'have'
  infohash: Uint8Array
  piece: number
}

/** `request`: asks for a byte range of one piece. */
export interface RequestMessage {
  type: 'request'
  /** Request id, unique among the sender's requests in flight on this connection. */
  id: number
  infohash: Uint8Array
  piece: number
  /** Offset within the piece. */
  offset: number
  /** Number of bytes, at most {@link MESSAGE_LIMITS}.maxRequestBytes. */
  length: number
  /** Whether the answer should carry a Merkle proof for the range. */
  proof: boolean
}

/** `data`: the bytes answering a `request`. */
export interface DataMessage {
  type: 'data'
  /** Id of the `request` this answers. */
  id: number
  /** The requested bytes. */
  bytes: Uint8Array
  /** Concatenated 32-byte sibling hashes, present when the request asked for a proof. */
  proof?: Uint8Array
}

/** `reject`: the sender will not answer a `request` or `meta-get`. */
export interface RejectMessage {
  type: 'reject'
  /** Id of the refused request. */
  id: number
  /** Stable reason code, e.g. `NOT_FOUND`, `BUSY`. */
  code: string
  /** Optional human-readable detail. */
  reason?: string
}

/** `cancel`: the sender no longer wants the answer to one of its requests. */
export interface CancelMessage {
  type: 'cancel'
  id: number
}

/**
 * `ext`: a message of an optional protocol that both sides listed in their
 * `hello` capabilities (`pex/1`, `gossip/1`, ...). Its body is the
 * protocol's own encoding; a receiver that does not speak the protocol
 * ignores it.
 */
export interface ExtensionMessage {
  type: 'ext'
  /** The protocol's name, exactly as in `hello.capabilities`. */
  protocol: string
  /** The protocol's message. */
  body: Uint8Array
}

/** The body of a `pex/1` message: peers of a swarm that the sender connected to or lost. */
export interface PexBody {
  /** The share (32 bytes). */
  infohash: Uint8Array
  /** Transport addresses of peers that joined the swarm. */
  added: string[]
  /** Transport addresses of peers that left it. */
  dropped: string[]
}

/** The body of a `gossip/1` message: a pushed update on a topic (channels use it). */
export interface GossipBody {
  /** What the update is about (1 to 64 bytes). */
  topic: Uint8Array
  /** The update. */
  payload: Uint8Array
}

/** Every message of the peer protocol, discriminated by `type`. */
export type Message =
  | HelloMessage
  | MetaGetMessage
  | MetaMessage
  | BitfieldMessage
  | HaveMessage
  | RequestMessage
  | DataMessage
  | RejectMessage
  | CancelMessage
  | ExtensionMessage

/** The `type` tags of {@link Message}. */
export type MessageType = Message['type']

/** The message of a given type. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>
