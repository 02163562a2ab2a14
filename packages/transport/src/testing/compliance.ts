import { sha256 } from '@noble/hashes/sha2.js'
import { parseAddress } from '../address.js'
import { TransportError } from '../errors.js'
import { Identity } from '../identity.js'
import { secure } from '../secure/secure.js'
import type { ByteSink, ByteStream } from '../stream.js'
import type { Transport } from '../transport.js'
import type { TestRunner } from './runner.js'
import { collectStream, openPair } from './streams.js'

/** What a transport under test provides to {@link transportCompliance}. */
export interface ComplianceFixture {
  /** The transport to test; the suite closes it after each test. */
  transport: Transport
  /** Where to listen, with port 0 (or memory name `0`) so each test gets a fresh one. */
  listenAddress: string
  /** Called after each test, after the transport is closed, to release anything else. */
  close?: () => Promise<void>
}

/** Options of {@link transportCompliance}. */
export interface ComplianceOptions {
  /** Bytes of the large-transfer test. Default 8 MiB. */
  largeTransferBytes?: number
  /** Connections opened at once by the concurrency test. Default 50. */
  concurrentConnections?: number
  /**
   * Whether an `end()` leaves the other direction open (a true half-close).
   * Default true. Set false for a transport through a relay that closes both
   * directions at the first end, as SOCKS proxies do (microsocks, Tor): the
   * echo tests then end only after the echo came back, and the half-close
   * test checks only that the end reaches the remote.
   */
  halfClose?: boolean
}

const encoder = new TextEncoder()

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)))
  }
  return out
}

/** Writes `data` in chunks, waiting for `onDrain` whenever `write` returns false. */
function pump(stream: ByteStream, data: Uint8Array, chunkSize: number, drained: () => Promise<void>): Promise<void> {
  return (async () => {
    for (let offset = 0; offset < data.length; offset += chunkSize) {
      if (!stream.write(data.subarray(offset, Math.min(data.length, offset + chunkSize)))) await drained()
    }
  })()
}

/** A sink whose drain events can be awaited. */
function drainableSink(sink: Partial<ByteSink>): { sink: ByteSink; drained: () => Promise<void> } {
  let waiters: Array<() => void> = []
  return {
    sink: {
      onData: sink.onData ?? (() => {}),
      onEnd: sink.onEnd ?? (() => {}),
      onClose: sink.onClose ?? (() => {}),
      onDrain: () => {
        const ready = waiters
        waiters = []
        for (const resolve of ready) resolve()
      },
    },
    drained: () => new Promise((resolve) => waiters.push(resolve)),
  }
}

async function expectCode(expect: TestRunner['expect'], promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(TransportError)
  expect((error as TransportError).code).toBe(code)
}

/**
 * The compliance suite of the {@link Transport} interface: listen and dial,
 * echo, a large transfer with an integrity check and backpressure,
 * half-close, flushing closes, abort, many concurrent connections, a remote
 * that disconnects in the middle of a secure-channel frame, dial failures
 * and close. Call it at the top level of a test file, with the test runner's
 * `describe`, `it`, `expect` and `afterEach` (this module imports no runner).
 *
 * @param runner - the test runner's API: `import * as vitest from 'vitest'` fits, and so does jest's
 * @param name - the transport's name, for the test titles
 * @param factory - makes a fresh fixture for each test
 * @param options - sizes of the heavier tests
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest'
 * import { transportCompliance } from '@mycel/transport/testing'
 *
 * transportCompliance(vitest, 'tcp', () => ({ transport: tcpTransport(), listenAddress: 'tcp://127.0.0.1:0' }))
 * ```
 */
export function transportCompliance(
  runner: TestRunner,
  name: string,
  factory: () => ComplianceFixture | Promise<ComplianceFixture>,
  options: ComplianceOptions = {},
): void {
  const { afterEach, describe, expect, it } = runner
  const largeBytes = options.largeTransferBytes ?? 8 * 1024 * 1024
  const concurrent = options.concurrentConnections ?? 50
  const halfClose = options.halfClose ?? true
  /** Without half-close: an `onData` that ends `stream` once `expected` bytes came back (with it, the caller ends at once). */
  const endWhenEchoed = (stream: ByteStream, expected: number): ((chunk: Uint8Array) => void) => {
    let received = 0
    return (chunk) => {
      received += chunk.length
      if (!halfClose && received >= expected) stream.end()
    }
  }

  describe(`transport compliance: ${name}`, () => {
    let fixture: ComplianceFixture | undefined
    const setup = async (): Promise<ComplianceFixture> => {
      fixture = await factory()
      return fixture
    }
    afterEach(async () => {
      await fixture?.transport.close()
      await fixture?.close?.()
      fixture = undefined
    })

    it('listens on a port chosen for it and reports the bound address', async () => {
      const { transport, listenAddress } = await setup()
      const listener = await transport.listen(listenAddress)
      expect(listener.addresses.length).toBeGreaterThan(0)
      const bound = parseAddress(listener.addresses[0] as string)
      expect(transport.schemes).toContain(bound.scheme)
      if (bound.scheme !== 'memory' && bound.scheme !== 'webrtc') expect(bound.port).toBeGreaterThan(0)
      else expect(bound.host).not.toBe('0')
      const dialed = await transport.dial(listener.addresses[0] as string)
      const accepted = await listener[Symbol.asyncIterator]().next()
      expect(accepted.done).toBe(false)
      await Promise.all([dialed.close(), (accepted.value as ByteStream).close()])
      await listener.close()
    })

    it('echoes bytes and closes cleanly', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      const echoed = collectStream(server, { onData: (chunk) => server.write(chunk), onEnd: () => server.end() })
      const parts = ['hello', ' ', 'world', '!'].map((text) => encoder.encode(text))
      for (const part of parts) client.write(part)
      const received = collectStream(client, { onData: endWhenEchoed(client, 12) })
      if (halfClose) client.end()
      const [back, there] = await Promise.all([received, echoed])
      expect(new TextDecoder().decode(back.bytes)).toBe('hello world!')
      expect(there.bytes.length).toBe(12)
      expect(back.ended).toBe(true)
      expect(back.error).toBeUndefined()
      expect(there.error).toBeUndefined()
    })

    it('writes several chunks with writev as if written one after the other', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      const received = collectStream(server, { onEnd: () => server.end() })
      const replies = collectStream(client)
      const parts = ['frame-prefix', '', 'body', '-tag'].map((text) => encoder.encode(text))
      expect(typeof client.writev(parts)).toBe('boolean')
      client.writev([encoder.encode('+')])
      client.end()
      const [got, back] = await Promise.all([received, replies])
      expect(new TextDecoder().decode(got.bytes)).toBe('frame-prefixbody-tag+')
      expect(back.ended).toBe(true)
    })

    it('tells the writer to wait while the reader is paused, then delivers everything', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      server.pause()
      let receivedBytes = 0
      const received = new Promise<void>((resolve) => {
        server.start({
          onData: (chunk) => {
            receivedBytes += chunk.length
          },
          onEnd: () => server.end(),
          onDrain: () => {},
          onClose: () => resolve(),
        })
      })
      const { sink, drained } = drainableSink({})
      client.start(sink)
      const chunk = new Uint8Array(65536).fill(7)
      // Kernel buffers absorb some megabytes; the writer must be stopped well before 256 MiB.
      let written = 0
      let stopped = false
      while (written < 256 * 1024 * 1024 && !stopped) {
        written += chunk.length
        stopped = !client.write(chunk)
      }
      expect(stopped).toBe(true)
      server.resume()
      await drained()
      client.end()
      await received
      expect(receivedBytes).toBe(written)
    })

    it(`moves ${largeBytes} bytes intact`, async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      const data = randomBytes(largeBytes)
      const received = collectStream(server, { onEnd: () => server.end() })
      const { sink, drained } = drainableSink({})
      client.start(sink)
      await pump(client, data, 65536, drained)
      client.end()
      const result = await received
      expect(result.bytes.length).toBe(data.length)
      expect(sha256(result.bytes)).toEqual(sha256(data))
    })

    it(`moves ${largeBytes} bytes intact to the dialling end, to a sink that keeps chunks and to one that does not`, async () => {
      const { transport, listenAddress } = await setup()
      const data = randomBytes(largeBytes)
      // A sink that keeps every chunk must find them unchanged at the end,
      // even where the stream reads into a buffer it reuses.
      const keeping = await openPair(transport, listenAddress)
      const kept = collectStream(keeping.client, { onEnd: () => keeping.client.end() })
      const sender = drainableSink({})
      keeping.server.start(sender.sink)
      await pump(keeping.server, data, 65536, sender.drained)
      keeping.server.end()
      expect(sha256((await kept).bytes)).toEqual(sha256(data))
      await keeping.listener.close()

      // A sink that declares transient chunks copies each one out at once;
      // it also pauses in the middle, which must hold the writer back.
      const { client, server, listener } = await openPair(transport, listenAddress)
      const copy = new Uint8Array(data.length)
      let filled = 0
      const done = new Promise<Error | undefined>((resolve) => {
        client.start({
          transientChunks: true,
          onData: (chunk) => {
            copy.set(chunk, filled)
            filled += chunk.length
          },
          onEnd: () => client.end(),
          onDrain: () => {},
          onClose: resolve,
        })
      })
      client.pause()
      const writer = drainableSink({})
      server.start(writer.sink)
      const pumping = pump(server, data, 65536, writer.drained)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(filled).toBe(0)
      client.resume()
      await pumping
      server.end()
      expect(await done).toBeUndefined()
      expect(filled).toBe(data.length)
      expect(sha256(copy)).toEqual(sha256(data))
      await listener.close()
    })

    it('holds bytes and the end for a paused reader and gives them in order on resume', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server, listener } = await openPair(transport, listenAddress)
      const events: string[] = []
      const closed = new Promise<void>((resolve) => {
        client.start({
          transientChunks: true,
          onData: (chunk) => events.push(new TextDecoder().decode(chunk)),
          onEnd: () => {
            events.push('<end>')
            client.end()
          },
          onDrain: () => {},
          onClose: () => resolve(),
        })
      })
      client.pause()
      server.start({ onData: () => {}, onEnd: () => {}, onDrain: () => {}, onClose: () => {} })
      server.write(encoder.encode('held'))
      server.end()
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(events).toEqual([])
      client.resume()
      await closed
      expect(events.join('')).toBe('held<end>')
      await listener.close()
    })

    it(
      halfClose ? 'supports half-close: the side that ended still receives' : 'an end reaches the remote',
      async () => {
        const { transport, listenAddress } = await setup()
        const { client, server } = await openPair(transport, listenAddress)
        if (!halfClose) {
          const serverSide = collectStream(server, { onEnd: () => server.end() })
          void collectStream(client)
          client.write(encoder.encode('ping'))
          client.end()
          expect(() => client.write(encoder.encode('late'))).toThrow(TransportError)
          const atServer = await serverSide
          expect(new TextDecoder().decode(atServer.bytes)).toBe('ping')
          expect(atServer.ended).toBe(true)
          return
        }
        const serverSide = collectStream(server, {
          onEnd: () => {
            server.write(encoder.encode('pong'))
            server.end()
          },
        })
        const clientSide = collectStream(client)
        client.write(encoder.encode('ping'))
        client.end()
        expect(() => client.write(encoder.encode('late'))).toThrow(TransportError)
        const [atClient, atServer] = await Promise.all([clientSide, serverSide])
        expect(new TextDecoder().decode(atServer.bytes)).toBe('ping')
        expect(new TextDecoder().decode(atClient.bytes)).toBe('pong')
        expect(atClient.ended && atServer.ended).toBe(true)
      },
    )

    it('aborts dial and listen with ABORTED, and a signal closes a listener', async () => {
      const { transport, listenAddress } = await setup()
      const aborted = AbortSignal.abort()
      const listener = await transport.listen(listenAddress)
      await expectCode(expect, transport.dial(listener.addresses[0] as string, { signal: aborted }), 'ABORTED')
      await expectCode(expect, transport.listen(listenAddress, { signal: aborted }), 'ABORTED')
      const controller = new AbortController()
      const second = await transport.listen(listenAddress, { signal: controller.signal })
      controller.abort()
      await second.close()
      await expectCode(expect, transport.dial(second.addresses[0] as string), 'DIAL_FAILED')
      await listener.close()
    })

    it('refuses an address in use with LISTEN_FAILED and keeps the first listener serving', async () => {
      const { transport, listenAddress } = await setup()
      const listener = await transport.listen(listenAddress, {
        onConnection: (stream) => void collectStream(stream, { onEnd: () => stream.end() }),
      })
      const taken = listener.addresses[0] as string
      await expectCode(expect, transport.listen(taken), 'LISTEN_FAILED')
      const stream = await transport.dial(taken)
      const done = collectStream(stream)
      stream.end()
      expect((await done).ended).toBe(true)
      await listener.close()
    })

    it(`serves ${concurrent} concurrent connections`, async () => {
      const { transport, listenAddress } = await setup()
      const listener = await transport.listen(listenAddress, {
        onConnection: (stream) =>
          void collectStream(stream, { onData: (c) => stream.write(c), onEnd: () => stream.end() }),
      })
      const address = listener.addresses[0] as string
      const results = await Promise.all(
        Array.from({ length: concurrent }, async (_, i) => {
          const stream = await transport.dial(address)
          const payload = new Uint8Array(1024).fill(i)
          stream.write(payload)
          const received = collectStream(stream, { onData: endWhenEchoed(stream, 1024) })
          if (halfClose) stream.end()
          return (await received).bytes
        }),
      )
      results.forEach((bytes, i) => {
        expect(bytes.length).toBe(1024)
        expect(bytes.every((byte) => byte === i)).toBe(true)
      })
      await listener.close()
    })

    it('fails a secure connection with FRAME_TRUNCATED when the remote disconnects mid-frame', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      const [, serverConn] = await Promise.all([
        secure(client, Identity.generate(), { initiator: true }),
        secure(server, Identity.generate(), { initiator: false }),
      ])
      // Half of a Noise frame: the prefix announces 256 bytes, 10 follow.
      client.write(Uint8Array.of(0x01, 0x00, ...new Uint8Array(10)))
      await client.close()
      const error = await serverConn.closed
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).code).toBe('FRAME_TRUNCATED')
    })

    it('closes the local stream when the remote resets, with CONNECTION_RESET or an end', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      const serverSide = collectStream(server, { onEnd: () => server.end() })
      void collectStream(client)
      client.write(encoder.encode('partial'))
      await client.close(new Error('gone'))
      const result = await serverSide
      if (result.error === undefined) expect(result.ended).toBe(true)
      else expect((result.error as TransportError).code).toBe('CONNECTION_RESET')
    })

    it('flushes a close with an error when asked: the remote gets every byte written, then the end', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      const serverSide = collectStream(server, { onEnd: () => server.end() })
      client.start(drainableSink({}).sink)
      // More than a high-water mark, so that some of it is still buffered when close() is called.
      const data = randomBytes(2 * 1024 * 1024)
      for (let offset = 0; offset < data.length; offset += 65536) client.write(data.subarray(offset, offset + 65536))
      const closing = client.close(new Error('refused'), { flush: true })
      expect(client.close(new Error('again'))).toBe(closing)
      expect(() => client.write(encoder.encode('late'))).toThrow(TransportError)
      const result = await serverSide
      expect(result.bytes.length).toBe(data.length)
      expect(sha256(result.bytes)).toEqual(sha256(data))
      expect(result.ended).toBe(true)
      await closing
      expect(client.closed).toBe(true)
    })

    it('bounds a flushing close when the remote reads nothing, and the remote still sees the close', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      const serverClosed = new Promise<Error | undefined>((resolve) => {
        server.start({ onData: () => {}, onEnd: () => server.end(), onDrain: () => {}, onClose: resolve })
      })
      server.pause()
      client.start(drainableSink({}).sink)
      const chunk = new Uint8Array(65536).fill(3)
      let written = 0
      let stopped = false
      while (written < 256 * 1024 * 1024 && !stopped) {
        written += chunk.length
        stopped = !client.write(chunk)
      }
      expect(stopped).toBe(true)
      // Without the bound this would wait for a reader that never comes.
      await client.close(new Error('refused'), { flush: true, flushTimeoutMs: 100 })
      expect(client.closed).toBe(true)
      server.resume()
      const error = await serverClosed
      if (error !== undefined) expect((error as TransportError).code).toBe('CONNECTION_RESET')
    })

    it('delivers the messages a secure connection wrote just before it closed with an error', async () => {
      const { transport, listenAddress } = await setup()
      const { client, server } = await openPair(transport, listenAddress)
      const [clientConn, serverConn] = await Promise.all([
        secure(client, Identity.generate(), { initiator: true }),
        secure(server, Identity.generate(), { initiator: false }),
      ])
      const received: Uint8Array[] = []
      serverConn.onMessage((message) => received.push(message))
      // About 2 MiB: beyond every high-water mark, so most of it is still queued at the close.
      const messages = Array.from({ length: 40 }, (_, i) => randomBytes(50_000 + i))
      for (const message of messages) clientConn.write(message)
      const reason = new Error('a refusal, then the close')
      const closing = clientConn.close(reason)
      expect(clientConn.close()).toBe(closing)
      await closing
      expect(await clientConn.closed).toBe(reason)
      // The remote read every message, then saw a clean end.
      expect(await serverConn.closed).toBeUndefined()
      expect(received.length).toBe(messages.length)
      for (const [i, message] of received.entries()) {
        expect(sha256(message)).toEqual(sha256(messages[i] as Uint8Array))
      }
    })

    it('refuses bad addresses and closes everything on close()', async () => {
      const { transport, listenAddress } = await setup()
      await expectCode(expect, transport.dial('nonsense'), 'ADDRESS_INVALID')
      await expectCode(expect, transport.dial('gopher://127.0.0.1:70'), 'ADDRESS_UNSUPPORTED')
      const { client, server } = await openPair(transport, listenAddress)
      const clientSide = collectStream(client)
      const serverSide = collectStream(server)
      await transport.close()
      await transport.close()
      await Promise.all([clientSide, serverSide])
      expect(client.closed && server.closed).toBe(true)
      await expectCode(expect, transport.dial(listenAddress), 'CLOSED')
    })
  })
}
