import { throwIfAborted } from '@mycel/wire/signal'
import type { PeerAddress } from '../address.js'
import type { IpFamily, NodeContact } from '../compact.js'
import { DhtError } from '../errors.js'
import type { QueryAnswer } from '../krpc/rpc.js'
import type { DhtLimits } from '../limits.js'
import type { ClosestNode, LookupEvent, LookupRequest, LookupSummary } from '../lookup/lookup.js'
import type { StoredItem } from '../storage/item-store.js'

/** What the store-and-fetch operations need from their node. @internal */
export interface OperationContext {
  readonly family: IpFamily
  readonly limits: DhtLimits
  /** Runs an iterative lookup. */
  lookup(request: LookupRequest): AsyncGenerator<LookupEvent, void, undefined>
  /** Peers announced to this node itself under `key` (it may be one of the closest). */
  localPeers(key: Uint8Array): PeerAddress[]
  /** The item stored on this node itself under `target`, if any. */
  localItem(target: Uint8Array): StoredItem | undefined
  /** Sends a storing query (`announce_peer`, `put`) with one retry. */
  store(
    to: NodeContact,
    method: string,
    args: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<QueryAnswer>
}

/** A remote node that refused a store, with the KRPC error it sent. */
export interface StoreRejection {
  /** The node. */
  readonly node: NodeContact
  /** Its KRPC error code (e.g. 302 for a stale `seq`). */
  readonly code: number
  /** The error, as text (including the remote's message). */
  readonly message: string
}

/** Outcome of storing something at the closest nodes. */
export interface StoreResult {
  /** How many of the closest nodes accepted it. */
  readonly stored: number
  /** Closest nodes that answered with a KRPC error. */
  readonly rejections: readonly StoreRejection[]
}

/** Runs a lookup to its end and returns its summary (and the answers, for the caller to inspect). @internal */
export async function lookupClosest(
  context: OperationContext,
  request: LookupRequest,
  onResponse?: (event: Extract<LookupEvent, { type: 'response' }>) => void,
): Promise<LookupSummary> {
  for await (const event of context.lookup(request)) {
    if (event.type === 'response') onResponse?.(event)
    if (event.type === 'done') return event
  }
  return { closest: [], queries: 0, datagrams: 0, responses: 0, rounds: 0 }
}

/** Sends one storing query to every node with a token, in parallel, and counts the outcomes. @internal */
export async function storeAtClosest(
  context: OperationContext,
  nodes: readonly ClosestNode[],
  method: string,
  argsFor: (node: ClosestNode, token: Uint8Array) => Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<StoreResult> {
  const withToken = nodes.filter((node) => node.token !== undefined)
  const outcomes = await Promise.allSettled(
    withToken.map((node) => context.store(node, method, argsFor(node, node.token as Uint8Array), signal)),
  )
  throwIfAborted(signal, DhtError)
  let stored = 0
  const rejections: StoreRejection[] = []
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') {
      stored++
      return
    }
    const error = outcome.reason as DhtError
    if (error.code === 'ABORTED' || error.code === 'CLOSED') throw error
    if (error.code === 'REMOTE_ERROR') {
      const node = withToken[index] as ClosestNode
      rejections.push({
        node: { id: node.id, host: node.host, port: node.port },
        code: error.remoteCode ?? 0,
        message: error.message,
      })
    }
  })
  return { stored, rejections }
}
