/**
 * socksFetch: HTTP and HTTPS through a real SOCKS5 proxy (Debian's
 * microsocks), the host name resolved by the proxy; a dead proxy fails the
 * request and nothing goes direct.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TransportError } from '../src/errors.js'
import { socksFetch } from '../src/socks.js'
import { freePort, type SocksServer, startMicrosocks } from './socks-servers.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Connections each test server accepted: every one must have come through the proxy. */
let accepted = 0

async function serve(server: Server): Promise<number> {
  let requests = 0
  accepted = 0
  server.on('connection', () => accepted++)
  server.on('request', (request, response) => {
    requests++
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      response.setHeader('x-seen', `${request.method} ${request.url} ${request.headers['x-test'] ?? ''} ${body}`)
      response.end(`requests ${requests}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return (server.address() as { port: number }).port
}

async function microsocks(): Promise<SocksServer> {
  const proxy = await startMicrosocks({ username: 'fetch', password: 'pw' })
  cleanups.push(() => proxy.kill())
  return proxy
}

describe('socksFetch', () => {
  it('asks an HTTP server named by host name through the proxy, which resolves the name', async () => {
    const proxy = await microsocks()
    const port = await serve(createHttpServer())
    const fetch = socksFetch({ proxy: proxy.url })
    const response = await fetch(`http://localhost:${port}/announce?info_hash=%AB`, {
      method: 'POST',
      headers: { 'x-test': 'yes' },
      body: 'hello',
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-seen')).toBe('POST /announce?info_hash=%AB yes hello')
    expect(await response.text()).toBe('requests 1')
    expect(proxy.output()).toContain(`connected to localhost:${port}`)
    // The server was reached once, through the proxy's one connection: nothing went direct.
    expect(accepted).toBe(1)
    expect(proxy.output().match(/connected to/g)).toHaveLength(1)
  })

  it('runs TLS to the target inside the tunnel, checking its certificate for the host name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mycel-tls-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    const cert = readFileSync(join(dir, 'cert.pem'))
    const port = await serve(createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }) as unknown as Server)
    const proxy = await microsocks()
    const response = await socksFetch({ proxy: proxy.url, ca: cert })(`https://localhost:${port}/scrape`)
    expect(await response.text()).toBe('requests 1')
    expect(accepted).toBe(1)
    expect(proxy.output().match(/connected to/g)).toHaveLength(1)
    // Without trusting that certificate, the TLS check refuses it.
    const error = await socksFetch({ proxy: proxy.url })(`https://localhost:${port}/scrape`).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(TransportError)
  })

  it('fails with PROXY_UNREACHABLE when the proxy is gone, and sends nothing directly', async () => {
    let requests = 0
    const server = createHttpServer(() => requests++)
    const port = await serve(server)
    const dead = await freePort()
    const error = await socksFetch({ proxy: `socks5://127.0.0.1:${dead}` })(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toMatchObject({ code: 'PROXY_UNREACHABLE' })
    expect(requests).toBe(0)
    await expect(
      socksFetch({ proxy: `socks5://127.0.0.1:${dead}` })('udp://tracker.example:6969'),
    ).rejects.toMatchObject({ code: 'ADDRESS_UNSUPPORTED' })
  })
})
