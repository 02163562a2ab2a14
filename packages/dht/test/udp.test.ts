import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { createItemKeyPair, type DhtNode, encodeKrpc, randomNodeId } from '../src/index.js'
import { bindUdpSocket, createUdpDhtNode } from '../src/udp.js'
import { rejectionCode } from './helpers.js'

const opened: DhtNode[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((node) => node.close()))
})

async function node(options: Parameters<typeof createUdpDhtNode>[0] = {}): Promise<DhtNode> {
  const created = await createUdpDhtNode({ host: '127.0.0.1', port: 0, queryTimeout: 1000, ...options })
  opened.push(created)
  return created
}

async function network(size: number): Promise<{ bootstrap: string; nodes: DhtNode[] }> {
  const first = await node()
  const bootstrap = `127.0.0.1:${first.address.port}`
  const others = await Promise.all(Array.from({ length: size - 1 }, () => node({ bootstrap: [bootstrap] })))
  await Promise.all(others.map((n) => n.ready()))
  return { bootstrap, nodes: [first, ...others] }
}

describe('UDP sockets on 127.0.0.1', () => {
  it('binds port 0 and reports the real port; a port in use is a SOCKET_ERROR', async () => {
    const socket = await bindUdpSocket({ host: '127.0.0.1', port: 0 })
    expect(socket.localAddress.host).toBe('127.0.0.1')
    expect(socket.localAddress.port).toBeGreaterThan(0)
    expect(await rejectionCode(bindUdpSocket({ host: '127.0.0.1', port: socket.localAddress.port }))).toBe(
      'SOCKET_ERROR',
    )
    await socket.close()
    await socket.close()
    const again = await bindUdpSocket({ host: '127.0.0.1', port: socket.localAddress.port })
    await again.close()
    const aborted = AbortSignal.abort()
    expect(await rejectionCode(bindUdpSocket({ host: '127.0.0.1', signal: aborted }))).toBe('ABORTED')
  })

  it('six mycel nodes join through a serving-only node and find each other’s peers and items', async () => {
    const { nodes } = await network(6)
    const [, a, b, c, d, e] = nodes as [DhtNode, DhtNode, DhtNode, DhtNode, DhtNode, DhtNode]
    for (const n of nodes.slice(1)) expect(n.stats().routingTable.nodes).toBeGreaterThanOrEqual(3)
    const key = randomNodeId()
    expect(await a.announce(key, 7001)).toBeGreaterThanOrEqual(4)
    expect(await b.announce(key, 7002)).toBeGreaterThanOrEqual(4)
    const peers: string[] = []
    for await (const peer of c.lookup(key)) peers.push(`${peer.host}:${peer.port}`)
    expect(peers.sort()).toEqual(['127.0.0.1:7001', '127.0.0.1:7002'])
    const put = await d.putImmutable('over udp')
    expect(put.stored).toBeGreaterThanOrEqual(4)
    expect((await e.getImmutable(put.target))?.value).toEqual(new TextEncoder().encode('over udp'))
    const { secretKey, publicKey } = createItemKeyPair()
    expect((await a.putMutable({ secretKey, seq: 7, value: { hello: 'world' } })).stored).toBeGreaterThanOrEqual(4)
    expect((await e.getMutable(publicKey))?.seq).toBe(7)
  })

  it('bootstraps from a host name through the socket’s resolver', async () => {
    const first = await node()
    const second = await node({ bootstrap: [`localhost:${first.address.port}`] })
    const result = await second.bootstrap()
    expect(result.responded).toBeGreaterThanOrEqual(1)
    expect(second.stats().routingTable.nodes).toBe(1)
  })

  it('a restarted node restores its routing table and does not start cold', async () => {
    const { nodes } = await network(5)
    const key = randomNodeId()
    await (nodes[1] as DhtNode).announce(key, 7100)
    const leaving = nodes[4] as DhtNode
    const snapshot = JSON.parse(JSON.stringify(leaving.snapshot()))
    expect(snapshot.nodes.length).toBeGreaterThanOrEqual(3)
    await leaving.close()
    const restarted = await node({ routingTable: snapshot })
    expect(restarted.id).toEqual(leaving.id)
    expect(restarted.stats().routingTable).toMatchObject({ nodes: snapshot.nodes.length, good: 0 })
    await restarted.ready()
    expect(restarted.stats().routingTable.good).toBeGreaterThanOrEqual(3)
    const peers: string[] = []
    for await (const peer of restarted.lookup(key)) peers.push(`${peer.host}:${peer.port}`)
    expect(peers).toEqual(['127.0.0.1:7100'])
  })

  it('runs the IPv6 DHT (BEP 32) on real sockets bound to ::1', async () => {
    const first = await node({ host: '::1' })
    expect(first.address.host).toBe('::1')
    const bootstrap = `[::1]:${first.address.port}`
    const others = await Promise.all(Array.from({ length: 4 }, () => node({ host: '::1', bootstrap: [bootstrap] })))
    await Promise.all(others.map((n) => n.ready()))
    const [a, b, c] = others as [DhtNode, DhtNode, DhtNode, DhtNode]
    for (const n of others) expect(n.stats().routingTable.nodes).toBeGreaterThanOrEqual(3)
    const key = randomNodeId()
    expect(await a.announce(key, 7201)).toBeGreaterThanOrEqual(3)
    expect(await b.announce(key, 7202)).toBeGreaterThanOrEqual(3)
    const peers: string[] = []
    for await (const peer of c.lookup(key)) peers.push(`[${peer.host}]:${peer.port}`)
    expect(peers.sort()).toEqual(['[::1]:7201', '[::1]:7202'])
  })

  it('drops garbage from a raw socket, counted, and keeps serving', async () => {
    const target = await node()
    const raw = createSocket('udp4')
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve))
    const send = (bytes: Uint8Array) =>
      new Promise<void>((resolve) => raw.send(bytes, target.address.port, '127.0.0.1', () => resolve()))
    await send(new Uint8Array([1, 2, 3]))
    await send(new Uint8Array(3000))
    const answer = new Promise<Buffer>((resolve) => raw.once('message', resolve))
    await send(
      encodeKrpc({
        kind: 'query',
        transactionId: new Uint8Array([1, 2]),
        method: 'ping',
        args: { id: new Uint8Array(20) },
      }),
    )
    expect((await answer).length).toBeGreaterThan(20)
    expect(target.stats().dropped).toMatchObject({ malformed: 1, oversized: 1 })
    await new Promise<void>((resolve) => raw.close(() => resolve()))
  })

  it('close() is idempotent, ends operations with CLOSED and frees the port', async () => {
    const lonely = await node({ bootstrap: ['127.0.0.1:9'] })
    const lookup = lonely.findNode(randomNodeId())
    const first = lonely.close()
    expect(lonely.close()).toBe(first)
    await first
    expect(await rejectionCode(lookup)).toBe('CLOSED')
    expect(await rejectionCode(lonely.announce(randomNodeId(), 1))).toBe('CLOSED')
    const rebound = await bindUdpSocket({ host: '127.0.0.1', port: lonely.address.port })
    await rebound.close()
  })
})
