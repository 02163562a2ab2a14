/**
 * A WebSocket tracker client for the tests: sends JSON, waits for the
 * messages and the close it expects.
 */

import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import WebSocket from 'ws'

/** A 20-byte id as WebTorrent writes it: a `latin1` string. */
export function binaryId(): string {
  return randomBytes(20).toString('latin1')
}

/** How a socket was closed. */
export interface Closed {
  readonly code: number
  readonly reason: string
}

/** One client socket. */
export class WsTrackerClient {
  private readonly received: Array<Record<string, unknown>> = []
  private waiters: Array<() => void> = []
  /** Resolves when the socket closes. */
  readonly closed: Promise<Closed>

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.received.push(JSON.parse(String(data)))
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        for (const wake of this.waiters.splice(0)) wake()
      }),
    )
    socket.on('error', () => {})
  }

  /** Connects to `url`, with extra headers on the upgrade request if given. */
  static async open(url: string, headers?: Record<string, string>): Promise<WsTrackerClient> {
    const socket = new WebSocket(url, headers === undefined ? undefined : { headers })
    const client = new WsTrackerClient(socket)
    await once(socket, 'open')
    return client
  }

  /** Sends one message as JSON (or a raw string). */
  send(message: object | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** The first received message (not taken before) that `match` accepts; fails if the socket closes first. */
  async next(match: (message: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    for (;;) {
      const at = this.received.findIndex(match)
      if (at >= 0) return this.received.splice(at, 1)[0] as Record<string, unknown>
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('socket closed before the message came')
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  /** The messages received and not taken yet. */
  waiting(): ReadonlyArray<Record<string, unknown>> {
    return this.received
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close()
  }
}
