export { decodeMessage, encodeMessage, encodeMessageParts } from './codec.js'
export { INFOHASH_BYTES, MESSAGE_LIMITS, PROTOCOL_VERSION } from './limits.js'
export type {
  BitfieldMessage,
  CancelMessage,
  DataMessage,
  GossipMessage,
  HaveMessage,
  HelloMessage,
  Message,
  MessageOf,
  MessageType,
  MetaGetMessage,
  MetaMessage,
  PexMessage,
  RejectMessage,
  RequestMessage,
} from './types.js'
