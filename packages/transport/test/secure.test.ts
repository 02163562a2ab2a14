import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  Identity,
  nobleCrypto,
  parsePeerId,
  peerIdToString,
  REKEY_INTERVAL,
  type SecureConnection,
  secure,
  TransportError,
} from '../src/index.js'
import { memoryPipe } from '../src/memory/pipe.js'
import type { CipherState } from '../src/noise/cipher-state.js'
import { evilPeer, frame, payloadBytes } from './evil-peer.js'
import { providerPairs } from './providers.js'

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'resolved'
  } catch (err) {
    return err instanceof TransportError ? err.code : `not a TransportError: ${String(err)}`
  }
}

async function securePair(
  options: {
    crypto?: [typeof nobleCrypto, typeof nobleCrypto]
    maxMessageBytes?: number
    highWaterMark?: number
    transientMessages?: boolean
  } = {},
): Promise<[SecureConnection, SecureConnection, Identity, Identity]> {
  const [a, b] = memoryPipe()
  const alice = Identity.generate()
  const bob = Identity.generate()
  const [x, y] = await Promise.all([
    secure(a, alice, { initiator: true, crypto: options.crypto?.[0], maxMessageBytes: options.maxMessageBytes }),
    secure(b, bob, {
      initiator: false,
      crypto: options.crypto?.[1],
      maxMessageBytes: options.maxMessageBytes,
      highWaterMark: options.highWaterMark,
      transientMessages: options.transientMessages,
    }),
  ])
  return [x, y, alice, bob]
}

describe('identity binding', () => {
  it('gives each side the verified peer id, version and capabilities of the other', async () => {
    const [a, b] = memoryPipe()
    const alice = Identity.generate()
    const bob = Identity.generate()
    const [x, y] = await Promise.all([
      secure(a, alice, { initiator: true, remotePeerId: bob.toString(), capabilities: ['pex', 'gossip'] }),
      secure(b, bob, { initiator: false, remotePeerId: alice.peerId, capabilities: ['pex'] }),
    ])
    expect(peerIdToString(x.remotePeerId)).toBe(bob.toString())
    expect(y.remotePeerId).toEqual(alice.peerId)
    expect(x.remoteCapabilities).toEqual(['pex'])
    expect(y.remoteCapabilities).toEqual(['pex', 'gossip'])
    expect(x.remoteVersion).toBe(1)
    expect(x.initiator && !y.initiator).toBe(true)
    await Promise.all([x.close(), y.close()])
  })

  it('fails with PEER_ID_MISMATCH when the initiator expects someone else, and closes both ends', async () => {
    const [a, b] = memoryPipe()
    const [initiator, responder] = await Promise.allSettled([
      secure(a, Identity.generate(), { initiator: true, remotePeerId: Identity.generate().peerId }),
      secure(b, Identity.generate(), { initiator: false }),
    ])
    expect(initiator.status === 'rejected' && (initiator.reason as TransportError).code).toBe('PEER_ID_MISMATCH')
    expect(responder.status).toBe('rejected')
    expect(a.closed && b.closed).toBe(true)
  })

  const cases: Array<[string, (id: Identity, key: Uint8Array) => Uint8Array, string]> = [
    [
      'a signature by another key',
      (id, key) => payloadBytes(id, key, { peer: Identity.generate().peerId }),
      'SIGNATURE_INVALID',
    ],
    ['a signature over another static key', (id) => payloadBytes(id, new Uint8Array(32).fill(9)), 'SIGNATURE_INVALID'],
    ['a zeroed signature', (id, key) => payloadBytes(id, key, { signature: new Uint8Array(64) }), 'SIGNATURE_INVALID'],
    ['version 2', (id, key) => payloadBytes(id, key, { version: 2 }), 'VERSION_MISMATCH'],
    ['no version', (id, key) => payloadBytes(id, key, { version: undefined }), 'PAYLOAD_MALFORMED'],
    ['a 31-byte peer', (id, key) => payloadBytes(id, key, { peer: new Uint8Array(31) }), 'PAYLOAD_MALFORMED'],
    ['a text signature', (id, key) => payloadBytes(id, key, { signature: 'x'.repeat(64) }), 'PAYLOAD_MALFORMED'],
    ['33 capabilities', (id, key) => payloadBytes(id, key, { capabilities: Array(33).fill('a') }), 'PAYLOAD_MALFORMED'],
    ['an empty capability', (id, key) => payloadBytes(id, key, { capabilities: [''] }), 'PAYLOAD_MALFORMED'],
    ['a payload that is not msgpack', () => Uint8Array.of(0xc1, 1, 2), 'PAYLOAD_MALFORMED'],
    ['an empty payload', () => new Uint8Array(0), 'PAYLOAD_MALFORMED'],
    ['a msgpack array', () => Uint8Array.of(0x91, 0x01), 'PAYLOAD_MALFORMED'],
  ]
  for (const [what, payload, code] of cases) {
    for (const evilInitiates of [false, true]) {
      it(`refuses ${what} from the ${evilInitiates ? 'initiator' : 'responder'} with ${code}`, async () => {
        const identity = Identity.generate()
        const { stream } = evilPeer({ initiator: evilInitiates, payload: (key) => payload(identity, key) })
        expect(await codeOf(secure(stream, Identity.generate(), { initiator: !evilInitiates }))).toBe(code)
        expect(stream.closed).toBe(true)
      })
    }
  }

  it('accepts a correct hand-made peer, so the refusals above are for the reason named', async () => {
    const identity = Identity.generate()
    const { stream } = evilPeer({ initiator: false, payload: (key) => payloadBytes(identity, key) })
    const conn = await secure(stream, Identity.generate(), { initiator: true, remotePeerId: identity.peerId })
    expect(conn.remotePeerId).toEqual(identity.peerId)
    await conn.close()
  })
})

describe('handshake failures end the connection with a typed error and leave nothing running', () => {
  it('times out a peer that never answers with HANDSHAKE_TIMEOUT', async () => {
    const [a, b] = memoryPipe()
    b.start({ onData: () => {}, onEnd: () => {}, onDrain: () => {}, onClose: () => {} })
    expect(await codeOf(secure(a, Identity.generate(), { initiator: true, handshakeTimeout: 50 }))).toBe(
      'HANDSHAKE_TIMEOUT',
    )
    expect(a.closed).toBe(true)
  })

  it('aborts with ABORTED, before or during the handshake', async () => {
    const [a] = memoryPipe()
    expect(await codeOf(secure(a, Identity.generate(), { initiator: true, signal: AbortSignal.abort() }))).toBe(
      'ABORTED',
    )
    const [c, d] = memoryPipe()
    d.start({ onData: () => {}, onEnd: () => {}, onDrain: () => {}, onClose: () => {} })
    const controller = new AbortController()
    const pending = secure(c, Identity.generate(), { initiator: true, signal: controller.signal })
    controller.abort(new Error('user gave up'))
    expect(await codeOf(pending)).toBe('ABORTED')
    expect(c.closed).toBe(true)
  })

  it('fails garbage in place of message 1 with HANDSHAKE_FAILED', async () => {
    const [a, b] = memoryPipe()
    b.start({ onData: () => {}, onEnd: () => {}, onDrain: () => {}, onClose: () => {} })
    b.write(frame(new Uint8Array(100).fill(0x41)))
    expect(await codeOf(secure(a, Identity.generate(), { initiator: false }))).toBe('HANDSHAKE_FAILED')
  })

  it('fails a truncated handshake message with FRAME_TRUNCATED and a silent close with CONNECTION_CLOSED', async () => {
    const [a, b] = memoryPipe()
    b.start({ onData: () => {}, onEnd: () => {}, onDrain: () => {}, onClose: () => {} })
    b.write(Uint8Array.of(0, 32, 1, 2, 3))
    b.end()
    expect(await codeOf(secure(a, Identity.generate(), { initiator: false }))).toBe('FRAME_TRUNCATED')
    const [c, d] = memoryPipe()
    d.start({ onData: () => {}, onEnd: () => d.end(), onDrain: () => {}, onClose: () => {} })
    d.end()
    expect(await codeOf(secure(c, Identity.generate(), { initiator: true }))).toBe('CONNECTION_CLOSED')
  })

  it('fails garbage in place of message 2 with HANDSHAKE_FAILED', async () => {
    const [a, b] = memoryPipe()
    b.start({
      onData: () => b.write(frame(new Uint8Array(96).fill(7))),
      onEnd: () => {},
      onDrain: () => {},
      onClose: () => {},
    })
    expect(await codeOf(secure(a, Identity.generate(), { initiator: true }))).toBe('HANDSHAKE_FAILED')
  })

  it('random bytes from the remote give a typed error, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, initiator) => {
        const [a, b] = memoryPipe()
        b.start({ onData: () => {}, onEnd: () => {}, onDrain: () => {}, onClose: () => {} })
        if (bytes.length > 0) b.write(bytes)
        b.end()
        const code = await codeOf(
          secure(a, Identity.generate(), { initiator, handshakeTimeout: 1000, crypto: nobleCrypto }),
        )
        expect(['HANDSHAKE_FAILED', 'FRAME_TRUNCATED', 'CONNECTION_CLOSED']).toContain(code)
        expect(a.closed).toBe(true)
      }),
      { numRuns: 60 },
    )
  })
})

describe('secure channel', () => {
  for (const [name, first, second] of providerPairs) {
    it(`carries messages of every size both ways, ${name}`, async () => {
      const [x, y] = await securePair({ crypto: [first, second] })
      y.onMessage((message) => y.write(message))
      const sizes = [0, 1, 15, 16, 4096, 65515, 65516, 65519, 100_000, 1024 * 1024]
      const sent = sizes.map((size) => new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff))
      for (const message of sent) x.write(message)
      let index = 0
      for await (const message of x.messages()) {
        // A byte comparison: deep equality of megabyte arrays is slow in the test runner.
        expect(Buffer.compare(message, sent[index] as Uint8Array)).toBe(0)
        if (++index === sent.length) break
      }
      await x.close()
      expect(await y.closed).toBeUndefined()
    })
  }

  it('with transientMessages, keeps queued messages intact and hands split ones to the handler right', async () => {
    const [x, y] = await securePair({ transientMessages: true })
    const messages = [200_000, 10, 150_000, 70_000, 5, 131_072].map((size, i) =>
      new Uint8Array(size).map((_, j) => (i * 31 + j) & 0xff),
    )
    // The first three arrive before any handler is set, so they are queued.
    for (const message of messages.slice(0, 3)) x.write(message)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const received: Uint8Array[] = []
    y.onMessage((message) => received.push(message.slice()))
    for (const message of messages.slice(3)) x.write(message)
    await x.close()
    await y.closed
    expect(received.map((m) => Buffer.from(m).toString('base64'))).toEqual(
      messages.map((m) => Buffer.from(m).toString('base64')),
    )
  })

  it('sends a message given in parts as the same message, across Noise message boundaries', async () => {
    const [x, y] = await securePair()
    const header = new Uint8Array(30).fill(1)
    const payload = new Uint8Array(131072).map((_, i) => i & 0xff)
    const whole = new Uint8Array([...header, ...payload])
    const received: Uint8Array[] = []
    y.onMessage((message) => received.push(message))
    x.writeParts([header, payload])
    x.writeParts([])
    x.write(whole)
    await x.close()
    await y.closed
    expect(received.map((m) => m.length)).toEqual([whole.length, 0, whole.length])
    expect(Buffer.compare(received[0] as Uint8Array, whole)).toBe(0)
    expect(() => x.writeParts([new Uint8Array(1)])).toThrow(expect.objectContaining({ code: 'CLOSED' }))
  })

  it('refuses to send an oversized message with MESSAGE_TOO_LARGE and writes after close with CLOSED', async () => {
    const [x, y] = await securePair()
    expect(() => x.write(new Uint8Array(1024 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }),
    )
    expect(() => x.writeParts([new Uint8Array(1024 * 1024), new Uint8Array(1)])).toThrow(
      expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }),
    )
    await x.close()
    await x.close()
    expect(() => x.write(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'CLOSED' }))
    await expect(x.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'CLOSED' })
    await y.closed
  })

  it('closes with FRAME_TOO_LARGE when the remote sends a message over our limit', async () => {
    const [a, b] = memoryPipe()
    const [x, y] = await Promise.all([
      secure(a, Identity.generate(), { initiator: true, maxMessageBytes: 2 * 1024 * 1024 }),
      secure(b, Identity.generate(), { initiator: false }),
    ])
    y.onMessage(() => {})
    x.write(new Uint8Array(1024 * 1024 + 1))
    expect(((await y.closed) as TransportError).code).toBe('FRAME_TOO_LARGE')
    await x.closed
  })

  it('closes with DECRYPT_FAILED when a transport message is corrupted', async () => {
    const [a, b] = memoryPipe()
    const [x, y] = await Promise.all([
      secure(a, Identity.generate(), { initiator: true }),
      secure(b, Identity.generate(), { initiator: false }),
    ])
    void x
    // Inject a well-framed message that was not encrypted with the session key.
    a.write(frame(new Uint8Array(40).fill(3)))
    const error = await y.closed
    expect((error as TransportError).code).toBe('DECRYPT_FAILED')
  })

  it('rekeys both directions every REKEY_INTERVAL messages', async () => {
    const [x, y] = await securePair()
    type Internals = { sendCipher: CipherState; receiveCipher: CipherState }
    const start = REKEY_INTERVAL - 3
    ;(x as unknown as Internals).sendCipher.setNonce(start)
    ;(y as unknown as Internals).receiveCipher.setNonce(start)
    ;(y as unknown as Internals).sendCipher.setNonce(start)
    ;(x as unknown as Internals).receiveCipher.setNonce(start)
    y.onMessage((message) => y.write(message))
    const received: number[] = []
    const iterator = x.messages()
    for (let i = 0; i < 8; i++) {
      await x.send(Uint8Array.of(i))
      const next = await iterator.next()
      received.push((next.value as Uint8Array)[0] as number)
    }
    expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect((x as unknown as Internals).sendCipher.nextNonce).toBe(start + 8)
    await x.close()
  })

  it('a peer that does not rekey is cut off with DECRYPT_FAILED', async () => {
    const [x, y] = await securePair()
    type Internals = { sendCipher: CipherState; receiveCipher: CipherState }
    ;(x as unknown as Internals).sendCipher.setNonce(REKEY_INTERVAL - 1)
    ;(y as unknown as Internals).receiveCipher.setNonce(REKEY_INTERVAL - 1)
    const sender = (x as unknown as Internals).sendCipher
    sender.rekey = () => {}
    y.onMessage(() => {})
    await x.send(Uint8Array.of(1))
    await new Promise((resolve) => setTimeout(resolve, 5))
    await x.send(Uint8Array.of(2))
    expect(((await y.closed) as TransportError).code).toBe('DECRYPT_FAILED')
  })

  it('honours backpressure end to end: a paused reader stops the writer', async () => {
    const [x, y] = await securePair({ highWaterMark: 64 * 1024 })
    y.pause()
    const chunk = new Uint8Array(16 * 1024)
    let written = 0
    while (x.write(chunk) && written < 64 * 1024 * 1024) {
      written += chunk.length
      await Promise.resolve()
    }
    expect(written).toBeLessThan(8 * 1024 * 1024)
    let received = 0
    y.onMessage((message) => {
      received += message.length
    })
    y.resume()
    await x.drained()
    await x.close()
    await y.closed
    expect(received).toBe(written + chunk.length)
  })

  it('stops an iterator with ABORTED without closing the connection', async () => {
    const [x, y] = await securePair()
    const controller = new AbortController()
    const iterator = y.messages({ signal: controller.signal })
    const pending = iterator.next()
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' })
    expect(y.isClosed).toBe(false)
    await x.close()
  })

  it('closes with the error a message handler throws', async () => {
    const [x, y] = await securePair()
    const boom = new Error('handler failed')
    y.onMessage(() => {
      throw boom
    })
    x.write(Uint8Array.of(1))
    expect(await y.closed).toBe(boom)
    await x.closed
  })

  it('reports the remote closing cleanly as a clean close and ends iterators', async () => {
    const [x, y] = await securePair()
    const collected: Uint8Array[] = []
    const done = (async () => {
      for await (const message of y.messages()) collected.push(message)
    })()
    x.write(Uint8Array.of(1))
    x.write(Uint8Array.of(2))
    await x.close()
    await done
    expect(collected).toEqual([Uint8Array.of(1), Uint8Array.of(2)])
    expect(await y.closed).toBeUndefined()
  })

  it('parses the expected peer id in text form', () => {
    const id = Identity.generate()
    expect(parsePeerId(id.toString())).toEqual(id.peerId)
  })
})
