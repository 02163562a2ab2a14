/**
 * The SOCKS5 transport against real servers: Debian's microsocks (with and
 * without a user and password) runs the transport compliance suite and the
 * failures; an offline tor shows an onion name reaching the proxy
 * unresolved; small servers written here misbehave on purpose.
 */
import dns from 'node:dns'
import { createServer, type Server, type Socket } from 'node:net'
import * as vitest from 'vitest'
import { afterEach, describe, expect, it } from 'vitest'
import { TransportError } from '../src/errors.js'
import { socksTransport } from '../src/socks.js'
import { tcpTransport } from '../src/tcp.js'
import { collectStream, transportCompliance } from '../src/testing.js'
import type { Transport } from '../src/transport.js'
import { freePort, type SocksServer, startMicrosocks, startOfflineTor } from './socks-servers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function microsocks(credentials?: { username: string; password: string }): Promise<SocksServer> {
  const server = await startMicrosocks(credentials)
  cleanups.push(() => server.kill())
  return server
}

function transport(proxy: string, timeoutMs?: number): Transport {
  const made = socksTransport({ proxy, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
  cleanups.push(() => made.close())
  return made
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<TransportError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(TransportError)
  expect((error as TransportError).code).toBe(code)
  return error as TransportError
}

/** A TCP server on 127.0.0.1 that hands each socket to `onSocket`. */
async function rawServer(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return { server, port: (server.address() as { port: number }).port }
}

const credentials = { username: 'mycel', password: 'p@ss:word' }
let shared: SocksServer | undefined

transportCompliance(
  vitest,
  'socks5 through microsocks (user and password)',
  async () => {
    shared = await startMicrosocks(credentials)
    return {
      transport: socksTransport({ proxy: shared.url }),
      listenAddress: 'tcp://127.0.0.1:0',
      close: async () => shared?.kill(),
    }
  },
  // microsocks, like Tor, closes both directions at the first end.
  { largeTransferBytes: 4 * 1024 * 1024, concurrentConnections: 10, halfClose: false },
)

describe('socksTransport with microsocks', () => {
  it('connects to a host name through the proxy, which resolves it, and reports the name as the remote', async () => {
    const proxy = await microsocks()
    const tcp = tcpTransport()
    cleanups.push(() => tcp.close())
    const listener = await tcp.listen('tcp://127.0.0.1:0', { onConnection: (stream) => void collectStream(stream) })
    const port = Number((listener.addresses[0] as string).split(':').pop())
    const stream = await transport(proxy.url).dial(`tcp://localhost:${port}`)
    expect(stream.remoteAddress).toBe(`tcp://localhost:${port}`)
    // The proxy got the name, not an address we looked up.
    expect(await proxy.waitForOutput(/connected to \S+/)).toBe(`connected to localhost:${port}`)
    await stream.close()
  })

  it('refuses a wrong password and a missing one with PROXY_AUTH_FAILED', async () => {
    const proxy = await microsocks(credentials)
    await expectCode(
      transport(`socks5://mycel:wrong@127.0.0.1:${proxy.port}`).dial('tcp://127.0.0.1:9'),
      'PROXY_AUTH_FAILED',
    )
    const error = await expectCode(
      transport(`socks5://127.0.0.1:${proxy.port}`).dial('tcp://127.0.0.1:9'),
      'PROXY_AUTH_FAILED',
    )
    expect(error.message).toMatch(/requires authentication/)
    expect(proxy.output()).not.toMatch(/connected to/)
  })

  it("gives the proxy's reply code when it cannot connect", async () => {
    const proxy = await microsocks()
    const closed = await freePort()
    const error = await expectCode(transport(proxy.url).dial(`tcp://127.0.0.1:${closed}`), 'DIAL_FAILED')
    expect(error.proxyReply).toBe(0x05)
  })

  it('fails with PROXY_UNREACHABLE when nothing listens at the proxy address, and tries nothing else', async () => {
    let direct = 0
    const { port: target } = await rawServer(() => direct++)
    const closed = await freePort()
    await expectCode(transport(`socks5://127.0.0.1:${closed}`).dial(`tcp://127.0.0.1:${target}`), 'PROXY_UNREACHABLE')
    expect(direct).toBe(0)
  })

  it('ends a stream with an error when the proxy dies, and does not reconnect', async () => {
    const proxy = await microsocks()
    const tcp = tcpTransport()
    cleanups.push(() => tcp.close())
    let accepted = 0
    const listener = await tcp.listen('tcp://127.0.0.1:0', {
      onConnection: (stream) => {
        accepted++
        void collectStream(stream)
      },
    })
    const stream = await transport(proxy.url).dial(listener.addresses[0] as string)
    const result = collectStream(stream, { onEnd: () => stream.end() })
    await proxy.kill()
    const { error, ended } = await result
    expect(error !== undefined || ended).toBe(true)
    expect(stream.closed).toBe(true)
    expect(accepted).toBe(1)
  })
})

describe('socksTransport against misbehaving proxies', () => {
  it('times out a proxy that accepts and never answers, with PROXY_TIMEOUT', async () => {
    const { port } = await rawServer(() => {})
    const error = await expectCode(
      transport(`socks5://127.0.0.1:${port}`, 200).dial('tcp://10.0.0.1:1'),
      'PROXY_TIMEOUT',
    )
    expect(error.message).toContain('200 ms')
  })

  it('fails with PROXY_PROTOCOL when the proxy does not speak SOCKS5, and PROXY_UNREACHABLE when it hangs up', async () => {
    const { port: http } = await rawServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
    await expectCode(transport(`socks5://127.0.0.1:${http}`).dial('tcp://10.0.0.1:1'), 'PROXY_PROTOCOL')
    const { port: rude } = await rawServer((socket) => socket.once('data', () => socket.end()))
    await expectCode(transport(`socks5://127.0.0.1:${rude}`).dial('tcp://10.0.0.1:1'), 'PROXY_UNREACHABLE')
  })

  it('delivers bytes of the target that arrive in the same read as the reply, before the rest', async () => {
    const { port } = await rawServer((socket) => {
      let step = 0
      socket.on('data', () => {
        step++
        if (step === 1) socket.write(Uint8Array.of(5, 0))
        else if (step === 2) {
          socket.write(Uint8Array.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('early')))
          socket.end(' and late')
        }
      })
    })
    const stream = await transport(`socks5://127.0.0.1:${port}`).dial('tcp://peer.example:4001')
    const { bytes, ended } = await collectStream(stream, { onEnd: () => stream.end() })
    expect(new TextDecoder().decode(bytes)).toBe('early and late')
    expect(ended).toBe(true)
  })

  it('aborts a dial in flight with ABORTED, and close() ends dials in flight with CLOSED', async () => {
    const { port } = await rawServer(() => {})
    const socks = transport(`socks5://127.0.0.1:${port}`)
    const controller = new AbortController()
    const aborted = socks.dial('tcp://10.0.0.1:1', { signal: controller.signal })
    controller.abort()
    await expectCode(aborted, 'ABORTED')
    const pending = socks.dial('tcp://10.0.0.1:1')
    await socks.close()
    await expectCode(pending, 'CLOSED')
  })

  it('refuses a proxy URL that does not parse, before any dial', () => {
    expect(() => socksTransport({ proxy: 'http://127.0.0.1:8080' })).toThrow(TransportError)
  })
})

describe('onion names without a proxy', () => {
  it('are refused by tcpTransport before any lookup (RFC 7686)', async () => {
    const lookup = vitest.vi.spyOn(dns, 'lookup')
    try {
      const tcp = tcpTransport()
      cleanups.push(() => tcp.close())
      await expectCode(tcp.dial(`tcp://${'a'.repeat(55)}d.onion:4001`), 'ADDRESS_UNSUPPORTED')
      expect(lookup).not.toHaveBeenCalled()
    } finally {
      lookup.mockRestore()
    }
  })
})

describe('socksTransport with tor (offline)', () => {
  it('sends an onion name to tor unresolved, and maps its 0xF6 reply to DIAL_FAILED with proxyReply', async () => {
    const tor = await startOfflineTor()
    cleanups.push(() => tor.kill())
    // Not a valid v3 address (its checksum is wrong): tor answers at once, without any network.
    const onion = `tcp://${'a'.repeat(56)}.onion:4001`
    const error = await expectCode(transport(tor.url).dial(onion), 'DIAL_FAILED')
    expect(error.proxyReply).toBe(0xf6)
    expect(error.message).toMatch(/onion address is not valid/)
  })
})
