import type { BencodeDict } from '@mycel/wire'
import type { ComponentLogger } from '@mycel/wire/log'
import { abortError, throwIfAborted } from '@mycel/wire/signal'
import { formatHostPort, type PeerAddress } from '../address.js'
import type { Clock } from '../clock.js'
import { encodeCompactPeer } from '../compact.js'
import { DhtError } from '../errors.js'
import { ID_LENGTH } from '../id.js'
import type { DhtLimits } from '../limits.js'
import type { DatagramSocket } from '../socket.js'
import { decodeKrpc, encodeKrpc, KRPC_ERROR, type KrpcQuery } from './message.js'
import { AddressRateLimiter } from './rate-limit.js'

/** Why a datagram was dropped without an answer; each reason has a counter in the node's stats. */
export type DropReason =
  | 'oversized'
  | 'malformed'
  | 'rate-limited'
  | 'unexpected-response'
  | 'invalid-response'
  | 'read-only'

/** Every {@link DropReason}, in a fixed order. */
export const DROP_REASONS: readonly DropReason[] = Object.freeze([
  'oversized',
  'malformed',
  'rate-limited',
  'unexpected-response',
  'invalid-response',
  'read-only',
])

/** How a query handler answers: return values, a KRPC error, or nothing (stay silent). @internal */
export type KrpcReply =
  | { readonly values: Record<string, unknown> }
  | { readonly error: { readonly code: number; readonly message: string } }
  | undefined

/** Options of one outgoing query. @internal */
export interface QueryOptions {
  readonly signal?: AbortSignal
  /** Milliseconds to wait for each attempt. */
  readonly timeout?: number
  /** Attempts after the first, each after a timeout, with the same transaction id. */
  readonly retries?: number
  /** Called each time the query's datagram is sent (first attempt and retries). */
  readonly onTransmit?: () => void
}

/** A successful answer to a query. @internal */
export interface QueryAnswer {
  /** Who answered (the address the query went to). */
  readonly from: PeerAddress
  /** The responder's node id (`r.id`, checked to be 20 bytes). */
  readonly id: Uint8Array
  /** Every value of `r`. */
  readonly values: BencodeDict
}

/** Counters of one KRPC socket. @internal */
export interface KrpcCounters {
  queriesSent: number
  queriesReceived: number
  responsesReceived: number
  errorsReceived: number
  timeouts: number
  dropped: Record<DropReason, number>
}

interface Pending {
  readonly key: string
  readonly method: string
  readonly datagram: Uint8Array
  readonly to: PeerAddress
  readonly timeout: number
  attemptsLeft: number
  readonly onTransmit: (() => void) | undefined
  timer: unknown
  resolve(answer: QueryAnswer): void
  reject(error: DhtError): void
}

interface KrpcSocketOptions {
  readonly socket: DatagramSocket
  readonly clock: Clock
  readonly limits: DhtLimits
  readonly timeout: number
  readonly readOnly: boolean
  readonly version?: Uint8Array
  /** Where drops and refusals are logged, with their reason. */
  readonly log: ComponentLogger
  readonly onQuery: (query: KrpcQuery, from: PeerAddress) => KrpcReply
  /** A response carried `ip` (BEP 42): the compact address `by` saw our query come from. */
  readonly onAddressReport?: (reported: Uint8Array, by: PeerAddress) => void
}

const addressKey = (address: PeerAddress) => `${address.host}|${address.port}`

/**
 * The KRPC transport of BEP 5 over a {@link DatagramSocket}: 2-byte
 * transaction ids matched together with the sender's address, per-attempt
 * timeouts and retries, a bound on queries in flight, per-address rate
 * limiting of incoming queries, and counters of everything dropped. Nothing
 * a remote sends makes it throw.
 * @internal
 */
export class KrpcSocket {
  readonly counters: KrpcCounters = {
    queriesSent: 0,
    queriesReceived: 0,
    responsesReceived: 0,
    errorsReceived: 0,
    timeouts: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>,
  }
  private readonly pending = new Map<number, Pending>()
  private readonly waiters: (() => void)[] = []
  private readonly watched = new Map<AbortSignal, { entries: Set<Pending>; listener: () => void }>()
  private readonly limiter: AddressRateLimiter
  private nextTid = Math.floor(Math.random() * 0x10000)
  private closed = false

  constructor(private readonly options: KrpcSocketOptions) {
    this.limiter = new AddressRateLimiter(options.limits.queriesPerSecondPerAddress, options.limits.maxTrackedAddresses)
    options.socket.onDatagram((datagram, from) => this.receive(datagram, from))
  }

  /** Queries waiting for an answer. */
  get inFlight(): number {
    return this.pending.size
  }

  /**
   * Sends a query and waits for its answer.
   * @throws {@link DhtError} `TIMEOUT`, `REMOTE_ERROR`, `INVALID_RESPONSE`, `ABORTED`, `CLOSED`
   */
  async query(
    to: PeerAddress,
    method: string,
    args: Record<string, unknown>,
    options: QueryOptions = {},
  ): Promise<QueryAnswer> {
    const { signal } = options
    if (this.closed) throw DhtError.closed()
    throwIfAborted(signal, DhtError)
    while (this.pending.size >= this.options.limits.maxPendingQueries) {
      await this.waitForSlot(signal)
      if (this.closed) throw DhtError.closed()
    }
    const tid = this.allocateTransactionId()
    const transactionId = new Uint8Array([tid >> 8, tid & 0xff])
    const datagram = encodeKrpc({
      kind: 'query',
      transactionId,
      method,
      args,
      readOnly: this.options.readOnly,
      version: this.options.version,
    })
    return new Promise<QueryAnswer>((resolve, reject) => {
      const finish = () => {
        this.pending.delete(tid)
        this.options.clock.clearTimeout(entry.timer)
        if (signal !== undefined) this.unwatch(signal, entry)
        this.waiters.shift()?.()
      }
      const entry: Pending = {
        key: addressKey(to),
        method,
        datagram,
        to,
        timeout: options.timeout ?? this.options.timeout,
        attemptsLeft: options.retries ?? 0,
        onTransmit: options.onTransmit,
        timer: undefined,
        resolve: (answer) => {
          finish()
          resolve(answer)
        },
        reject: (error) => {
          finish()
          reject(error)
        },
      }
      this.pending.set(tid, entry)
      if (signal !== undefined) this.watch(signal, entry)
      this.transmit(entry)
    })
  }

  /** One abort listener per signal, however many queries share it (a lookup's queries do). */
  private watch(signal: AbortSignal, entry: Pending): void {
    let watched = this.watched.get(signal)
    if (watched === undefined) {
      const entries = new Set<Pending>()
      const listener = () => {
        for (const pending of [...entries]) pending.reject(abortError(signal, DhtError))
      }
      watched = { entries, listener }
      this.watched.set(signal, watched)
      signal.addEventListener('abort', listener, { once: true })
    }
    watched.entries.add(entry)
  }

  private unwatch(signal: AbortSignal, entry: Pending): void {
    const watched = this.watched.get(signal)
    if (watched === undefined) return
    watched.entries.delete(entry)
    if (watched.entries.size > 0) return
    signal.removeEventListener('abort', watched.listener)
    this.watched.delete(signal)
  }

  private transmit(entry: Pending): void {
    this.counters.queriesSent++
    entry.onTransmit?.()
    this.options.socket.send(entry.datagram, entry.to)
    entry.timer = this.options.clock.setTimeout(() => {
      if (entry.attemptsLeft > 0) {
        entry.attemptsLeft--
        this.transmit(entry)
        return
      }
      this.counters.timeouts++
      entry.reject(DhtError.timeout(entry.method, `${entry.to.host}:${entry.to.port}`))
    }, entry.timeout)
  }

  private allocateTransactionId(): number {
    do this.nextTid = (this.nextTid + 1) & 0xffff
    while (this.pending.has(this.nextTid))
    return this.nextTid
  }

  private waitForSlot(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(wake)
        if (index >= 0) this.waiters.splice(index, 1)
        reject(abortError(signal as AbortSignal, DhtError))
      }
      const wake = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(wake)
    })
  }

  private receive(datagram: Uint8Array, from: PeerAddress): void {
    if (this.closed) return
    let message: ReturnType<typeof decodeKrpc>
    try {
      message = decodeKrpc(datagram, this.options.limits.maxPacketBytes)
    } catch (err) {
      const reason = err instanceof DhtError && err.code === 'PACKET_TOO_LARGE' ? 'oversized' : 'malformed'
      this.drop(reason, from, () => (err instanceof Error ? err.message : String(err)))
      return
    }
    if (message.kind === 'query') {
      this.answer(message, from)
      return
    }
    const t = message.transactionId
    const entry = t.length === 2 ? this.pending.get(((t[0] as number) << 8) | (t[1] as number)) : undefined
    if (entry === undefined || entry.key !== addressKey(from)) {
      this.drop('unexpected-response', from, () =>
        entry === undefined ? 'no query of ours waits for its transaction id' : 'our query went to another address',
      )
      return
    }
    if (message.kind === 'error') {
      this.counters.errorsReceived++
      entry.reject(DhtError.remote(message.code, message.message))
      return
    }
    const id = message.values.id
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) {
      this.drop('invalid-response', from, () => `the answer to our ${entry.method} has no 20-byte r.id`)
      entry.reject(DhtError.invalidResponse('r.id is not a 20-byte string'))
      return
    }
    this.counters.responsesReceived++
    if (message.ip !== undefined) this.options.onAddressReport?.(message.ip, entry.to)
    entry.resolve({ from: entry.to, id: id.slice(), values: message.values })
  }

  private answer(query: KrpcQuery, from: PeerAddress): void {
    if (this.options.readOnly) {
      this.drop('read-only', from, () => `a ${query.method} query: a read-only node answers none (BEP 43)`)
      return
    }
    if (!this.limiter.allow(addressKey(from), this.options.clock.now())) {
      const limit = this.options.limits.queriesPerSecondPerAddress
      this.drop('rate-limited', from, () => `a ${query.method} query over ${limit} per second from that address`)
      return
    }
    this.counters.queriesReceived++
    const transactionId = query.transactionId
    const version = this.options.version
    let datagram: Uint8Array
    try {
      const reply = this.options.onQuery(query, from)
      if (reply === undefined) return
      if ('error' in reply && this.options.log.enabled('debug')) {
        const { code, message } = reply.error
        this.options.log.debug(`refused ${query.method} from ${formatHostPort(from)}: ${code} ${message}`, {
          from: formatHostPort(from),
          method: query.method,
          code,
        })
      }
      datagram =
        'values' in reply
          ? encodeKrpc({ kind: 'response', transactionId, values: reply.values, ip: encodeCompactPeer(from), version })
          : encodeKrpc({ kind: 'error', transactionId, ...reply.error, version })
    } catch (err) {
      // A handler that throws is a bug of ours: the remote gets 202, the log the error.
      this.options.log.error(`answering ${query.method} from ${formatHostPort(from)} failed: answered 202`, {
        error: err,
      })
      datagram = encodeKrpc({ kind: 'error', transactionId, code: KRPC_ERROR.server, message: 'server error', version })
    }
    this.options.socket.send(datagram, from)
  }

  /** Counts a datagram dropped without an answer, and logs why (the detail is built only when logged). */
  private drop(reason: DropReason, from: PeerAddress, detail: () => string): void {
    this.counters.dropped[reason]++
    const { log } = this.options
    if (!log.enabled('debug')) return
    const address = formatHostPort(from)
    log.debug(`dropped a datagram from ${address} (${reason}): ${detail()}`, { from: address, reason })
  }

  /** Forgets rate-limit windows that have ended. */
  prune(): void {
    this.limiter.prune(this.options.clock.now())
  }

  /** Rejects every pending query with `CLOSED` and stops answering. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const entry of [...this.pending.values()]) entry.reject(DhtError.closed())
    for (const wake of this.waiters.splice(0)) wake()
  }
}
