import { request } from 'node:http'
import { connect } from 'node:net'
import { createTextLogger, type Logger } from '@mycel/wire/log'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type ByteStream, Identity, type SecureConnection, secure, TransportError } from '../src/index.js'
import { memoryPipe } from '../src/memory/pipe.js'
import { tcpTransport } from '../src/tcp.js'
import { webSocketTransport } from '../src/ws.js'

const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** A logger whose lines are kept, and a promise of the first line that contains `text`. */
function recorder() {
  const lines: string[] = []
  const waiters: Array<{ text: string; resolve: (line: string) => void }> = []
  const logger: Logger = createTextLogger({
    write: (line) => {
      lines.push(line)
      for (const waiter of [...waiters]) {
        if (!line.includes(waiter.text)) continue
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(line)
      }
    },
  })
  const line = (text: string): Promise<string> => {
    const found = lines.find((candidate) => candidate.includes(text))
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve) => waiters.push({ text, resolve }))
  }
  return { lines, logger, line }
}

/** Connects a raw TCP socket, writes `bytes` and ends; resolves when the socket closes. */
function rawClient(address: string, bytes: Uint8Array): Promise<void> {
  const port = Number(address.split(':').pop())
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.end(bytes))
    socket.on('error', () => {})
    socket.on('close', () => resolve())
    socket.resume()
  })
}

describe('the transport logs failed and refused connections, under mycel:transport', () => {
  it('logs an inbound handshake that fails, with the remote address and the code', async () => {
    const { logger, line } = recorder()
    const tcp = tcpTransport()
    closers.push(() => tcp.close())
    const failed: Promise<unknown>[] = []
    const listener = await tcp.listen('tcp://127.0.0.1:0', {
      onConnection: (stream) => {
        failed.push(secure(stream, Identity.generate(), { initiator: false, logger }).catch((error) => error))
      },
    })
    await rawClient(listener.addresses[0] as string, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'))
    const logged = await line('handshake')
    const [error] = await Promise.all(failed)
    expect(error).toBeInstanceOf(TransportError)
    const { code } = error as TransportError
    expect(logged).toMatch(
      new RegExp(` mycel:transport debug inbound handshake with tcp://127\\.0\\.0\\.1:\\d+ failed: ${code}: `),
    )
  })

  it('logs an outbound handshake with the wrong peer', async () => {
    const { logger, line } = recorder()
    const [client, server] = memoryPipe({}, ['memory://bob', 'memory://alice'])
    const outcome = Promise.allSettled([
      secure(client, Identity.generate(), { initiator: true, remotePeerId: Identity.generate().peerId, logger }),
      secure(server, Identity.generate(), { initiator: false }),
    ])
    const [dialled] = await outcome
    expect(dialled).toMatchObject({ status: 'rejected', reason: { code: 'PEER_ID_MISMATCH' } })
    expect(await line('handshake')).toContain(
      'mycel:transport debug outbound handshake with memory://bob failed: PEER_ID_MISMATCH: ',
    )
  })

  it('logs an open connection dropped because a transport message does not authenticate', async () => {
    const { logger, line, lines } = recorder()
    const [client, server] = memoryPipe({}, ['memory://bob', 'memory://alice'])
    const alice = Identity.generate()
    const [a, b]: [SecureConnection, SecureConnection] = await Promise.all([
      secure(client, alice, { initiator: true }),
      secure(server, Identity.generate(), { initiator: false, logger }),
    ])
    expect(lines).toEqual([]) // a handshake that succeeds says nothing
    // Under the channel: a Noise frame of 32 bytes that no key made.
    client.write(new Uint8Array([0, 32, ...new Uint8Array(32).fill(7)]))
    const closed = await b.closed
    expect(closed).toMatchObject({ code: 'DECRYPT_FAILED' })
    expect(await line('dropped')).toContain(
      `mycel:transport debug dropped the connection to SecureConnection(${alice.toString()}) at memory://alice: DECRYPT_FAILED: a transport message does not authenticate`,
    )
    await a.close()
  })

  it('logs a failed TCP dial', async () => {
    const { logger, line } = recorder()
    const tcp = tcpTransport({ logger })
    closers.push(() => tcp.close())
    const listener = await tcp.listen('tcp://127.0.0.1:0')
    const address = listener.addresses[0] as string
    await listener.close() // nobody listens there now
    await expect(tcp.dial(address)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
    expect(await line('dial')).toContain(`mycel:transport debug dial ${address} failed: connect ECONNREFUSED`)
  })

  it('logs a connection closed because the backlog of a listener nobody reads is full', async () => {
    const { logger, line } = recorder()
    const tcp = tcpTransport({ logger, backlog: 1 })
    closers.push(() => tcp.close())
    const listener = await tcp.listen('tcp://127.0.0.1:0') // iterated by nobody
    const address = listener.addresses[0] as string
    const first = connect({ port: Number(address.split(':').pop()), host: '127.0.0.1' })
    first.on('error', () => {})
    closers.push(async () => first.destroy())
    await rawClient(address, new Uint8Array(0)) // the second is closed by the listener
    expect(await line('backlog')).toMatch(
      /mycel:transport debug closed the connection from tcp:\/\/127\.0\.0\.1:\d+: 1 accepted connections wait for the listener already \(backlog\)/,
    )
  })

  it('logs a plain HTTP request to a WebSocket listener', async () => {
    const { logger, line } = recorder()
    const ws = webSocketTransport({ logger })
    closers.push(() => ws.close())
    const listener = await ws.listen('ws://127.0.0.1:0/mycel')
    const port = Number((listener.addresses[0] as string).split(':').pop()?.split('/')[0])
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const get = request({ host: '127.0.0.1', port, path: '/mycel' }, (response) => {
        response.resume()
        resolve(response.statusCode)
      })
      get.on('error', reject)
      get.end()
    })
    expect(status).toBe(426)
    expect(await line('plain HTTP')).toMatch(
      /mycel:transport debug refused a plain HTTP request from ws:\/\/127\.0\.0\.1:\d+: not a WebSocket upgrade \(426\)/,
    )
  })
})

describe('the transport without a logger', () => {
  it('writes nothing anywhere when a handshake fails and a dial fails', async () => {
    const spies = [
      vi.spyOn(process.stderr, 'write'),
      vi.spyOn(process.stdout, 'write'),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) => vi.spyOn(console, method)),
    ]
    try {
      const tcp = tcpTransport()
      closers.push(() => tcp.close())
      const failed: Promise<unknown>[] = []
      const listener = await tcp.listen('tcp://127.0.0.1:0', {
        onConnection: (stream: ByteStream) => {
          failed.push(secure(stream, Identity.generate(), { initiator: false }).catch((error) => error))
        },
      })
      const address = listener.addresses[0] as string
      await rawClient(address, new TextEncoder().encode('garbage'))
      await Promise.all(failed)
      expect(failed).toHaveLength(1)
      await listener.close()
      await expect(tcp.dial(address)).rejects.toMatchObject({ code: 'DIAL_FAILED' })
      for (const spy of spies) expect(spy).not.toHaveBeenCalled()
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })
})
