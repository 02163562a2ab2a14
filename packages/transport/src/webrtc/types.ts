/**
 * The parts of the WHATWG WebRTC API the WebRTC transport uses, declared
 * here so that no DOM type and no type of a Node WebRTC library reaches the
 * published `.d.ts` files. Browsers' `RTCPeerConnection` and the polyfill
 * of `node-datachannel` both implement them.
 * @module
 */

/** A session description as the WebRTC API gives and takes it. */
export interface RtcSessionDescriptionLike {
  /** `offer` or `answer` here. */
  readonly type: string
  /** The SDP text. */
  readonly sdp: string
}

/** The part of `RTCDataChannel` the transport uses. */
export interface RtcDataChannelLike {
  binaryType: string
  readonly readyState: string
  readonly bufferedAmount: number
  bufferedAmountLowThreshold: number
  send(data: Uint8Array | string): void
  close(): void
  addEventListener(type: string, listener: (event: never) => void): void
  removeEventListener(type: string, listener: (event: never) => void): void
}

/** The part of `RTCPeerConnection` the transport uses. */
export interface RtcPeerConnectionLike {
  readonly localDescription: RtcSessionDescriptionLike | null
  readonly iceGatheringState: string
  readonly connectionState: string
  createDataChannel(label: string, init?: { ordered?: boolean; negotiated?: boolean; id?: number }): RtcDataChannelLike
  createOffer(): Promise<RtcSessionDescriptionLike>
  createAnswer(): Promise<RtcSessionDescriptionLike>
  setLocalDescription(description: RtcSessionDescriptionLike): Promise<void>
  setRemoteDescription(description: RtcSessionDescriptionLike): Promise<void>
  addEventListener(type: string, listener: (event: never) => void): void
  removeEventListener(type: string, listener: (event: never) => void): void
  close(): void
}

/** An `RTCPeerConnection` class (the browser's, or `node-datachannel`'s polyfill). */
export type RtcPeerConnectionConstructor = new (configuration: {
  iceServers: Array<{ urls: string[] }>
}) => RtcPeerConnectionLike

/**
 * How a WebRTC transport exchanges session descriptions with a peer it has
 * no connection to yet: through something both can reach (in a mycel node,
 * a peer both are connected to, see `signal/1` in `docs/protocol.md`). The
 * descriptions are complete (every ICE candidate gathered), so one offer and
 * one answer set up a connection. Nothing the signaller carries is trusted
 * for identity: the Noise handshake over the data channel checks the peer id.
 */
export interface WebRtcSignaller {
  /**
   * Sends our offer to `peerId` and waits for its answer.
   *
   * @param peerId - the peer to reach, in its text form
   * @param offerSdp - our complete offer
   * @param options - aborting gives up on the answer
   * @returns the peer's complete answer
   * @throws any error when there is no way to reach the peer or it refused
   */
  exchange(peerId: string, offerSdp: string, options: { signal: AbortSignal }): Promise<string>
  /**
   * Installs the function that answers offers arriving for `localPeerId`
   * (a transport listening on `webrtc://<localPeerId>`).
   *
   * @param localPeerId - the peer id offers are addressed to
   * @param answer - turns an offer from `peerId` into our complete answer
   * @returns a function that uninstalls it (offers are then refused)
   * @throws any error when the signaller cannot take offers for `localPeerId`
   */
  onOffer(localPeerId: string, answer: (peerId: string, offerSdp: string) => Promise<string>): () => void
}
