import { isExemptAddress, isSecureNodeId, secureNodeId } from '../bep42.js'
import type { NodeContact } from '../compact.js'
import { DhtError } from '../errors.js'
import { ID_LENGTH, idFromHex, idToHex, randomNodeId } from '../id.js'
import { ipFamily, normalizeHost } from '../ip.js'

/**
 * A routing table as plain JSON-serialisable data, for a node to save on
 * shutdown and pass back as `routingTable` on the next start, so that it does
 * not start cold.
 */
export interface RoutingTableSnapshot {
  /** Format version; this package writes and reads 1. */
  readonly version: 1
  /** The node's own id (40 hex characters), reused on restore unless the caller sets `id`. */
  readonly id: string
  /** The nodes, closest buckets last. */
  readonly nodes: readonly { readonly id: string; readonly host: string; readonly port: number }[]
  /**
   * Our address as the network saw it (BEP 42 votes), if it was known. On
   * restore, an `id` that does not follow BEP 42 for this address is
   * replaced by one that does.
   */
  readonly external?: string
}

/** Most nodes read back from a snapshot (160 buckets of k = 8 would be 1,280). */
export const MAX_SNAPSHOT_NODES = 5000

/** @internal */
export function toSnapshot(
  id: Uint8Array,
  nodes: Iterable<NodeContact>,
  external: string | undefined,
): RoutingTableSnapshot {
  return {
    version: 1,
    id: idToHex(id),
    nodes: [...nodes].map((node) => ({ id: idToHex(node.id), host: node.host, port: node.port })),
    ...(external === undefined ? {} : { external }),
  }
}

/**
 * Checks a snapshot read from a file (untrusted: it may be truncated, edited
 * or from another program). The shape must be right; single node entries
 * that are wrong (bad id, host that is not an IP address, bad port) are
 * skipped rather than failing the whole restore.
 * @internal
 */
export function fromSnapshot(value: unknown): { id: Uint8Array; nodes: NodeContact[]; external?: string } {
  if (typeof value !== 'object' || value === null) throw invalid('not an object')
  const snapshot = value as Record<string, unknown>
  if (snapshot.version !== 1) throw invalid(`unsupported version ${String(snapshot.version)}`)
  if (typeof snapshot.id !== 'string' || !/^[0-9a-fA-F]{40}$/.test(snapshot.id)) throw invalid('bad id')
  if (!Array.isArray(snapshot.nodes)) throw invalid('nodes is not a list')
  const nodes: NodeContact[] = []
  for (const item of snapshot.nodes.slice(0, MAX_SNAPSHOT_NODES) as unknown[]) {
    if (typeof item !== 'object' || item === null) continue
    const { id, host, port } = item as Record<string, unknown>
    if (typeof id !== 'string' || !/^[0-9a-fA-F]{40}$/.test(id)) continue
    if (typeof host !== 'string' || ipFamily(host) === 0) continue
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) continue
    nodes.push({ id: idFromHex(id), host: normalizeHost(host), port })
  }
  const id = idFromHex(snapshot.id)
  if (id.length !== ID_LENGTH) throw invalid('bad id')
  const { external } = snapshot
  // a wrong external address is left out, like a wrong node entry
  if (typeof external !== 'string' || ipFamily(external) === 0) return { id, nodes }
  return { id, nodes, external: normalizeHost(external) }
}

/**
 * Our id on a start: that of the restored table, replaced by a BEP 42 id
 * when the last run learned a public address the old id does not follow;
 * random for a first start (the address is not known yet).
 * @internal
 */
export function idOnRestart(restored: ReturnType<typeof fromSnapshot> | undefined): Uint8Array {
  if (restored === undefined) return randomNodeId()
  const { id, external } = restored
  if (external === undefined || isExemptAddress(external) || isSecureNodeId(id, external)) return id
  return secureNodeId(external)
}

function invalid(detail: string): DhtError {
  return new DhtError('INVALID_SNAPSHOT', `invalid routing table snapshot: ${detail}`)
}
