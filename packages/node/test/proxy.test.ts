/**
 * Proxy mode, onion addresses and anonymous mode (docs/anonymity.md), with
 * real parts: Debian's microsocks as the SOCKS5 proxy (with a user and
 * password), an offline tor for onion names, real TCP on 127.0.0.1, real
 * files. The leak check (every socket of a proxied node recorded) is in
 * proxy-leaks.test.ts.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TransportError } from '@mycel/transport'
import { tcpTransport } from '@mycel/transport/tcp'
import { decodePexBody } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { type SocksServer, startMicrosocks, startOfflineTor } from '../../transport/test/socks-servers.js'
import { createNode, type MycelNode, NodeError, type NodeOptions, type PeerSource } from '../src/index.js'
import { cleanup, nextEvent, sha256, tempDir, writeContent } from './helpers.js'
import { LogRecorder } from './log-recorder.js'
import { RawPeer } from './raw-peer.js'

/** A real v3 onion address (the Tor Project's): its checksum is valid. */
const ONION = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion'
const credentials = { username: 'mycel', password: 's3cret' }

const nodes: MycelNode[] = []
const dirs: string[] = []
const servers: SocksServer[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
  await Promise.all(servers.splice(0).map((server) => server.kill()))
})

async function node(options: NodeOptions = {}): Promise<MycelNode> {
  const dataDir = options.dataDir ?? (await tempDir())
  dirs.push(dataDir)
  const made = await createNode({
    dataDir,
    ...(options.proxy === undefined ? { dht: false as const, listen: ['tcp://127.0.0.1:0'] } : {}),
    ...options,
  })
  nodes.push(made)
  return made
}

async function microsocks(auth = true): Promise<SocksServer> {
  const server = await startMicrosocks(auth ? credentials : undefined)
  servers.push(server)
  return server
}

/** A seeder (no proxy) of a file of `size` bytes; its share and its address. */
async function seeder(size: number, options: NodeOptions = {}) {
  const folder = await tempDir()
  dirs.push(folder)
  const bytes = await writeContent(join(folder, 'file.bin'), size)
  const seeding = await node(options)
  const share = await seeding.share(join(folder, 'file.bin'), { pieceLength: 64 * 1024 })
  return { node: seeding, share, bytes, address: seeding.addresses[0] as string }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(Error)
  return error as Error
}

describe('proxy mode', () => {
  it('downloads a share through a SOCKS5 proxy with a user and password, and says there is no DHT', async () => {
    const proxy = await microsocks()
    const source = await seeder(600 * 1024)
    const log = new LogRecorder('mycel:node')
    const leecher = await node({ proxy: proxy.url, logger: log.logger })
    expect(await log.line('no DHT and no UDP at all')).toContain(`socks5://mycel:***@127.0.0.1:${proxy.port}`)
    const target = await tempDir()
    dirs.push(target)
    const progress = await leecher.download(source.share.magnet, { dir: target, peers: [source.address] }).done()
    expect(progress.verifiedBytes).toBe(source.bytes.length)
    expect(sha256(await readFile(join(target, 'file.bin')))).toBe(sha256(source.bytes))
    // The seeder was reached through the proxy, which logs each CONNECT.
    expect(proxy.output()).toContain(`connected to ${source.address.slice('tcp://'.length)}`)
    const stats = leecher.stats()
    expect(stats.dht).toBeUndefined()
    expect(stats.privacy).toEqual({
      proxy: `socks5://mycel:***@127.0.0.1:${proxy.port}`,
      udp: false,
      onion: undefined,
      anonymous: false,
    })
    expect(stats.addresses.every((address) => address.startsWith('tcp://127.0.0.1:'))).toBe(true)
    expect(source.node.stats().privacy).toMatchObject({ proxy: undefined, udp: false })
  })

  it('refuses a wrong password with PROXY_AUTH_FAILED and never connects directly', async () => {
    const proxy = await microsocks()
    const source = await seeder(64 * 1024)
    let connections = 0
    source.node.on('peer-connected', () => connections++)
    const leecher = await node({ proxy: `socks5://mycel:wrong@127.0.0.1:${proxy.port}` })
    const error = await rejection(leecher.connect(source.address))
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).code).toBe('PROXY_AUTH_FAILED')
    const anonymousProxy = await node({ proxy: `socks5://127.0.0.1:${proxy.port}` })
    expect(await rejection(anonymousProxy.connect(source.address))).toMatchObject({ code: 'PROXY_AUTH_FAILED' })
    expect(connections).toBe(0)
    expect(proxy.output()).not.toContain('connected to')
  })

  it('fails the connection when the proxy dies mid-transfer, redials only through the proxy, never directly', async () => {
    const proxy = await microsocks()
    // 4 MiB at 1 MiB/s: the transfer is under way when the proxy dies.
    const source = await seeder(4 * 1024 * 1024, { limits: { uploadRate: 1024 * 1024 } })
    const fromLeecher: string[] = []
    source.node.on('peer-connected', (peer) => fromLeecher.push(peer.peerId))
    const log = new LogRecorder('mycel:peer')
    const leecher = await node({ proxy: proxy.url, logger: log.logger })
    const target = await tempDir()
    dirs.push(target)
    const download = leecher.download(source.share.magnet, { dir: target, peers: [source.address] })
    await nextEvent(download, 'progress', { filter: (progress) => progress.verifiedBytes > 0 })
    const lost = nextEvent(leecher, 'peer-disconnected')
    await proxy.kill()
    await lost
    // The download asks for its peer again: through the proxy, which is gone.
    await log.line(new RegExp(`dial ${source.address} failed: .*proxy`))
    expect(await rejection(leecher.connect(source.address))).toMatchObject({ code: 'PROXY_UNREACHABLE' })
    expect(fromLeecher).toEqual([leecher.peerId])
    expect(source.node.peers()).toEqual([])
    expect(download.progress.verifiedBytes).toBeLessThan(source.bytes.length)
  })

  it('refuses options that would go around the proxy, before opening anything', async () => {
    const dataDir = await tempDir()
    dirs.push(dataDir)
    const proxy = 'socks5://127.0.0.1:9050'
    const udpSource: PeerSource = {
      name: 'udp-tracker',
      usesUdp: true,
      announce: async () => ({ reached: 0 }),
      lookup: async function* () {},
      close: async () => {},
    }
    const cases: Array<[NodeOptions, string]> = [
      [{ proxy, dht: {} }, 'PROXY_CONFLICT'],
      [{ proxy, transports: [tcpTransport()] }, 'PROXY_CONFLICT'],
      [{ proxy, peerSources: [udpSource] }, 'PROXY_CONFLICT'],
      [{ proxy, trackerTransport: { fetch: globalThis.fetch } }, 'PROXY_CONFLICT'],
      [{ onion: `${ONION}:4001` }, 'PROXY_CONFLICT'],
      [{ proxy, onion: `${ONION.replace('2gzy', '3gzy')}:4001` }, 'ONION_INVALID'],
      [{ proxy, onion: `${ONION}:0` }, 'ONION_INVALID'],
      [{ proxy, onion: 'example.org:4001' }, 'ONION_INVALID'],
      [{ proxy: 'http://127.0.0.1:8080' }, 'PROXY_URL_INVALID'],
    ]
    for (const [options, code] of cases) {
      const error = await rejection(createNode({ dataDir, ...options }))
      expect(error, JSON.stringify(options)).toMatchObject({ code })
    }
    expect(existsSync(join(dataDir, 'identity.json'))).toBe(false)
    expect(existsSync(join(dataDir, 'state.db'))).toBe(false)
  })
})

describe('onion addresses', () => {
  it('tells peers only the onion address in hello, and nothing in anonymous mode but the protocols', async () => {
    const proxy = await microsocks()
    const onionNode = await node({ proxy: proxy.url, onion: `${ONION}:4001` })
    const tcp = tcpTransport()
    // A peer reaches the node's local listener as Tor would for its onion service.
    const raw = await RawPeer.dial(tcp, onionNode.addresses[0] as string)
    const hello = await raw.next('hello')
    expect(hello.listen).toEqual([`tcp://${ONION}:4001`])
    expect(hello.agent).toBe('mycel/0.1.0')
    const anonymous = await node({ proxy: proxy.url, anonymous: true })
    const second = await RawPeer.dial(tcp, anonymous.addresses[0] as string)
    const quiet = await second.next('hello')
    expect(quiet.listen).toEqual([])
    expect(quiet.agent).toBe('')
    expect(anonymous.stats().privacy).toMatchObject({ anonymous: true, onion: undefined })
    await tcp.close()
  })

  it('passes an onion address on in peer exchange; a peer without a proxy skips it, never dialling it', async () => {
    const proxy = await microsocks()
    // 512 KiB at 256 KiB/s: the second download still wants peers when peer exchange comes (after 0.5 s).
    const source = await seeder(512 * 1024, { limits: { uploadRate: 256 * 1024 } })
    const onionNode = await node({ proxy: proxy.url, onion: `${ONION}:4001` })
    const firstDir = await tempDir()
    dirs.push(firstDir)
    await onionNode.download(source.share.magnet, { dir: firstDir, peers: [source.address] }).done()
    const log = new LogRecorder('mycel:peer')
    const direct = await node({ logger: log.logger })
    const secondDir = await tempDir()
    dirs.push(secondDir)
    // The seeder believed the onion address of the node's hello and tells the new member of the share.
    const skipped = log.line(`tcp://${ONION}:4001`)
    await direct.download(source.share.magnet, { dir: secondDir, peers: [source.address] }).done()
    expect(await skipped).toMatch(/skipped onion addresses .* which need a proxy/)
    expect(log.lines.some((line) => /dial tcp:\/\/\S+\.onion/.test(line))).toBe(false)
    const error = await rejection(direct.connect(`tcp://${ONION}:4001`))
    expect(error).toBeInstanceOf(NodeError)
    expect((error as NodeError).code).toBe('ADDRESS_NEEDS_PROXY')
  })

  it('dials an onion address by name through the proxy: offline tor answers 0xF6 for a bad one', async () => {
    const tor = await startOfflineTor()
    servers.push(tor)
    const viaTor = await node({ proxy: tor.url })
    const error = await rejection(viaTor.connect(`tcp://${'a'.repeat(56)}.onion:4001`))
    expect(error).toBeInstanceOf(TransportError)
    expect(error).toMatchObject({ code: 'DIAL_FAILED', proxyReply: 0xf6 })
  })
})

describe('peer exchange of a node in proxy mode', () => {
  it("never completes an inbound peer's listen address with the loopback address Tor connects from", async () => {
    const proxy = await microsocks()
    const folder = await tempDir()
    dirs.push(folder)
    await writeContent(join(folder, 'file.bin'), 100_000)
    const onionNode = await node({ proxy: proxy.url, onion: `${ONION}:4001` })
    const share = await onionNode.share(join(folder, 'file.bin'))
    const tcp = tcpTransport()
    // Two peers reach the node as Tor would for its onion service: from 127.0.0.1.
    const unspecified = await RawPeer.dial(tcp, onionNode.addresses[0] as string, ['pex/1'], ['tcp://0.0.0.0:5555'])
    const named = await RawPeer.dial(tcp, onionNode.addresses[0] as string, ['pex/1'], ['tcp://peer.example:7000'])
    for (const raw of [unspecified, named]) {
      await raw.next('hello')
      raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
      await raw.next('bitfield')
    }
    // The peer with a real address is told of; the other's address would be tcp://127.0.0.1:5555, and is not.
    const told = await unspecified.next('ext')
    expect(decodePexBody(told.body).added).toEqual(['tcp://peer.example:7000'])
    // A request answered after the peer exchange went out: anything sent to `named` before it has arrived.
    named.send({ type: 'meta-get', id: 1, infohash: new Uint8Array(32), offset: 0 })
    await named.next('reject')
    expect(named.received.filter((message) => message.type === 'ext')).toEqual([])
    await tcp.close()
  })
})

describe('anonymous mode', () => {
  it('makes a fresh identity for each session and writes none', async () => {
    const proxy = await microsocks()
    const dataDir = await tempDir()
    dirs.push(dataDir)
    const first = await node({ dataDir, proxy: proxy.url, anonymous: true })
    const firstId = first.peerId
    await first.close()
    const second = await node({ dataDir, proxy: proxy.url, anonymous: true })
    expect(second.peerId).not.toBe(firstId)
    expect(existsSync(join(dataDir, 'identity.json'))).toBe(false)
  })
})
