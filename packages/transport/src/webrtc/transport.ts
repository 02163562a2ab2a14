/**
 * The WebRTC transport's implementation, whatever the platform: dials of
 * `webrtc://<peer id>` through the signaller, offers answered for the
 * listener, and unaddressed offers (a WebSocket tracker's).
 * @module
 */
import { integerOption } from '@mycel/wire/assert'
import { componentLogger, describeError } from '@mycel/wire/log'
import { linkSignals } from '@mycel/wire/signal'
import { abortError } from '../abort.js'
import { AcceptQueue } from '../accept-queue.js'
import { parseAddress } from '../address.js'
import { TransportError } from '../errors.js'
import type { ByteStream } from '../stream.js'
import type { DialOptions, Listener, ListenOptions } from '../transport.js'
import { OFFER_SCHEME, type UnaddressedOffer, type WebRtcTransport, type WebRtcTransportOptions } from './api.js'
import { abortable, channelOpen, checkIceServers, gathered, incomingChannel, randomOfferId } from './session.js'
import { DataChannelStream } from './stream.js'
import type { RtcDataChannelLike, RtcPeerConnectionConstructor, RtcPeerConnectionLike } from './types.js'

/** The label of the one data channel of a connection. */
export const DATA_CHANNEL_LABEL = 'mycel'

/** Offers a dial makes when the answers are refused by the local WebRTC stack. */
const MAX_DIAL_ATTEMPTS = 3

/** The local WebRTC stack did not take the remote's answer. */
class AnswerRefused extends Error {
  constructor(cause: unknown) {
    super('the answer was refused', { cause })
  }
}

/** Loads the `RTCPeerConnection` class, or fails with `WEBRTC_UNAVAILABLE`. @internal */
export type RtcLoader = () => Promise<RtcPeerConnectionConstructor>

/**
 * The WebRTC transport, whatever the platform: `load` gives the
 * `RTCPeerConnection` class (the browser's, or `node-datachannel`'s).
 * @internal
 */
export function createWebRtcTransport(options: WebRtcTransportOptions, load: RtcLoader): WebRtcTransport {
  const { signaller } = options
  if (typeof signaller !== 'object' || signaller === null || typeof signaller.exchange !== 'function') {
    throw new TypeError('options.signaller must be a WebRtcSignaller (exchange, onOffer)')
  }
  const iceServers = checkIceServers(options.iceServers)
  const highWaterMark = integerOption(options.highWaterMark, 'highWaterMark', {
    min: 1,
    max: 8 * 1024 * 1024,
    fallback: 1024 * 1024,
  })
  const gatherTimeoutMs = integerOption(options.gatherTimeoutMs, 'gatherTimeoutMs', {
    min: 1,
    max: 600_000,
    fallback: 5000,
  })
  const connectTimeoutMs = integerOption(options.connectTimeoutMs, 'connectTimeoutMs', {
    min: 1,
    max: 600_000,
    fallback: 20_000,
  })
  const maxPendingAnswers = integerOption(options.maxPendingAnswers, 'maxPendingAnswers', {
    min: 0,
    max: 4096,
    fallback: 16,
  })
  const maxPendingOffers = integerOption(options.maxPendingOffers, 'maxPendingOffers', {
    min: 0,
    max: 4096,
    fallback: 32,
  })
  const offerLifetimeMs = integerOption(options.offerLifetimeMs, 'offerLifetimeMs', {
    min: 1,
    max: 600_000,
    fallback: 60_000,
  })
  const log = componentLogger(options.logger, 'mycel:transport')
  const offers = new Map<string, Offered>()
  const streams = new Set<ByteStream>()
  const pending = new Set<RtcPeerConnectionLike>()
  const listening = new Map<string, { queue: AcceptQueue; stop: () => void }>()
  let closing: Promise<void> | undefined
  let answering = 0

  const adopt = (connection: RtcPeerConnectionLike, channel: RtcDataChannelLike, address: string): ByteStream => {
    const stream = new DataChannelStream(connection, channel, address, {
      highWaterMark,
      onRelease: (s) => streams.delete(s),
    })
    streams.add(stream)
    return stream
  }

  /** Runs `setUp` on a fresh peer connection, bounded by the connect timeout; closes it on failure. */
  const connect = async <T>(
    signal: AbortSignal | undefined,
    setUp: (connection: RtcPeerConnectionLike, signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    const RTCPeerConnection = await load()
    const link = linkSignals([signal], {
      timeoutMs: connectTimeoutMs,
      timeoutReason: () => new TransportError('DIAL_FAILED', `no data channel within ${connectTimeoutMs} ms`),
    })
    const connection = new RTCPeerConnection({ iceServers: iceServers.length === 0 ? [] : [{ urls: [...iceServers] }] })
    pending.add(connection)
    try {
      return await setUp(connection, link.signal)
    } catch (error) {
      connection.close()
      throw error
    } finally {
      pending.delete(connection)
      link.dispose()
    }
  }

  /** Closes an unaddressed offer's connection and forgets it. */
  const dropOffer = (id: string): void => {
    const offered = offers.get(id)
    if (offered === undefined) return
    offers.delete(id)
    clearTimeout(offered.timer)
    offered.lifetime.abort(new TransportError('DIAL_FAILED', 'the offer was given up'))
    offered.connection.close()
  }

  /** Dials `webrtc-offer://<id>`: the connection of an answered unaddressed offer, once open. */
  const dialOffer = async (id: string, address: string, signal: AbortSignal | undefined): Promise<ByteStream> => {
    const offered = offers.get(id)
    if (offered?.opened === undefined) {
      throw new TransportError('DIAL_FAILED', `${address}: no answered offer of that id (unknown, dialled or expired)`)
    }
    // Taken: the lifetime no longer closes it, the dial's own bounds do.
    offers.delete(id)
    clearTimeout(offered.timer)
    const link = linkSignals([signal], {
      timeoutMs: connectTimeoutMs,
      timeoutReason: () => new TransportError('DIAL_FAILED', `no data channel within ${connectTimeoutMs} ms`),
    })
    try {
      await abortable(offered.opened, link.signal)
      if (closing !== undefined) throw TransportError.closed('the transport')
      return adopt(offered.connection, offered.channel, address)
    } catch (error) {
      offered.connection.close()
      if (signal?.aborted) throw abortError(signal)
      if (error instanceof TransportError && error.code !== 'ABORTED') throw error
      throw new TransportError('DIAL_FAILED', `could not open a data channel to ${address}`, { cause: error })
    } finally {
      link.dispose()
    }
  }

  const answer = async (queue: AcceptQueue, label: string, offerSdp: string): Promise<string> => {
    if (closing !== undefined) throw TransportError.closed('the WebRTC listener')
    if (answering >= maxPendingAnswers) {
      throw new TransportError('DIAL_FAILED', `${maxPendingAnswers} offers are being answered already`)
    }
    answering++
    let answered: (sdp: string) => void = () => {}
    const answerSdp = new Promise<string>((resolve) => {
      answered = resolve
    })
    // The answer goes back while the connection is still being set up; the
    // channel opens once the offerer has it.
    const opened = connect(undefined, async (connection, signal) => {
      const channelPromise = incomingChannel(connection, signal)
      await connection.setRemoteDescription({ type: 'offer', sdp: offerSdp })
      await connection.setLocalDescription(await connection.createAnswer())
      answered(await gathered(connection, gatherTimeoutMs, signal))
      const channel = await channelPromise
      await channelOpen(channel, connection, signal)
      return adopt(connection, channel, label)
    })
    opened.then(
      (stream) => queue.accept(stream),
      (error) => log.debug(`the WebRTC connection offered by ${label} failed: ${describeError(error)}`),
    )
    opened.finally(() => answering--).catch(() => {})
    return Promise.race([answerSdp, opened.then(() => answerSdp)])
  }

  return {
    schemes: ['webrtc', OFFER_SCHEME],
    async dial(address: string, dialOptions?: DialOptions): Promise<ByteStream> {
      const { scheme, host: peerId } = parseAddress(address)
      if (scheme !== 'webrtc' && scheme !== OFFER_SCHEME) {
        throw new TransportError('ADDRESS_UNSUPPORTED', `not a WebRTC address: ${address}`)
      }
      if (closing !== undefined) throw TransportError.closed('the transport')
      const signal = dialOptions?.signal
      if (signal?.aborted) throw abortError(signal)
      if (scheme === OFFER_SCHEME) return dialOffer(peerId, address, signal)
      // libdatachannel now and then refuses a well-formed answer under load ("Got a remote
      // candidate without ICE transport", its issue, seen with two peers in one process):
      // a fresh peer connection and offer then go through.
      for (let attempt = 1; ; attempt++) {
        try {
          return await connect(signal, async (connection, linked) => {
            const channel = connection.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true })
            await connection.setLocalDescription(await connection.createOffer())
            const offer = await gathered(connection, gatherTimeoutMs, linked)
            const answerSdp = await abortable(signaller.exchange(peerId, offer, { signal: linked }), linked).catch(
              (error: unknown) => {
                if (linked.aborted) throw error
                throw new TransportError('DIAL_FAILED', `no answer from ${peerId} through the signaller`, {
                  cause: error,
                })
              },
            )
            try {
              await connection.setRemoteDescription({ type: 'answer', sdp: answerSdp })
            } catch (error) {
              throw new AnswerRefused(error)
            }
            await channelOpen(channel, connection, linked)
            if (closing !== undefined) throw TransportError.closed('the transport')
            return adopt(connection, channel, `webrtc://${peerId}`)
          })
        } catch (error) {
          if (signal?.aborted) throw abortError(signal)
          if (error instanceof AnswerRefused && attempt < MAX_DIAL_ATTEMPTS && closing === undefined) continue
          log.debug(`dial ${address} failed: ${describeError(error)}`, { address })
          if (error instanceof TransportError && error.code !== 'ABORTED') throw error
          const cause = error instanceof AnswerRefused ? error.cause : error
          throw new TransportError('DIAL_FAILED', `could not open a data channel to ${address}`, { cause })
        }
      }
    },
    async listen(address: string, listenOptions?: ListenOptions): Promise<Listener> {
      const { scheme, host: localPeerId } = parseAddress(address)
      if (scheme !== 'webrtc') throw new TransportError('ADDRESS_UNSUPPORTED', `not a WebRTC address: ${address}`)
      if (closing !== undefined) throw TransportError.closed('the transport')
      if (listening.has(localPeerId)) throw new TransportError('LISTEN_FAILED', `${address} is listened on already`)
      const signal = listenOptions?.signal
      if (signal?.aborted) throw abortError(signal)
      await load()
      if (signal?.aborted) throw abortError(signal)
      if (listening.has(localPeerId)) throw new TransportError('LISTEN_FAILED', `${address} is listened on already`)
      const queue = new AcceptQueue(listenOptions?.onConnection, undefined, log)
      let stop: () => void
      try {
        stop = signaller.onOffer(localPeerId, (peerId, offerSdp) => answer(queue, `webrtc://${peerId}`, offerSdp))
      } catch (error) {
        throw new TransportError('LISTEN_FAILED', `the signaller takes no offers for ${address}`, { cause: error })
      }
      const current = { queue, stop }
      listening.set(localPeerId, current)
      let ended: Promise<void> | undefined
      const close = (): Promise<void> => {
        ended ??= (async () => {
          current.stop()
          if (listening.get(localPeerId) === current) listening.delete(localPeerId)
          await queue.end()
        })()
        return ended
      }
      signal?.addEventListener('abort', () => void close(), { once: true })
      return {
        addresses: [`webrtc://${localPeerId}`],
        close,
        [Symbol.asyncIterator]: () => queue.iterator(),
      }
    },
    async createOffer(offerOptions?: { signal?: AbortSignal }): Promise<UnaddressedOffer> {
      if (closing !== undefined) throw TransportError.closed('the transport')
      const signal = offerOptions?.signal
      if (signal?.aborted) throw abortError(signal)
      if (offers.size >= maxPendingOffers) {
        throw new TransportError('DIAL_FAILED', `${maxPendingOffers} unaddressed offers are pending already`)
      }
      const RTCPeerConnection = await load()
      const id = randomOfferId()
      const connection = new RTCPeerConnection({
        iceServers: iceServers.length === 0 ? [] : [{ urls: [...iceServers] }],
      })
      const lifetime = new AbortController()
      const offered: Offered = {
        connection,
        channel: connection.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true }),
        lifetime,
        timer: setTimeout(() => dropOffer(id), offerLifetimeMs),
        opened: undefined,
      }
      offers.set(id, offered)
      const link = linkSignals([signal, lifetime.signal])
      try {
        await connection.setLocalDescription(await connection.createOffer())
        const sdp = await gathered(connection, gatherTimeoutMs, link.signal)
        if (closing !== undefined) throw TransportError.closed('the transport')
        return { id, sdp }
      } catch (error) {
        dropOffer(id)
        if (signal?.aborted) throw abortError(signal)
        throw error
      } finally {
        link.dispose()
      }
    },
    async acceptAnswer(id: string, answerSdp: string): Promise<string> {
      const offered = offers.get(id)
      if (offered === undefined || offered.opened !== undefined) {
        throw new TransportError('DIAL_FAILED', 'no unaddressed offer of that id waits for an answer')
      }
      try {
        await offered.connection.setRemoteDescription({ type: 'answer', sdp: answerSdp })
      } catch (error) {
        dropOffer(id)
        throw new TransportError('DIAL_FAILED', 'the answer was refused', { cause: error })
      }
      const opened = channelOpen(offered.channel, offered.connection, offered.lifetime.signal)
      opened.catch(() => {})
      offered.opened = opened
      return `${OFFER_SCHEME}://${id}`
    },
    cancelOffer(id: string): void {
      dropOffer(id)
    },
    async answerOffer(offerSdp: string): Promise<string> {
      if (closing !== undefined) throw TransportError.closed('the transport')
      const listener = listening.values().next().value
      if (listener === undefined) throw new TransportError('DIAL_FAILED', 'nothing listens for WebRTC connections')
      return answer(listener.queue, `${OFFER_SCHEME}://${randomOfferId()}`, offerSdp)
    },
    close() {
      closing ??= (async () => {
        for (const id of [...offers.keys()]) dropOffer(id)
        const listeners = [...listening.values()]
        listening.clear()
        for (const listener of listeners) listener.stop()
        await Promise.all(listeners.map((listener) => listener.queue.end()))
        for (const connection of pending) connection.close()
        await Promise.all([...streams].map((stream) => stream.close()))
      })()
      return closing
    },
  }
}

/** An unaddressed offer this transport made: its connection, until dialled or dropped. */
interface Offered {
  readonly connection: RtcPeerConnectionLike
  readonly channel: RtcDataChannelLike
  /** Aborts when the offer is dropped (its lifetime ended, it was given up, the transport closed). */
  readonly lifetime: AbortController
  readonly timer: ReturnType<typeof setTimeout>
  /** Set once an answer was taken: resolves when the data channel is open. */
  opened: Promise<void> | undefined
}
