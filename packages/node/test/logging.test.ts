import { createSocket } from 'node:dgram'
import { writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { encodeMessage, PEX_PROTOCOL } from '@mycel/wire'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createNode, type MycelNode } from '../src/index.js'
import { MetadataFetcher } from '../src/swarm/metadata-fetcher.js'
import type { MetadataAnswer, SwarmPeer } from '../src/swarm/peer.js'
import { cleanup, contentBytes, memoryNode, tempDir, writeContent } from './helpers.js'
import { LogRecorder } from './log-recorder.js'
import { RawPeer } from './raw-peer.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
const rawPeers: RawPeer[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.allSettled(rawPeers.splice(0).map((peer) => peer.close()))
  await cleanup(nodes.splice(0), dirs.splice(0))
})

/** A raw TCP connection to a node that says nothing (or `bytes`). */
function tcpSocket(address: string, bytes?: Uint8Array): Promise<Socket> {
  const port = Number(address.split(':').pop())
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      if (bytes !== undefined) socket.write(bytes)
      resolve(socket)
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(socket)) // refused before it saw its connect
    sockets.push(socket)
  })
}

/** A raw peer connected to `node` over the memory network, past the node's hello. */
async function rawPeerOf(
  network: ReturnType<typeof createMemoryNetwork>,
  node: MycelNode,
  capabilities: string[] = [],
): Promise<RawPeer> {
  const raw = await RawPeer.dial(network.transport(), node.addresses[0] as string, capabilities)
  rawPeers.push(raw)
  await raw.next('hello')
  return raw
}

describe('a node logs why it refuses and drops connections, under mycel:peer', () => {
  it('logs an inbound connection refused by admission, and hands its logger to its transports and DHT', async () => {
    const log = new LogRecorder()
    const node = await createNode({
      dataDir: await tempDir(),
      listen: ['tcp://127.0.0.1:0'],
      dht: { host: '127.0.0.1', port: 0 },
      state: new MemoryStateStore(),
      limits: { maxConnectionsPerAddress: 1 },
      logger: log.logger,
    })
    nodes.push(node)
    const address = node.addresses[0] as string
    await tcpSocket(address) // holds the one connection 127.0.0.1 may have
    void tcpSocket(address) // refused at once
    expect(await log.line('refused an inbound connection')).toMatch(
      /mycel:peer debug refused an inbound connection from tcp:\/\/127\.0\.0\.1:\d+: 127\.0\.0\.1 already has 1 connections \(maxConnectionsPerAddress\) address=tcp:\/\/127\.0\.0\.1:\d+ reason=address-connections$/,
    )
    expect(node.stats().refusedConnections['address-connections']).toBe(1)

    // The DHT it made logs under mycel:dht: a datagram that is no KRPC message.
    const udp = createSocket('udp4')
    const port = node.stats().dht?.address.port as number
    await new Promise<void>((resolve) => udp.send(Buffer.from('not bencode'), port, '127.0.0.1', () => resolve()))
    udp.close()
    expect(await log.line('mycel:dht')).toMatch(
      /mycel:dht debug dropped a datagram from 127\.0\.0\.1:\d+ \(malformed\)/,
    )

    // Its TCP transport and secure channel log under mycel:transport: a handshake that fails.
    for (const socket of sockets.splice(0)) socket.destroy()
    const garbage = await tcpSocket(address, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'))
    garbage.end()
    expect(await log.line('handshake')).toMatch(
      /mycel:transport debug inbound handshake with tcp:\/\/127\.0\.0\.1:\d+ failed: /,
    )
  })

  it('logs a connection closed for a bad message, with the peer, its address and the reason', async () => {
    const network = createMemoryNetwork()
    const log = new LogRecorder()
    const node = await memoryNode(network.transport(), { logger: log.logger })
    nodes.push(node)
    const raw = await rawPeerOf(network, node)
    raw.sendRaw(new Uint8Array([0xc1, 0xff, 0x00]))
    const peer = raw.identity.toString()
    const line = await log.line('closed')
    expect(line).toMatch(
      new RegExp(
        `mycel:peer debug inbound connection of ${peer} at memory://dialer-\\d+ closed: PEER_PROTOCOL: ${peer} sent a bad message: `,
      ),
    )
    expect(line).toMatch(/ peer=\S+ address=memory:\/\/dialer-\d+ code=PEER_PROTOCOL$/)
  })

  it('logs a connection closed for a bad body of an optional protocol, and ignores unknown protocols', async () => {
    const network = createMemoryNetwork()
    const log = new LogRecorder()
    const node = await memoryNode(network.transport(), { logger: log.logger })
    nodes.push(node)
    const raw = await rawPeerOf(network, node, [PEX_PROTOCOL])
    raw.send({ type: 'ext', protocol: 'nope/1', body: new Uint8Array([1, 2, 3]) })
    expect(await log.line('ignored')).toContain(
      `mycel:peer debug ignored a "nope/1" message of ${raw.identity.toString()}: we do not speak it`,
    )
    raw.send({ type: 'ext', protocol: PEX_PROTOCOL, body: new Uint8Array([0xc1]) })
    expect(await log.line('closed')).toContain(
      `closed: PEER_PROTOCOL: ${raw.identity.toString()} sent a bad ${PEX_PROTOCOL} message: `,
    )
  })

  it('logs an idle connection it closes', async () => {
    const network = createMemoryNetwork()
    const log = new LogRecorder()
    const node = await memoryNode(network.transport(), { logger: log.logger, limits: { idleTimeout: 200 } })
    nodes.push(node)
    const raw = await rawPeerOf(network, node)
    const peer = raw.identity.toString()
    expect(await log.line('closed')).toMatch(
      new RegExp(
        `inbound connection of ${peer} at memory://dialer-\\d+ closed: PEER_TIMEOUT: ${peer} was idle for 0 s: it joined no share and moved nothing`,
      ),
    )
  })

  it('logs a failed dial and the backoff of its address', async () => {
    const network = createMemoryNetwork()
    const log = new LogRecorder()
    const node = await memoryNode(network.transport(), { logger: log.logger })
    nodes.push(node)
    await expect(node.connect('memory://nobody')).rejects.toMatchObject({ code: 'DIAL_FAILED' })
    expect(await log.line('dial')).toContain(
      'mycel:peer debug dial memory://nobody failed: DIAL_FAILED: nothing listens on memory://nobody; not dialled again for 1 min',
    )
  })
})

describe('a node logs what it refuses and finds wrong in a share, under mycel:swarm', () => {
  it('logs requests it refuses (the first of a run)', async () => {
    const network = createMemoryNetwork()
    const log = new LogRecorder()
    const node = await memoryNode(network.transport(), { logger: log.logger })
    nodes.push(node)
    const raw = await rawPeerOf(network, node)
    const infohash = new Uint8Array(32).fill(3)
    for (const id of [1, 2, 3]) {
      raw.send({ type: 'request', id, infohash, piece: 0, offset: 0, length: 16384, proof: false })
    }
    await raw.next('reject')
    const line = await log.line('refusing')
    expect(line).toContain(
      `mycel:swarm debug refusing requests of ${raw.identity.toString()} for what we do not have (or do not serve it), NOT_AVAILABLE (request 1)`,
    )
    expect(log.lines.filter((text) => text.includes('refusing'))).toHaveLength(1)
  })

  it('logs a corrupt piece with the peer that sent it, and the ban (mycel:peer)', async () => {
    const network = createMemoryNetwork()
    const log = new LogRecorder()
    const source = await tempDir()
    const corruptDir = await tempDir()
    const target = await tempDir()
    dirs.push(source, corruptDir, target)
    const size = 256 * 1024
    await writeContent(join(source, 'data.bin'), size, 21)
    await writeContent(join(corruptDir, 'data.bin'), size, 21)
    // It looks at its file once an hour: a change after its first look is served as it is.
    const corrupt = await memoryNode(network.transport(), { changeCheckInterval: 60 * 60_000 })
    const honest = await memoryNode(network.transport(), { limits: { uploadRate: 256 * 1024 } })
    const leecher = await memoryNode(network.transport(), { logger: log.logger })
    nodes.push(corrupt, honest, leecher)
    const share = await corrupt.share(join(corruptDir, 'data.bin'), { pieceLength: 32 * 1024 })
    await honest.share(join(source, 'data.bin'), { pieceLength: 32 * 1024 })
    const raw = await rawPeerOf(network, corrupt)
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
    raw.send({ type: 'request', id: 1, infohash: share.infohash, piece: 0, offset: 0, length: 16384, proof: false })
    await raw.next('data') // the corrupt seeder looked at its file
    await writeFile(join(corruptDir, 'data.bin'), contentBytes(size, 99))
    await leecher.download(share.magnet, { dir: target, peers: [...corrupt.addresses, ...honest.addresses] }).done()
    expect(await log.line('failed verification')).toMatch(
      new RegExp(
        `mycel:swarm debug piece \\d+ failed verification \\(sent by ${corrupt.peerId}\\): dropped, fetched again`,
      ),
    )
    expect(await log.line('banned')).toMatch(
      new RegExp(`mycel:peer info banned ${corrupt.peerId} for 60 minutes: it sent a corrupt piece \\d+`),
    )
  })

  it('logs metadata that is not the share, and a peer given up on', () => {
    const log = new LogRecorder()
    const bad: string[] = []
    const fetcher = new MetadataFetcher(new Uint8Array(32).fill(1), {
      log: log.logger.forComponent('mycel:swarm'),
      onManifest: () => expect.unreachable('the metadata is garbage'),
      onBadMetadata: (peer) => bad.push(peer.link.key),
    })
    const peer = (key: string, answer: MetadataAnswer): SwarmPeer =>
      ({
        link: { key },
        requestMetadata: (_offset: number, _timeout: number, onAnswer: (answer: MetadataAnswer) => void) => {
          onAnswer(answer)
          return 1
        },
      }) as unknown as SwarmPeer
    fetcher.addPeer(peer('liar', { type: 'meta', total: 4, offset: 0, bytes: new Uint8Array([1, 2, 3, 4]) }))
    fetcher.addPeer(peer('refuser', { type: 'reject', code: 'BUSY' }))
    expect(bad).toEqual(['liar'])
    expect(log.lines).toHaveLength(2)
    expect(log.lines[0]).toMatch(/ mycel:swarm debug the metadata from liar is bad: [A-Z_]+: /)
    expect(log.lines[1]).toContain(
      ' mycel:swarm debug stopped asking refuser for the metadata: it rejected our meta-get (BUSY)',
    )
  })
})

describe('a node without a logger', () => {
  it('writes nothing anywhere when it drops a connection and refuses a request', async () => {
    const network = createMemoryNetwork()
    const node = await memoryNode(network.transport())
    nodes.push(node)
    const spies = [
      vi.spyOn(process.stderr, 'write'),
      vi.spyOn(process.stdout, 'write'),
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) => vi.spyOn(console, method)),
    ]
    try {
      const disconnected = new Promise<Error | undefined>((resolve) => {
        node.on('peer-disconnected', (_peer, reason) => resolve(reason))
      })
      const raw = await rawPeerOf(network, node)
      raw.send({ type: 'request', id: 1, infohash: new Uint8Array(32), piece: 0, offset: 0, length: 1, proof: false })
      await raw.next('reject')
      raw.sendRaw(encodeMessage({ type: 'hello', version: 1, agent: 'again', listen: [], capabilities: [] }))
      expect(await disconnected).toMatchObject({ code: 'PEER_PROTOCOL' })
      for (const spy of spies) expect(spy).not.toHaveBeenCalled()
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })
})
