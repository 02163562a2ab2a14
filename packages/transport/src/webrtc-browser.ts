/**
 * The browser build of `@mycel/transport/webrtc` (selected by the
 * `browser` export condition): the platform's `RTCPeerConnection`. Same API
 * as the Node build.
 *
 * @example
 * ```ts
 * import { webRtcTransport } from '@mycel/transport/webrtc'
 *
 * const stream = await webRtcTransport({ signaller }).dial(`webrtc://${peerId}`)
 * ```
 *
 * @packageDocumentation
 */
import { TransportError } from './errors.js'
import type { WebRtcTransport, WebRtcTransportOptions } from './webrtc/api.js'
import { createWebRtcTransport } from './webrtc/transport.js'
import type { RtcPeerConnectionConstructor } from './webrtc/types.js'

export * from './webrtc/exports.js'

/**
 * The platform's `RTCPeerConnection` class.
 *
 * @returns the class
 * @throws `TransportError` `WEBRTC_UNAVAILABLE` when the runtime has none
 */
export function loadRtcPeerConnection(): Promise<RtcPeerConnectionConstructor> {
  const found = (globalThis as { RTCPeerConnection?: RtcPeerConnectionConstructor }).RTCPeerConnection
  if (typeof found !== 'function') {
    return Promise.reject(new TransportError('WEBRTC_UNAVAILABLE', 'this runtime has no RTCPeerConnection'))
  }
  return Promise.resolve(found)
}

/**
 * Creates a WebRTC transport over the browser's `RTCPeerConnection`; see
 * the Node build for the contract.
 *
 * @param options - the signaller, STUN servers, bounds; `RTCPeerConnection`: a class to use instead of the platform's
 * @returns the transport
 * @throws TypeError for a missing signaller or malformed options
 */
export function webRtcTransport(
  options: WebRtcTransportOptions & { RTCPeerConnection?: RtcPeerConnectionConstructor },
): WebRtcTransport {
  const given = options.RTCPeerConnection
  return createWebRtcTransport(options, given === undefined ? loadRtcPeerConnection : () => Promise.resolve(given))
}
