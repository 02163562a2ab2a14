/**
 * The steps of a WebRTC connection the transport waits on: ICE gathering,
 * the offerer's data channel arriving, the channel opening; and the checks
 * and ids it makes.
 * @module
 */
import { TransportError } from '../errors.js'
import type { RtcDataChannelLike, RtcPeerConnectionLike } from './types.js'

/** 16 random bytes in hex: an offer id (never derived from our identity). */
export function randomOfferId(): string {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** Checks the STUN server URLs. */
export function checkIceServers(servers: readonly string[] | undefined): readonly string[] {
  if (servers === undefined) return []
  if (!Array.isArray(servers) || servers.length > 16)
    throw new TypeError('iceServers must be an array of at most 16 URLs')
  for (const server of servers) {
    if (typeof server !== 'string' || !/^stuns?:[^\s]{1,250}$/.test(server)) {
      throw new TypeError(`iceServers holds ${JSON.stringify(server)}: expected stun:host[:port]`)
    }
  }
  return [...servers]
}

/** Rejects when `signal` aborts, without waiting for `promise`. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** The local description once ICE gathering is complete (or the gather bound is reached). */
export async function gathered(
  connection: RtcPeerConnectionLike,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string> {
  if (connection.iceGatheringState !== 'complete') {
    await abortable(
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs)
        function done(): void {
          clearTimeout(timer)
          connection.removeEventListener('icegatheringstatechange', onChange)
          resolve()
        }
        function onChange(): void {
          if (connection.iceGatheringState === 'complete') done()
        }
        connection.addEventListener('icegatheringstatechange', onChange)
        signal.addEventListener('abort', done, { once: true })
      }),
      signal,
    )
  }
  const sdp = connection.localDescription?.sdp
  if (sdp === undefined || sdp === '') throw new TransportError('DIAL_FAILED', 'no local description was made')
  return sdp
}

/** The data channel the offerer opens. */
export function incomingChannel(connection: RtcPeerConnectionLike, signal: AbortSignal): Promise<RtcDataChannelLike> {
  return abortable(
    new Promise<RtcDataChannelLike>((resolve) => {
      const onChannel = (event: { channel: RtcDataChannelLike }): void => {
        if (event.channel === undefined) return
        connection.removeEventListener('datachannel', onChannel)
        resolve(event.channel)
      }
      connection.addEventListener('datachannel', onChannel)
      signal.addEventListener('abort', () => connection.removeEventListener('datachannel', onChannel), {
        once: true,
      })
    }),
    signal,
  )
}

/** Resolves once `channel` is open; rejects when it or the connection fails first. */
export function channelOpen(
  channel: RtcDataChannelLike,
  connection: RtcPeerConnectionLike,
  signal: AbortSignal,
): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve()
  return abortable(
    new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        channel.removeEventListener('open', onOpen)
        channel.removeEventListener('close', onFail)
        connection.removeEventListener('connectionstatechange', onState)
      }
      const onOpen = (): void => {
        cleanup()
        resolve()
      }
      const onFail = (): void => {
        cleanup()
        reject(new TransportError('DIAL_FAILED', 'the data channel closed before it opened'))
      }
      const onState = (): void => {
        if (connection.connectionState === 'failed' || connection.connectionState === 'closed') onFail()
      }
      channel.addEventListener('open', onOpen)
      channel.addEventListener('close', onFail)
      connection.addEventListener('connectionstatechange', onState)
      signal.addEventListener('abort', cleanup, { once: true })
    }),
    signal,
  )
}
