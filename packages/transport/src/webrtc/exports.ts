/**
 * What both builds of `@mycel/transport/webrtc` (Node's and the browser's)
 * export besides `webRtcTransport` and `loadRtcPeerConnection`: one list, so
 * that the two entry points cannot drift apart.
 * @module
 */
export {
  OFFER_SCHEME,
  type UnaddressedOffer,
  type WebRtcTransport,
  type WebRtcTransportOptions,
} from './api.js'
export { MAX_DATA_CHANNEL_MESSAGE_BYTES, MAX_HELD_BYTES } from './stream.js'
export { DATA_CHANNEL_LABEL } from './transport.js'
export type {
  RtcDataChannelLike,
  RtcPeerConnectionConstructor,
  RtcPeerConnectionLike,
  RtcSessionDescriptionLike,
  WebRtcSignaller,
} from './types.js'
