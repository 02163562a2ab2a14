import type { BencodeDict } from '@mycel/wire'
import { equalBytes } from '@mycel/wire'
import { abortError, linkSignals } from '@mycel/wire/signal'
import type { PeerAddress } from '../address.js'
import type { Clock } from '../clock.js'
import { decodeCompactNodes, type IpFamily, type NodeContact } from '../compact.js'
import { DhtError } from '../errors.js'
import type { QueryAnswer } from '../krpc/rpc.js'
import { type Candidate, CandidateList } from './candidates.js'

/** The iterative queries a lookup can make: BEP 5 `find_node` and `get_peers`, BEP 44 `get`. */
export type LookupMethod = 'find_node' | 'get_peers' | 'get'

/** A node among the k closest to a lookup's target that answered, with the write token it gave. */
export interface ClosestNode extends NodeContact {
  /** The `token` of its `get_peers` / `get` answer (none for `find_node`). */
  readonly token?: Uint8Array
}

/**
 * What a lookup yields as it runs: every answer, every failed query, and
 * finally the k closest nodes that answered with the lookup's costs.
 */
export type LookupEvent =
  | {
      /** A node answered. */
      readonly type: 'response'
      /** Who answered. */
      readonly from: NodeContact
      /** Every value of its answer (`r`); byte strings are views into the datagram. */
      readonly values: BencodeDict
      /** Hops from our routing table: 1 for nodes we knew, n + 1 for nodes learnt in round n. */
      readonly round: number
    }
  | {
      /** A query failed (timeout, error reply, or an answer from another id than expected). */
      readonly type: 'failure'
      /** Where the query went. */
      readonly to: PeerAddress
      /** The id we expected there, if we knew one. */
      readonly id: Uint8Array | undefined
      /** Why. */
      readonly error: DhtError
    }
  | ({
      /** The lookup converged (the k closest nodes not failed all answered) or ran out of nodes. */
      readonly type: 'done'
    } & LookupSummary)

/** The result of a lookup: the closest nodes that answered, and what it cost. */
export interface LookupSummary {
  /** Up to k nodes that answered, closest to the target first. */
  readonly closest: readonly ClosestNode[]
  /** Queries sent (nodes asked). */
  readonly queries: number
  /** Datagrams those queries took: a node silent for half the query timeout is asked a second time. */
  readonly datagrams: number
  /** Answers received. */
  readonly responses: number
  /** Deepest round queried (see the `round` of a response event). */
  readonly rounds: number
}

/** What a lookup needs from its node. @internal */
export interface LookupContext {
  readonly id: Uint8Array
  readonly family: IpFamily
  readonly k: number
  readonly alpha: number
  readonly stallTimeout: number
  readonly maxQueries: number
  readonly maxCandidates: number
  readonly clock: Clock
  /** Nodes of the routing table to start from. */
  seeds(target: Uint8Array): readonly NodeContact[]
  /** Bootstrap addresses to add when the routing table has fewer than k nodes. */
  bootstrap(signal: AbortSignal): Promise<readonly PeerAddress[]>
  /** Sends one query, updating the routing table with the outcome; `onTransmit` counts its datagrams. */
  query(
    to: PeerAddress,
    method: LookupMethod,
    args: Record<string, unknown>,
    expectedId: Uint8Array | undefined,
    signal: AbortSignal,
    onTransmit: () => void,
  ): Promise<QueryAnswer>
}

/** What a lookup asks. @internal */
export interface LookupRequest {
  readonly target: Uint8Array
  readonly method: LookupMethod
  /** The arguments besides `id` (e.g. `{ info_hash }`). */
  readonly args: Record<string, unknown>
  readonly signal?: AbortSignal
}

/** Why the queries still in flight are cancelled when a lookup ends (one object: no DOMException per lookup). */
const FINISHED = new DhtError('ABORTED', 'the lookup has finished')

/** Longest write token kept from an answer (ours are 8 bytes; BEP 5 says "short"). */
const MAX_TOKEN_BYTES = 64

type Outcome =
  | { readonly kind: 'answer'; readonly candidate: Candidate; readonly answer: QueryAnswer }
  | { readonly kind: 'error'; readonly candidate: Candidate; readonly error: DhtError }
  | { readonly kind: 'stall' }

/**
 * An iterative Kademlia lookup: up to `alpha` queries at a time to the
 * closest nodes not yet asked, until the k closest nodes that did not fail
 * have all answered. A query unanswered after `stallTimeout` stops counting
 * against `alpha` (it may still answer), so dead nodes slow a lookup little.
 * Leaving the loop early (or aborting) cancels the queries in flight.
 * @internal
 */
export async function* runLookup(
  context: LookupContext,
  request: LookupRequest,
): AsyncGenerator<LookupEvent, void, undefined> {
  const link = linkSignals([request.signal])
  const { target } = request
  const candidates = new CandidateList(target, context.id, context.k, context.maxCandidates)
  const outcomes: Outcome[] = []
  const stallTimers = new Set<unknown>()
  let wake: (() => void) | undefined
  const notify = (outcome: Outcome) => {
    outcomes.push(outcome)
    wake?.()
  }
  const onAbort = () => wake?.()
  link.signal.addEventListener('abort', onAbort)
  let active = 0
  let inFlight = 0
  let queries = 0
  let datagrams = 0
  const onTransmit = () => {
    datagrams++
  }
  let responses = 0
  let rounds = 0

  const send = (candidate: Candidate) => {
    candidate.state = 'pending'
    queries++
    active++
    inFlight++
    if (candidate.round > rounds) rounds = candidate.round
    const timer = context.clock.setTimeout(() => {
      stallTimers.delete(timer)
      if (candidate.state !== 'pending') return
      candidate.stalled = true
      active--
      notify({ kind: 'stall' })
    }, context.stallTimeout)
    stallTimers.add(timer)
    const settle = () => {
      context.clock.clearTimeout(timer)
      stallTimers.delete(timer)
      inFlight--
      if (!candidate.stalled) active--
    }
    context.query(candidate.address, request.method, request.args, candidate.id, link.signal, onTransmit).then(
      (answer) => {
        settle()
        notify({ kind: 'answer', candidate, answer })
      },
      (error: DhtError) => {
        settle()
        notify({ kind: 'error', candidate, error })
      },
    )
  }

  try {
    for (const seed of context.seeds(target)) candidates.add(seed, 1)
    if (candidates.ranked.length < context.k) {
      for (const address of await context.bootstrap(link.signal)) candidates.addAddress(address)
    }
    for (;;) {
      if (link.signal.aborted) throw abortError(link.signal, DhtError)
      while (active < context.alpha && queries < context.maxQueries) {
        const next = candidates.next()
        if (next === undefined) break
        send(next)
      }
      if (outcomes.length === 0 && (inFlight === 0 || candidates.converged())) break
      if (outcomes.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = undefined
        continue
      }
      const outcome = outcomes.shift() as Outcome
      if (outcome.kind === 'stall') continue
      const { candidate } = outcome
      if (outcome.kind === 'error') {
        candidate.state = 'failed'
        yield { type: 'failure', to: candidate.address, id: candidate.id, error: outcome.error }
        continue
      }
      const { answer } = outcome
      responses++
      const rawToken = answer.values.token
      const token = rawToken instanceof Uint8Array && rawToken.length <= MAX_TOKEN_BYTES ? rawToken.slice() : undefined
      let answered: Candidate | undefined = candidate
      if (candidate.id === undefined || !equalBytes(candidate.id, answer.id)) {
        candidate.state = 'failed'
        answered = candidates.add({ id: answer.id, ...candidate.address }, candidate.round, true)
      } else {
        candidate.state = 'responded'
      }
      if (answered !== undefined) answered.token = token
      const field = context.family === 4 ? answer.values.nodes : answer.values.nodes6
      const nodes = field instanceof Uint8Array ? decodeCompactNodes(field, context.family) : undefined
      for (const node of nodes ?? []) candidates.add(node, candidate.round + 1)
      const from = { id: answer.id, host: candidate.address.host, port: candidate.address.port }
      yield { type: 'response', from, values: answer.values, round: candidate.round }
    }
    const closest = candidates.closest().map((candidate) => ({
      id: candidate.id as Uint8Array,
      host: candidate.address.host,
      port: candidate.address.port,
      ...(candidate.token === undefined ? {} : { token: candidate.token }),
    }))
    yield { type: 'done', closest, queries, datagrams, responses, rounds }
  } finally {
    link.signal.removeEventListener('abort', onAbort)
    for (const timer of stallTimers) context.clock.clearTimeout(timer)
    link.abort(FINISHED)
  }
}
