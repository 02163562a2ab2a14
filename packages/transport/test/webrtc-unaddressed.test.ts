/**
 * Unaddressed WebRTC offers (what a WebSocket tracker carries): an offer
 * made for nobody in particular, answered by whoever gets it, the
 * connection arriving on the answerer's listener as an inbound one and on
 * the offerer's side through a dial of `webrtc-offer://<id>`; and the
 * bounds on pending offers.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ByteStream } from '../src/index.js'
import { Identity, parseAddress, TransportError } from '../src/index.js'
import { type WebRtcSignaller, type WebRtcTransport, webRtcTransport } from '../src/webrtc.js'

/** A signaller that reaches nobody: only unaddressed offers connect here. */
const nowhere: WebRtcSignaller = {
  exchange: () => Promise.reject(new Error('no signalling here')),
  onOffer: () => () => {},
}

const opened: WebRtcTransport[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((transport) => transport.close()))
})

function transport(options: { maxPendingOffers?: number; offerLifetimeMs?: number } = {}): WebRtcTransport {
  const made = webRtcTransport({ signaller: nowhere, ...options })
  opened.push(made)
  return made
}

/** A transport listening on a fresh peer id, and its inbound streams as they come. */
async function listening(): Promise<{ transport: WebRtcTransport; inbound: Promise<ByteStream> }> {
  const answerer = transport()
  let take: (stream: ByteStream) => void = () => {}
  const inbound = new Promise<ByteStream>((resolve) => {
    take = resolve
  })
  await answerer.listen(`webrtc://${Identity.generate().toString()}`, { onConnection: (stream) => take(stream) })
  return { transport: answerer, inbound }
}

/** The first bytes to arrive on a stream, as text. */
function firstText(stream: ByteStream): Promise<string> {
  return new Promise((resolve) => {
    stream.start({
      onData: (chunk) => resolve(new TextDecoder().decode(chunk)),
      onEnd: () => resolve(''),
      onDrain: () => {},
      onClose: () => resolve(''),
    })
  })
}

describe('unaddressed WebRTC offers', () => {
  it('an offer answered by whoever got it connects both sides: a dial of webrtc-offer://<id>, an inbound stream', async () => {
    const offerer = transport()
    const { transport: answerer, inbound } = await listening()
    const offer = await offerer.createOffer()
    expect(offer.id).toMatch(/^[0-9a-f]{32}$/)
    const answer = await answerer.answerOffer(offer.sdp)
    const address = await offerer.acceptAnswer(offer.id, answer)
    expect(address).toBe(`webrtc-offer://${offer.id}`)
    expect(parseAddress(address)).toEqual({ scheme: 'webrtc-offer', host: offer.id, port: 0, path: '' })
    const outbound = await offerer.dial(address)
    const accepted = await inbound
    expect(outbound.remoteAddress).toBe(address)
    expect(accepted.remoteAddress).toMatch(/^webrtc-offer:\/\/[0-9a-f]{32}$/)
    const atAnswerer = firstText(accepted)
    const atOfferer = firstText(outbound)
    outbound.write(new TextEncoder().encode('hello'))
    expect(await atAnswerer).toBe('hello')
    accepted.write(new TextEncoder().encode('back'))
    expect(await atOfferer).toBe('back')
    // One dial per offer: the connection was taken.
    await expect(offerer.dial(address)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
  }, 30_000)

  it('holds at most maxPendingOffers offers; a cancelled one frees its place and takes no answer', async () => {
    const offerer = transport({ maxPendingOffers: 2 })
    const first = await offerer.createOffer()
    await offerer.createOffer()
    const refused = await offerer.createOffer().catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(TransportError)
    expect((refused as TransportError).code).toBe('DIAL_FAILED')
    offerer.cancelOffer(first.id)
    offerer.cancelOffer(first.id) // idempotent
    await offerer.createOffer()
    const { transport: answerer } = await listening()
    const answer = await answerer.answerOffer(first.sdp)
    await expect(offerer.acceptAnswer(first.id, answer)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
  }, 30_000)

  it('an offer not answered within offerLifetimeMs is closed: its answer is refused', async () => {
    const offerer = transport({ offerLifetimeMs: 200 })
    const offer = await offerer.createOffer()
    const { transport: answerer } = await listening()
    const answer = await answerer.answerOffer(offer.sdp)
    await new Promise<void>((resolve) => setTimeout(resolve, 400)) // the lifetime is what is tested
    await expect(offerer.acceptAnswer(offer.id, answer)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
    await expect(offerer.dial(`webrtc-offer://${offer.id}`)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
  }, 30_000)

  it('refuses to answer when nothing listens, and a dial of an offer id it never made', async () => {
    const offerer = transport()
    const offer = await offerer.createOffer()
    await expect(transport().answerOffer(offer.sdp)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
    await expect(offerer.dial(`webrtc-offer://${'0'.repeat(32)}`)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
    expect(() => parseAddress('webrtc-offer://nothex')).toThrow(TransportError)
  }, 30_000)

  it('close() gives up every pending offer', async () => {
    const offerer = transport()
    const offer = await offerer.createOffer()
    await offerer.close()
    await expect(offerer.acceptAnswer(offer.id, 'v=0')).rejects.toMatchObject({ code: 'DIAL_FAILED' })
    await expect(offerer.createOffer()).rejects.toMatchObject({ code: 'CLOSED' })
  }, 30_000)
})
