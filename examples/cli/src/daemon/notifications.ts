import type { ChannelEntry, ChannelUpdate, DownloadProgress, MycelNode, PeerInfo, ShareChange } from '@mycel/node'
import { WebSocket } from 'ws'
import { type ExplainContext, explain } from '../errors.js'
import { DAEMON_LIMITS, type NotificationName } from './protocol.js'
import type { DaemonShares } from './shares.js'

/** A download's progress as notifications carry it (no undefined: null). */
function progressParams(progress: DownloadProgress): Record<string, unknown> {
  return { ...progress, totalBytes: progress.totalBytes ?? null, etaSeconds: progress.etaSeconds ?? null }
}

function peerParams(peer: PeerInfo): Record<string, unknown> {
  return { peerId: peer.peerId, address: peer.address ?? null }
}

/**
 * Sends the node's events to every WebSocket client as JSON-RPC 2.0
 * notifications (docs/daemon.md lists them). Bounded: at most
 * `DAEMON_LIMITS.maxWebSocketClients` clients, and a client that lets more
 * than `maxQueuedBytesPerClient` pile up unread is dropped, so a slow or
 * stalled reader costs the daemon a fixed amount of memory.
 */
export class NotificationHub {
  private readonly clients = new Set<WebSocket>()
  private readonly unsubscribe: () => void
  /** Clients dropped for reading too slowly (for tests and `status`). */
  droppedClients = 0

  /**
   * @param node - whose events are sent
   * @param explainContext - for the codes of errors
   * @param shares - the daemon's shares, whose private downloads end with `private.done` (or `error`)
   */
  constructor(node: MycelNode, explainContext: ExplainContext, shares?: Pick<DaemonShares, 'onPrivate'>) {
    const sendError = (infohash: string, error: unknown) => {
      const explained = explain(error, explainContext)
      this.send('error', {
        infohash,
        error: { code: explained.code, message: explained.message, hint: explained.hint },
      })
    }
    const handlers = {
      'download-progress': (progress: DownloadProgress) => this.send('progress', progressParams(progress)),
      'download-done': (progress: DownloadProgress) => this.send('done', progressParams(progress)),
      'download-error': sendError,
      'share-added': (infohash: string, name: string) => this.send('share.added', { infohash, name }),
      'share-removed': (infohash: string) => this.send('share.removed', { infohash }),
      'share-changed': (change: ShareChange) => this.send('share.changed', { ...change }),
      'peer-connected': (peer: PeerInfo) => this.send('peer.connected', peerParams(peer)),
      'peer-disconnected': (peer: PeerInfo) => this.send('peer.disconnected', peerParams(peer)),
    }
    for (const [name, handler] of Object.entries(handlers)) node.on(name as never, handler as never)
    const onChannelUpdate = (update: ChannelUpdate) => this.send('channel.update', { ...update })
    const onEntryAdded = (publicKey: string, entry: ChannelEntry) =>
      this.send('channel.entry', { publicKey, entry: { ...entry } })
    node.channels.on('update', onChannelUpdate)
    node.channels.on('entry-added', onEntryAdded)
    const stopPrivate = shares?.onPrivate({
      done: (view) => this.send('private.done', { ...view }),
      failed: sendError,
    })
    this.unsubscribe = () => {
      stopPrivate?.()
      for (const [name, handler] of Object.entries(handlers)) node.off(name as never, handler as never)
      node.channels.off('update', onChannelUpdate)
      node.channels.off('entry-added', onEntryAdded)
    }
  }

  /** Clients connected now. */
  get size(): number {
    return this.clients.size
  }

  /** Whether one more client may connect. */
  get full(): boolean {
    return this.clients.size >= DAEMON_LIMITS.maxWebSocketClients
  }

  /**
   * Sends the notifications to a client from now on, until it closes. A
   * client over the bound (upgrades that were checked at the same time) is
   * closed with 1013 (try again later).
   *
   * @param socket - an open WebSocket
   * @returns whether it was taken
   */
  add(socket: WebSocket): boolean {
    if (this.full) {
      socket.close(1013, 'too many clients')
      return false
    }
    this.clients.add(socket)
    socket.on('close', () => this.clients.delete(socket))
    return true
  }

  /**
   * Sends one notification to every client.
   *
   * @param method - the notification
   * @param params - its params
   */
  send(method: NotificationName, params: Record<string, unknown>): void {
    if (this.clients.size === 0) return
    const message = JSON.stringify({ jsonrpc: '2.0', method, params })
    for (const socket of this.clients) {
      if (socket.readyState !== WebSocket.OPEN) continue
      if (socket.bufferedAmount + message.length > DAEMON_LIMITS.maxQueuedBytesPerClient) {
        // it does not read: what it was sent stays queued here, so it goes
        this.droppedClients++
        this.clients.delete(socket)
        socket.terminate()
        continue
      }
      socket.send(message)
    }
  }

  /** Stops listening to the node and closes every client. Idempotent. */
  close(): void {
    this.unsubscribe()
    for (const socket of this.clients) socket.close(1001, 'the daemon stops')
    this.clients.clear()
  }
}
