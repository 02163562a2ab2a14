import type { Clock } from '../clock.js'
import type { NodeContact } from '../compact.js'
import type { RoutingEntry, RoutingTable } from './table.js'

/** Sends a ping (with `retries` extra attempts); resolves when answered, rejects when not. @internal */
export type Pinger = (contact: NodeContact, retries: number) => Promise<unknown>

/**
 * Keeps the routing table honest, as BEP 5 asks: a node that answers us is
 * offered to the table; when its bucket is full of nodes some of which are
 * questionable, the least recently seen one is pinged (with one retry) and
 * either stays (then the next questionable one is tried) or is replaced. A
 * node that queries us is pinged first, when its bucket would take it, so
 * the table holds only nodes that answer. Pings in flight are bounded, and
 * so is the queue of nodes waiting to be checked (the oldest are dropped).
 * @internal
 */
export class Liveness {
  private readonly pinging = new Set<string>()
  /** Nodes that queried us and wait for a ping slot, oldest first (bounded: the oldest are dropped). */
  private readonly waiting = new Map<string, NodeContact>()

  constructor(
    private readonly table: RoutingTable,
    private readonly clock: Clock,
    private readonly maxPings: number,
    private readonly ping: Pinger,
  ) {}

  /** Pings in flight. */
  get pending(): number {
    return this.pinging.size
  }

  /** A node answered one of our queries. */
  responded(contact: NodeContact): void {
    const result = this.table.observe(contact, 'response', this.clock.now())
    if (result.status === 'ping') this.check(result.questionable, contact)
  }

  /** A node (not read-only) sent us a query. */
  queried(contact: NodeContact): void {
    const now = this.clock.now()
    const result = this.table.observe(contact, 'query', now)
    if (result.status !== 'ignored' || !this.table.wouldAccept(contact.id, now)) return
    const key = `${contact.host}|${contact.port}`
    if (this.pinging.has(key)) return
    if (this.pinging.size < this.maxPings) {
      this.start(contact, 0, undefined)
      return
    }
    this.waiting.delete(key)
    this.waiting.set(key, contact)
    if (this.waiting.size > this.maxPings * 4) this.waiting.delete(this.waiting.keys().next().value as string)
  }

  /** A node did not answer a query. */
  timedOut(id: Uint8Array): void {
    this.table.failed(id, this.clock.now())
  }

  private check(questionable: RoutingEntry, candidate: NodeContact): void {
    this.start(
      questionable,
      1,
      () => {
        this.table.failed(questionable.id, this.clock.now(), true)
      },
      () => this.responded(candidate),
    )
  }

  private start(
    contact: NodeContact,
    retries: number,
    onFailure: (() => void) | undefined,
    onSuccess?: () => void,
  ): void {
    const key = `${contact.host}|${contact.port}`
    if (this.pinging.has(key) || this.pinging.size >= this.maxPings) return
    this.pinging.add(key)
    this.ping(contact, retries)
      .then(
        () => onSuccess?.(),
        () => onFailure?.(),
      )
      .finally(() => {
        this.pinging.delete(key)
        this.next()
      })
  }

  /** Starts checking the next waiting node that the table would still take. */
  private next(): void {
    for (const [key, contact] of this.waiting) {
      if (this.pinging.size >= this.maxPings) return
      this.waiting.delete(key)
      if (this.table.wouldAccept(contact.id, this.clock.now())) this.start(contact, 0, undefined)
    }
  }
}
