/**
 * The attacks of issue 16, as clients that a test or the attack benchmark
 * points at a node over real TCP, each from a chosen local address (see
 * `local-tcp.ts`): one attacker IP, while the honest peers come from
 * 127.0.0.1.
 */
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { Identity } from '@mycel/transport'
import { secure } from '@mycel/transport/node'
import { encodeMessage } from '@mycel/wire'
import { connectFrom, tcpFrom } from './local-tcp.js'
import { RawPeer } from './raw-peer.js'

/** What became of a batch of attacking connections. */
export interface AttackOutcome {
  /** Connections the node answered (sent any byte to, or completed the step with). */
  answered: number
  /** Connections the node closed (before we did). */
  closedByNode: number
  /** Connections that never opened (refused by the system, not reset by the node). */
  failed: number
}

/**
 * Half-open handshakes: `count` connections from `from`, each sending the
 * first Noise message (an ephemeral key, 32 bytes) and then nothing. A
 * node that answers one does an X25519 operation for it and holds it until
 * its handshake timeout.
 */
export class HalfOpenFlood {
  private readonly sockets: Socket[] = []
  private readonly outcome: AttackOutcome = { answered: 0, closedByNode: 0, failed: 0 }
  private readonly watchers = new Set<() => void>()
  private closing = false

  /** Opens the connections, `concurrency` at a time; resolves once all are open (or failed). */
  static async open(address: string, from: string, count: number, concurrency = 200): Promise<HalfOpenFlood> {
    const flood = new HalfOpenFlood()
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        next++
        await flood.openOne(address, from)
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
    return flood
  }

  /** What happened so far. */
  get result(): AttackOutcome {
    return { ...this.outcome }
  }

  /** Resolves at the next change of {@link HalfOpenFlood.result}. */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      const watcher = (): void => {
        this.watchers.delete(watcher)
        resolve()
      }
      this.watchers.add(watcher)
    })
  }

  /** Closes every connection still open. */
  async close(): Promise<void> {
    this.closing = true
    await Promise.all(
      this.sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.destroyed) resolve()
            else {
              socket.once('close', () => resolve())
              socket.destroy()
            }
          }),
      ),
    )
  }

  private async openOne(address: string, from: string): Promise<void> {
    let socket: Socket
    try {
      socket = await connectFrom(from, address)
    } catch (error) {
      // A node that closes a connection at once may reset it before our side saw it open.
      if ((error as { code?: string }).code === 'ECONNRESET') this.outcome.closedByNode++
      else this.outcome.failed++
      this.notify()
      return
    }
    this.sockets.push(socket)
    let answered = false
    socket.on('data', () => {
      if (!answered) this.outcome.answered++
      answered = true
      this.notify()
    })
    socket.on('error', () => {})
    socket.once('close', () => {
      if (!this.closing) this.outcome.closedByNode++
      this.notify()
    })
    // Noise message 1 of the initiator: a 2-byte length, then the ephemeral public key.
    const frame = new Uint8Array(2 + 32)
    frame[1] = 32
    frame.set(randomBytes(32), 2)
    socket.write(frame)
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher()
  }
}

/**
 * Sybils: `count` fresh identities from `from` that complete the secure
 * handshake, send `hello`, and then nothing, each holding a peer slot.
 */
export class SybilSwarm {
  readonly peers: RawPeer[] = []
  /** Sybils whose connection the node took (its `hello` came back). */
  admitted = 0
  /** Sybils whose connection failed or was closed before the node's `hello`. */
  refused = 0

  /** Connects the sybils, `concurrency` at a time; resolves once each is admitted or refused. */
  static async connect(address: string, from: string, count: number, concurrency = 16): Promise<SybilSwarm> {
    const swarm = new SybilSwarm()
    const transport = tcpFrom(from)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        next++
        await swarm.connectOne(transport, address)
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
    return swarm
  }

  /** Sybils whose connection is still open. */
  get open(): number {
    return this.peers.filter((peer) => peer.connection !== undefined && !peer.connection.isClosed).length
  }

  /** Resolves once at most `count` sybils are still open (as their connections close). */
  async whenOpen(count: number): Promise<void> {
    for (;;) {
      const open = this.peers.flatMap((peer) =>
        peer.connection !== undefined && !peer.connection.isClosed ? [peer.connection.closed] : [],
      )
      if (open.length <= count) return
      await Promise.race(open)
    }
  }

  /** Closes every sybil. */
  async close(): Promise<void> {
    await Promise.allSettled(this.peers.map((peer) => peer.close()))
  }

  private async connectOne(transport: ReturnType<typeof tcpFrom>, address: string): Promise<void> {
    let peer: RawPeer
    try {
      peer = await RawPeer.dial(transport, address)
    } catch {
      this.refused++
      return
    }
    this.peers.push(peer)
    const connection = peer.connection as NonNullable<RawPeer['connection']>
    const answer = await Promise.race([peer.next('hello').then(() => true), connection.closed.then(() => false)])
    if (answer) this.admitted++
    else this.refused++
  }
}

/**
 * A peer that joins a share (optionally) and then sends `count` `meta-get`s
 * without reading anything: the node's answers pile up on its side.
 * Resolves with the raw peer once every request is written, or the node
 * closed the connection; `written` counts the requests written.
 */
export async function floodMetaGets(
  address: string,
  from: string,
  infohash: Uint8Array,
  options: { count: number; join: boolean },
): Promise<RawPeer & { written: number }> {
  const peer = await RawPeer.dial(tcpFrom(from), address)
  peer.connection?.pause()
  if (options.join) peer.send({ type: 'bitfield', infohash, bits: new Uint8Array(0) })
  const connection = peer.connection as NonNullable<RawPeer['connection']>
  let written = 0
  try {
    for (let id = 1; id <= options.count && !connection.isClosed; id++) {
      const ready = connection.write(encodeMessage({ type: 'meta-get', id, infohash, offset: 0 }))
      written++
      if (!ready) await connection.drained()
    }
  } catch {
    // the node closed the connection: the flood is over
  }
  return Object.assign(peer, { written })
}

/**
 * The decoder-depth attack: a message of `bytes` bytes that is one msgpack
 * array nested `bytes` deep (`0x91` = an array of one element, repeated),
 * ending in nil. Sent before `hello`, so even a node that checks `hello`
 * first has to decode it.
 */
export function nestedArrayMessage(bytes: number): Uint8Array {
  const message = new Uint8Array(bytes).fill(0x91)
  message[bytes - 1] = 0xc0
  return message
}

/**
 * Sends one {@link nestedArrayMessage} over a fresh secure connection from
 * `from`; resolves when the node closed the connection (it rejected it).
 */
export async function sendNestedArrays(address: string, from: string, bytes: number): Promise<void> {
  const stream = await tcpFrom(from).dial(address)
  const connection = await secure(stream, Identity.generate(), { initiator: true })
  connection.onMessage(() => {})
  connection.write(nestedArrayMessage(bytes))
  await connection.closed
}
