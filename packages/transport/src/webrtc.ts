/**
 * The WebRTC transport: one ordered, reliable data channel per connection,
 * carrying the same Noise-secured mycel connection as TCP and WebSocket do
 * (the data channel's DTLS is not trusted for identity). Addresses are
 * `webrtc://<peer id>`; offers and answers travel through a
 * {@link WebRtcSignaller} (in a mycel node, a peer both sides are connected
 * to). In Node the `RTCPeerConnection` comes from the optional
 * `node-datachannel` package, loaded on first use (install it beside
 * `@mycel/transport`; without it, dial and listen fail with
 * `WEBRTC_UNAVAILABLE`); in browsers (the `browser` export condition) it is
 * the platform's.
 *
 * @example
 * ```ts
 * import { webRtcTransport } from '@mycel/transport/webrtc'
 *
 * const webrtc = webRtcTransport({ signaller, iceServers: ['stun:stun.example.org:3478'] })
 * const stream = await webrtc.dial(`webrtc://${peerId}`)
 * ```
 *
 * @packageDocumentation
 */
import { TransportError } from './errors.js'
import type { WebRtcTransport, WebRtcTransportOptions } from './webrtc/api.js'
import { createWebRtcTransport } from './webrtc/transport.js'
import type { RtcPeerConnectionConstructor } from './webrtc/types.js'

export * from './webrtc/exports.js'

/** The module name of the optional Node WebRTC library. */
const NODE_DATACHANNEL_POLYFILL = 'node-datachannel/polyfill'

let loading: Promise<RtcPeerConnectionConstructor> | undefined

/**
 * The `RTCPeerConnection` class of `node-datachannel`, loaded once.
 *
 * @returns the class
 * @throws `TransportError` `WEBRTC_UNAVAILABLE` when `node-datachannel` is not installed or does not load
 */
export function loadRtcPeerConnection(): Promise<RtcPeerConnectionConstructor> {
  loading ??= (async () => {
    try {
      // A variable name: bundlers and the type checker leave the optional package alone.
      const module = (await import(/* @vite-ignore */ NODE_DATACHANNEL_POLYFILL)) as {
        RTCPeerConnection?: RtcPeerConnectionConstructor
        default?: { RTCPeerConnection?: RtcPeerConnectionConstructor }
      }
      const found = module.RTCPeerConnection ?? module.default?.RTCPeerConnection
      if (typeof found !== 'function') throw new Error('node-datachannel/polyfill has no RTCPeerConnection')
      return found
    } catch (error) {
      loading = undefined
      throw new TransportError(
        'WEBRTC_UNAVAILABLE',
        'WebRTC in Node needs the optional package node-datachannel (npm install node-datachannel)',
        { cause: error },
      )
    }
  })()
  return loading
}

/**
 * Creates a WebRTC transport. It dials `webrtc://<peer id>` addresses by
 * sending an offer through `options.signaller`, and listens (takes offers
 * from the signaller) on `webrtc://<our peer id>`. Without `iceServers` only
 * host candidates are gathered: peers on one LAN connect, peers behind
 * different NATs need a STUN server.
 *
 * @param options - the signaller, STUN servers, bounds; `RTCPeerConnection`: a class to use instead of `node-datachannel`'s
 * @returns the transport
 * @throws TypeError for a missing signaller or malformed options
 *
 * @example
 * ```ts
 * const webrtc = webRtcTransport({ signaller })
 * const listener = await webrtc.listen(`webrtc://${identity.toString()}`, { onConnection: serve })
 * ```
 */
export function webRtcTransport(
  options: WebRtcTransportOptions & { RTCPeerConnection?: RtcPeerConnectionConstructor },
): WebRtcTransport {
  const given = options.RTCPeerConnection
  return createWebRtcTransport(options, given === undefined ? loadRtcPeerConnection : () => Promise.resolve(given))
}
