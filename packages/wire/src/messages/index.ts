export { decodeMessage, encodeMessage, encodeMessageParts } from './codec.js'
export {
  decodeGossipBody,
  decodePexBody,
  encodeGossipBody,
  encodePexBody,
  GOSSIP_PROTOCOL,
  PEX_PROTOCOL,
} from './extensions.js'
export { INFOHASH_BYTES, MESSAGE_LIMITS, PROTOCOL_VERSION } from './limits.js'
export type {
  BitfieldMessage,
  CancelMessage,
  DataMessage,
  ExtensionMessage,
  GossipBody,
  HaveMessage,
  HelloMessage,
  Message,
  MessageOf,
  MessageType,
  MetaGetMessage,
  MetaMessage,
  PexBody,
  RejectMessage,
  RequestMessage,
} from './types.js'
