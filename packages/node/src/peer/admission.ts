import { NodeError } from '../errors.js'
import type { ConnectionRefusal, RefusalReason } from '../events.js'
import { type AddressGroup, addressGroupOf } from './address-group.js'

/** The limits an {@link Admission} applies to inbound connections. @internal */
export interface AdmissionLimits {
  /** Secure handshakes in progress, all addresses. */
  maxHandshakes: number
  /** Handshakes in progress from one IP address. */
  maxHandshakesPerAddress: number
  /** Handshakes in progress from one /24 (IPv4) or /48 (IPv6). */
  maxHandshakesPerSubnet: number
  /** Inbound connections (handshaking or established) from one IP address. */
  maxConnectionsPerAddress: number
  /** Inbound connections from one /24 (IPv4) or /48 (IPv6). */
  maxConnectionsPerSubnet: number
}

/**
 * One inbound connection let in by an {@link Admission}: counted against its
 * address until {@link Admission.release}. Its `signal` aborts the secure
 * handshake when a newer one takes its place.
 * @internal
 */
export class AdmissionTicket {
  /** Aborts the handshake of a connection displaced by a newer one. */
  readonly controller = new AbortController()
  /** Whether the secure handshake is still in progress. */
  handshaking = true
  /** Whether it no longer counts. */
  released = false

  constructor(
    readonly address: string | undefined,
    readonly group: AddressGroup | undefined,
  ) {}

  /** The signal to give the secure handshake. */
  get signal(): AbortSignal {
    return this.controller.signal
  }
}

/** Counts per key (an IP address or a network), dropping keys that reach zero. */
class Tally {
  private readonly counts = new Map<string, number>()

  get(key: string): number {
    return this.counts.get(key) ?? 0
  }

  add(key: string, delta: number): void {
    const count = this.get(key) + delta
    if (count > 0) this.counts.set(key, count)
    else this.counts.delete(key)
  }
}

/**
 * The gate of inbound connections, passed before any public-key work: a
 * stream from an address (or a /24, /48 for IPv6) that already holds its
 * share of connections or of handshakes in progress is closed at once. When
 * `maxHandshakes` are in progress, the oldest one is dropped for the new
 * one: an honest handshake takes a round trip, a stalled one waits for its
 * timeout, so the stalled ones go first and an attacker must open
 * `maxHandshakes` connections within one round trip of an honest peer to
 * crowd it out (from many networks, since each holds only a few). Every
 * refusal is counted by reason and reported.
 * @internal
 */
export class Admission {
  private readonly handshakes = new Set<AdmissionTicket>()
  private readonly handshakesOf = new Tally()
  private readonly connectionsOf = new Tally()
  private readonly counts: Record<RefusalReason, number> = {
    handshakes: 0,
    'address-handshakes': 0,
    'subnet-handshakes': 0,
    'address-connections': 0,
    'subnet-connections': 0,
    connections: 0,
    banned: 0,
  }

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly onRefused: (refusal: ConnectionRefusal) => void,
  ) {}

  /** Inbound connections refused so far, by reason. */
  get refused(): Readonly<Record<RefusalReason, number>> {
    return { ...this.counts }
  }

  /** Secure handshakes of inbound connections in progress. */
  get handshakesInProgress(): number {
    return this.handshakes.size
  }

  /**
   * Lets an inbound connection in, or says why not (the refusal is counted
   * and reported; the caller closes the stream).
   *
   * @param address - the remote transport address of the stream
   * @returns the ticket to hand back to {@link Admission.established} and {@link Admission.release}, or the refusal
   */
  admit(address: string | undefined): AdmissionTicket | NodeError {
    const group = addressGroupOf(address)
    const refusal = group === undefined ? undefined : this.check(group)
    if (refusal !== undefined) return this.refuse(address, refusal.reason, refusal.message)
    if (this.handshakes.size >= this.limits.maxHandshakes) {
      const oldest = this.handshakes.values().next().value
      if (oldest === undefined) {
        return this.refuse(address, 'handshakes', `maxHandshakes is ${this.limits.maxHandshakes}`)
      }
      const error = this.refuse(
        oldest.address,
        'handshakes',
        `dropped for a newer handshake: ${this.handshakes.size} handshakes in progress (maxHandshakes)`,
      )
      this.release(oldest)
      oldest.controller.abort(error)
    }
    const ticket = new AdmissionTicket(address, group)
    this.handshakes.add(ticket)
    if (group !== undefined) {
      this.handshakesOf.add(group.ip, 1)
      this.handshakesOf.add(group.subnet, 1)
      this.connectionsOf.add(group.ip, 1)
      this.connectionsOf.add(group.subnet, 1)
    }
    return ticket
  }

  /** The connection's handshake is over: it counts as a connection only. */
  established(ticket: AdmissionTicket): void {
    if (ticket.released || !ticket.handshaking) return
    ticket.handshaking = false
    this.handshakes.delete(ticket)
    if (ticket.group !== undefined) {
      this.handshakesOf.add(ticket.group.ip, -1)
      this.handshakesOf.add(ticket.group.subnet, -1)
    }
  }

  /** The connection closed (or failed its handshake): it no longer counts. Idempotent. */
  release(ticket: AdmissionTicket): void {
    if (ticket.released) return
    this.established(ticket)
    ticket.released = true
    if (ticket.group !== undefined) {
      this.connectionsOf.add(ticket.group.ip, -1)
      this.connectionsOf.add(ticket.group.subnet, -1)
    }
  }

  /**
   * Counts and reports a refusal decided elsewhere (the node is full, the
   * peer is banned), or here.
   * @returns the error to close the stream with (`PEER_LIMIT`, or `PEER_BANNED` for a ban)
   */
  refuse(address: string | undefined, reason: RefusalReason, message: string): NodeError {
    this.counts[reason]++
    this.onRefused({ address, reason, message })
    const from = address === undefined ? 'an inbound connection' : address
    return new NodeError(reason === 'banned' ? 'PEER_BANNED' : 'PEER_LIMIT', `refused ${from}: ${message}`)
  }

  /** Closes every handshake in progress (the node is closing). */
  abortAll(reason: Error): void {
    for (const ticket of [...this.handshakes]) {
      this.release(ticket)
      ticket.controller.abort(reason)
    }
  }

  private check(group: AddressGroup): { reason: RefusalReason; message: string } | undefined {
    const { limits } = this
    if (this.connectionsOf.get(group.ip) >= limits.maxConnectionsPerAddress) {
      return {
        reason: 'address-connections',
        message: `${group.ip} already has ${limits.maxConnectionsPerAddress} connections (maxConnectionsPerAddress)`,
      }
    }
    if (this.connectionsOf.get(group.subnet) >= limits.maxConnectionsPerSubnet) {
      return {
        reason: 'subnet-connections',
        message: `${group.subnet} already has ${limits.maxConnectionsPerSubnet} connections (maxConnectionsPerSubnet)`,
      }
    }
    if (this.handshakesOf.get(group.ip) >= limits.maxHandshakesPerAddress) {
      return {
        reason: 'address-handshakes',
        message: `${group.ip} already has ${limits.maxHandshakesPerAddress} handshakes in progress (maxHandshakesPerAddress)`,
      }
    }
    if (this.handshakesOf.get(group.subnet) >= limits.maxHandshakesPerSubnet) {
      return {
        reason: 'subnet-handshakes',
        message: `${group.subnet} already has ${limits.maxHandshakesPerSubnet} handshakes in progress (maxHandshakesPerSubnet)`,
      }
    }
    return undefined
  }
}
