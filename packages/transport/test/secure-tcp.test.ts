import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { ByteStream, SecureConnection } from '../src/index.js'
import { Identity, nobleCrypto, TransportError } from '../src/index.js'
import { nodeCrypto, secure } from '../src/node.js'
import { tcpTransport } from '../src/tcp.js'

/** Handles of the kinds a leak would leave behind. */
function openHandles(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'Timeout')
      counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('secure channel over real TCP sockets', () => {
  it('works with the providers crossed, node on one side and noble on the other, both ways', async () => {
    const tcp = tcpTransport()
    const server = Identity.generate()
    const accepted: Promise<void>[] = []
    const listener = await tcp.listen('tcp://127.0.0.1:0', {
      onConnection: (stream) =>
        accepted.push(
          secure(stream, server, { initiator: false, crypto: nobleCrypto }).then((conn) => {
            conn.onMessage((message) => conn.write(message))
          }),
        ),
    })
    const conn = await secure(await tcp.dial(listener.addresses[0] as string), Identity.generate(), {
      initiator: true,
      remotePeerId: server.peerId,
      crypto: nodeCrypto,
    })
    const message = new Uint8Array(300_000).map((_, i) => i & 0xff)
    conn.write(message)
    const echoed = await conn.messages().next()
    expect(echoed.value).toEqual(message)
    await conn.close()
    await Promise.all(accepted)
    await tcp.close()
  })

  it('a last message before a close with an error reaches a remote that is still sending, then the remote sees the close', async () => {
    const tcp = tcpTransport()
    const accepted: Promise<SecureConnection>[] = []
    const listener = await tcp.listen('tcp://127.0.0.1:0', {
      onConnection: (stream) => accepted.push(secure(stream, Identity.generate(), { initiator: false })),
    })
    const client = await secure(await tcp.dial(listener.addresses[0] as string), Identity.generate(), {
      initiator: true,
    })
    const server = (await accepted[0]) as SecureConnection
    const received: Uint8Array[] = []
    client.onMessage((message) => received.push(message))
    // The client pipelines requests for as long as the connection takes them.
    const request = new Uint8Array(1000).fill(1)
    const sending = (async () => {
      while (!client.isClosed) {
        await client.send(request).catch(() => {})
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    // The server reads some, answers with a refusal and closes for that reason.
    await new Promise<void>((resolve) => {
      let count = 0
      server.onMessage(() => {
        if (++count === 100) resolve()
      })
    })
    const refusal = new Uint8Array(200_000).map((_, i) => i & 0xff)
    server.write(refusal)
    const reason = new Error('refused')
    await server.close(reason)
    expect(await server.closed).toBe(reason)
    expect(await client.closed).toBeUndefined()
    await sending
    expect(received).toHaveLength(1)
    expect(received[0]).toEqual(refusal)
    await listener.close()
    await tcp.close()
  })

  it('hostile peers end with a typed error and leave no socket or timer behind', async () => {
    await settle()
    const before = openHandles()
    const tcp = tcpTransport()
    const failures: Promise<string>[] = []
    const listener = await tcp.listen('tcp://127.0.0.1:0', {
      onConnection: (stream: ByteStream) =>
        failures.push(
          secure(stream, Identity.generate(), { initiator: false, handshakeTimeout: 300 }).then(
            () => 'resolved',
            (err: unknown) => (err instanceof TransportError ? err.code : String(err)),
          ),
        ),
    })
    const port = (listener.addresses[0] as string).split(':').pop()
    const hostile = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), // garbage before the handshake
      Buffer.from([0x00, 0x20, 1, 2, 3]), // a truncated handshake message
      Buffer.alloc(0), // a peer that connects and stalls
      Buffer.concat([Buffer.from([0x00, 0x20]), Buffer.alloc(32, 9), Buffer.from([0xff, 0xff]), Buffer.alloc(100)]),
    ]
    await Promise.all(
      hostile.map(
        (bytes, index) =>
          new Promise<void>((resolve) => {
            const socket = connect({ port: Number(port), host: '127.0.0.1' }, () => {
              if (bytes.length > 0) socket.write(bytes)
              if (index === 1) socket.end()
            })
            socket.on('error', () => {})
            socket.on('close', () => resolve())
            socket.resume()
          }),
      ),
    )
    const codes = await Promise.all(failures)
    expect(codes).toHaveLength(hostile.length)
    for (const code of codes) {
      expect(['HANDSHAKE_FAILED', 'HANDSHAKE_TIMEOUT', 'FRAME_TRUNCATED', 'CONNECTION_CLOSED']).toContain(code)
    }
    expect(codes).toContain('HANDSHAKE_TIMEOUT')
    expect(codes).toContain('FRAME_TRUNCATED')
    await listener.close()
    await tcp.close()
    await settle()
    const after = openHandles()
    for (const [kind, count] of Object.entries(after)) expect(count, kind).toBeLessThanOrEqual(before[kind] ?? 0)
  })
})
