import type { Identity, Transport } from '@mycel/transport'
import { type RtcPeerConnectionConstructor, webRtcTransport } from '@mycel/transport/webrtc'
import type { Logger } from '@mycel/wire/log'
import type { PeerSource } from '../discovery/peer-source.js'
import { type OpenTrackerSocket, WsTrackerClient } from '../discovery/ws-tracker/ws-tracker-client.js'
import type { ConnectionProtocol } from '../peer/protocols.js'
import { SignalProtocol } from './signal-protocol.js'
import { SignalPeerSource } from './signal-source.js'

/**
 * WebRTC options of a node (`createNode({ webrtc })`, `createBrowserNode({ webrtc })`).
 *
 * @example
 * ```ts
 * const node = await createNode({ webrtc: { iceServers: ['stun:stun.example.org:3478'] } })
 * ```
 */
export interface WebRtcNodeOptions {
  /**
   * Whether the node dials and answers WebRTC data channels itself (in
   * Node this needs the optional package `node-datachannel`). Default: true
   * in browsers; in Node, true when `webrtc` is given.
   */
  connect?: boolean
  /**
   * Whether the node passes offers between two of its peers (`signal/1`),
   * within the bounds of `docs/limits.md`. Default true.
   */
  relay?: boolean
  /**
   * STUN servers (`stun:host:port`), to find a public address behind a NAT.
   * Default none: host candidates only, which works on a LAN.
   */
  iceServers?: string[]
  /** The `RTCPeerConnection` class; default the browser's, or `node-datachannel`'s in Node. */
  RTCPeerConnection?: RtcPeerConnectionConstructor
}

/** What WebRTC adds to a node's parts. @internal */
export interface WebRtcParts {
  protocols: ConnectionProtocol[]
  transports: Transport[]
  /** `webrtc://<our peer id>` when the node answers offers. */
  listen: string[]
  /** Finds WebRTC peers of a share through the middle peers (`join`), when the node answers offers. */
  sources: PeerSource[]
  /** The client of `ws:`/`wss:` trackers, when the node connects over WebRTC and can open WebSockets. */
  wsTrackers: WsTrackerClient | undefined
}

/**
 * The signalling protocol, and when the node connects over WebRTC itself,
 * the transport and its listen address.
 *
 * @param identity - the node's identity
 * @param options - the app's `webrtc` option (`false`: none of it)
 * @param connectByDefault - whether WebRTC connections are made when the options do not say
 * @param logger - where the parts log
 * @param openTrackerSocket - opens a WebSocket to a tracker (`ws` in Node, the platform's in pages); none: no
 *   WebSocket trackers
 * @returns the parts to add to the node
 * @throws TypeError for malformed options
 * @internal
 */
export function webRtcParts(
  identity: Identity,
  options: WebRtcNodeOptions | false | undefined,
  connectByDefault: boolean,
  logger: Logger | undefined,
  openTrackerSocket?: OpenTrackerSocket,
): WebRtcParts {
  if (options === false) return { protocols: [], transports: [], listen: [], sources: [], wsTrackers: undefined }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError('webrtc must be false or an object')
  }
  const localPeerId = identity.toString()
  const signalling = new SignalProtocol({
    localPeerId,
    relay: options?.relay ?? true,
    ...(logger === undefined ? {} : { logger }),
  })
  const connect = options?.connect ?? (options !== undefined || connectByDefault)
  if (!connect) return { protocols: [signalling], transports: [], listen: [], sources: [], wsTrackers: undefined }
  const transport = webRtcTransport({
    signaller: signalling,
    ...(options?.iceServers === undefined ? {} : { iceServers: options.iceServers }),
    ...(options?.RTCPeerConnection === undefined ? {} : { RTCPeerConnection: options.RTCPeerConnection }),
    ...(logger === undefined ? {} : { logger }),
  })
  return {
    protocols: [signalling],
    transports: [transport],
    listen: [`webrtc://${localPeerId}`],
    sources: [new SignalPeerSource(signalling, localPeerId)],
    wsTrackers:
      openTrackerSocket === undefined
        ? undefined
        : new WsTrackerClient({ rtc: transport, openSocket: openTrackerSocket, logger }),
  }
}
