import { sha256 } from '@noble/hashes/sha2.js'
import * as vitest from 'vitest'
import { afterEach, describe, expect, it } from 'vitest'
import type { ByteStream, Transport } from '../src/index.js'
import { Identity, TransportError } from '../src/index.js'
import { collectStream } from '../src/testing/streams.js'
import { transportCompliance } from '../src/testing.js'
import { loadRtcPeerConnection, type WebRtcSignaller, webRtcTransport } from '../src/webrtc.js'
import { webRtcTransport as browserWebRtcTransport } from '../src/webrtc-browser.js'

/**
 * Signalling within the process: offers for a peer id go to the answerer
 * its transport installed. What a mycel node's `signal/1` does through a
 * peer, without the peer.
 */
class Switchboard {
  readonly answerers = new Map<string, (from: string, sdp: string) => Promise<string>>()
  offers = 0

  signallerFor(self: string): WebRtcSignaller {
    return {
      exchange: async (peerId, offerSdp) => {
        this.offers++
        const answerer = this.answerers.get(peerId)
        if (answerer === undefined) throw new Error(`nobody answers for ${peerId}`)
        return answerer(self, offerSdp)
      },
      onOffer: (localPeerId, answer) => {
        this.answerers.set(localPeerId, answer)
        return () => {
          if (this.answerers.get(localPeerId) === answer) this.answerers.delete(localPeerId)
        }
      },
    }
  }
}

const PLACEHOLDER = `webrtc://${'a'.repeat(52)}`

// The compliance suite listens twice on its one listen address and expects a
// fresh address each time (as port 0 gives): listening on the placeholder
// listens on a new peer id.
transportCompliance(
  vitest,
  'webrtc (node-datachannel, host candidates on 127.0.0.1)',
  () => {
    const board = new Switchboard()
    const webrtc = webRtcTransport({ signaller: board.signallerFor(Identity.generate().toString()) })
    const transport: Transport = {
      schemes: webrtc.schemes,
      dial: (address, options) => webrtc.dial(address, options),
      listen: (address, options) =>
        webrtc.listen(address === PLACEHOLDER ? `webrtc://${Identity.generate().toString()}` : address, options),
      close: () => webrtc.close(),
    }
    return { transport, listenAddress: PLACEHOLDER }
  },
  { largeTransferBytes: 4 * 1024 * 1024, concurrentConnections: 6 },
)

describe('webrtc transport', () => {
  const opened: Transport[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((transport) => transport.close()))
  })

  function pair(): { board: Switchboard; dialer: Transport; listener: Transport; listenerId: string } {
    const board = new Switchboard()
    const listenerId = Identity.generate().toString()
    const dialer = webRtcTransport({ signaller: board.signallerFor(Identity.generate().toString()) })
    const listener = webRtcTransport({ signaller: board.signallerFor(listenerId) })
    opened.push(dialer, listener)
    return { board, dialer, listener, listenerId }
  }

  it('loads node-datachannel', async () => {
    expect(typeof (await loadRtcPeerConnection())).toBe('function')
  })

  it('sends 64 KiB messages at most, whatever the write size, and the bytes arrive intact', async () => {
    const { dialer, listener, listenerId } = pair()
    const accepted = new Promise<ByteStream>((resolve) => {
      void listener.listen(`webrtc://${listenerId}`, { onConnection: resolve })
    })
    await new Promise<void>((resolve) => setTimeout(resolve, 0))
    const client = await dialer.dial(`webrtc://${listenerId}`)
    expect(client.remoteAddress).toBe(`webrtc://${listenerId}`)
    const server = await accepted
    const received = collectStream(server, { onEnd: () => server.end() })
    const data = new Uint8Array(1024 * 1024 + 17)
    crypto.getRandomValues(data.subarray(0, 65536))
    for (let offset = 65536; offset < data.length; offset += 65536) {
      data.copyWithin(offset, 0, Math.min(65536, data.length - offset))
    }
    // One write of 1 MiB: split into messages the data channel takes.
    client.start({ onData: () => {}, onEnd: () => {}, onDrain: () => {}, onClose: () => {} })
    client.write(data)
    client.end()
    const result = await received
    expect(sha256(result.bytes)).toEqual(sha256(data))
  })

  it('fails with WEBRTC_UNAVAILABLE where there is no RTCPeerConnection (the browser build in Node)', async () => {
    expect((globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection).toBeUndefined()
    const board = new Switchboard()
    const transport = browserWebRtcTransport({ signaller: board.signallerFor('x') })
    opened.push(transport)
    const peer = `webrtc://${Identity.generate().toString()}`
    await expect(transport.dial(peer)).rejects.toMatchObject({ code: 'WEBRTC_UNAVAILABLE' })
    await expect(transport.listen(peer)).rejects.toMatchObject({ code: 'WEBRTC_UNAVAILABLE' })
  })

  it('fails a dial with DIAL_FAILED when the signaller finds nobody to answer', async () => {
    const { dialer } = pair()
    const error = await dialer.dial(`webrtc://${Identity.generate().toString()}`).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).code).toBe('DIAL_FAILED')
  })

  it('refuses offers beyond maxPendingAnswers', async () => {
    const board = new Switchboard()
    const listenerId = Identity.generate().toString()
    const listener = webRtcTransport({ signaller: board.signallerFor(listenerId), maxPendingAnswers: 0 })
    const dialer = webRtcTransport({ signaller: board.signallerFor(Identity.generate().toString()) })
    opened.push(dialer, listener)
    await listener.listen(`webrtc://${listenerId}`)
    const error = await dialer.dial(`webrtc://${listenerId}`).catch((err: unknown) => err)
    expect((error as TransportError).code).toBe('DIAL_FAILED')
    expect(String((error as Error).cause)).toMatch(/offers are being answered/)
  })

  it('rejects malformed options and addresses', () => {
    const board = new Switchboard()
    expect(() => webRtcTransport({} as never)).toThrow(TypeError)
    expect(() => webRtcTransport({ signaller: board.signallerFor('x'), iceServers: ['http://x'] })).toThrow(TypeError)
    const transport = webRtcTransport({ signaller: board.signallerFor('x') })
    opened.push(transport)
    return expect(transport.dial('webrtc://not-a-peer-id')).rejects.toMatchObject({ code: 'ADDRESS_INVALID' })
  })
})
