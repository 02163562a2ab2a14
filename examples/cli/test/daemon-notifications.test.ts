import { EventEmitter } from 'node:events'
import type { MycelNode } from '@mycel/node'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { NotificationHub } from '../src/daemon/notifications.js'
import { DAEMON_LIMITS } from '../src/daemon/protocol.js'

/** A WebSocket that queues what it is sent and drains only when told (a reader as slow as a test wants). */
class QueueingSocket extends EventEmitter {
  readyState: number = WebSocket.OPEN
  bufferedAmount = 0
  sent: string[] = []
  terminated = false

  send(text: string): void {
    this.sent.push(text)
    this.bufferedAmount += text.length
  }

  drain(): void {
    this.bufferedAmount = 0
  }

  terminate(): void {
    this.terminated = true
    this.readyState = WebSocket.CLOSED
    this.emit('close')
  }

  close(): void {
    this.terminate()
  }
}

const explainContext = { dataDir: '/tmp/x', port: undefined, host: '127.0.0.1' }

/** A stand-in for the node: its events, and those of its channels. */
function fakeNode(): EventEmitter & { channels: EventEmitter } {
  return Object.assign(new EventEmitter(), { channels: new EventEmitter() })
}

function progress(index: number) {
  return {
    infohash: 'ab'.repeat(32),
    name: `a share with a name long enough to count ${index}`,
    totalBytes: 1_000_000,
    verifiedBytes: index,
    piecesVerified: index,
    pieceCount: 100,
    peers: 3,
    downloadRate: 1000,
    uploadRate: 0,
    etaSeconds: undefined,
  }
}

describe('NotificationHub', () => {
  it('sends the node events to its clients as JSON-RPC notifications', () => {
    const node = fakeNode()
    const hub = new NotificationHub(node as unknown as MycelNode, explainContext)
    const reader = new QueueingSocket()
    hub.add(reader as unknown as WebSocket)
    node.emit('download-progress', progress(1))
    node.emit('share-removed', 'cd'.repeat(32))
    node.emit('download-error', 'ef'.repeat(32), new Error('boom'))
    const update = { publicKey: '12'.repeat(32), seq: 5, title: 'T', entries: [], source: 'gossip', peerId: 'p' }
    node.channels.emit('update', update)
    const entry = { infohash: '34'.repeat(32), name: 'a.bin', size: 3, time: 1 }
    node.channels.emit('entry-added', '12'.repeat(32), entry)
    expect(reader.sent.map((text) => JSON.parse(text))).toEqual([
      { jsonrpc: '2.0', method: 'progress', params: { ...progress(1), etaSeconds: null } },
      { jsonrpc: '2.0', method: 'share.removed', params: { infohash: 'cd'.repeat(32) } },
      {
        jsonrpc: '2.0',
        method: 'error',
        params: { infohash: 'ef'.repeat(32), error: { code: 'INTERNAL', message: 'boom', hint: expect.any(String) } },
      },
      { jsonrpc: '2.0', method: 'channel.update', params: update },
      { jsonrpc: '2.0', method: 'channel.entry', params: { publicKey: '12'.repeat(32), entry } },
    ])
    hub.close()
    expect(node.listenerCount('download-progress')).toBe(0)
    expect(node.channels.listenerCount('update')).toBe(0)
  })

  it('drops a client that does not read, holding at most its queue bound, and keeps serving the others', () => {
    const node = fakeNode()
    const hub = new NotificationHub(node as unknown as MycelNode, explainContext)
    const stalled = new QueueingSocket()
    const reader = new QueueingSocket()
    hub.add(stalled as unknown as WebSocket)
    hub.add(reader as unknown as WebSocket)
    const events = 50_000
    for (let index = 0; index < events; index++) {
      node.emit('download-progress', progress(index))
      reader.drain()
    }
    expect(stalled.terminated).toBe(true)
    expect(stalled.bufferedAmount).toBeLessThanOrEqual(DAEMON_LIMITS.maxQueuedBytesPerClient)
    expect(stalled.sent.length).toBeLessThan(events / 10)
    expect(hub.droppedClients).toBe(1)
    expect(hub.size).toBe(1)
    expect(reader.sent).toHaveLength(events)
    hub.close()
  })

  it('is full at its client bound', () => {
    const hub = new NotificationHub(fakeNode() as unknown as MycelNode, explainContext)
    for (let index = 0; index < DAEMON_LIMITS.maxWebSocketClients; index++) {
      expect(hub.full).toBe(false)
      hub.add(new QueueingSocket() as unknown as WebSocket)
    }
    expect(hub.full).toBe(true)
    const late = new QueueingSocket()
    expect(hub.add(late as unknown as WebSocket)).toBe(false)
    expect(late.terminated).toBe(true)
    expect(hub.size).toBe(DAEMON_LIMITS.maxWebSocketClients)
    hub.close()
    expect(hub.size).toBe(0)
  })
})
