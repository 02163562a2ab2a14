/**
 * How one share is found: under its announce key, by the node's sources and
 * its own trackers, and, for a private torrent (BEP 27), by its own
 * trackers and the peers the user named only (no DHT, no node-wide tracker,
 * no peer exchange).
 * @internal
 * @module
 */

import type { Manifest } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import type { Swarm } from '../swarm/swarm.js'
import { type AnnounceKeyPolicy, resolveShareKey } from './announce-key.js'
import type { PeerSource, ShareKey, ShareTransfer } from './peer-source.js'
import type { DiscoveryScheduler } from './scheduler.js'
import type { ShareTrackers } from './share-trackers.js'
import type { TrackerList } from './tracker/tiers.js'

/** What a share's discovery needs of the node. @internal */
export interface ShareDiscoveryContext {
  readonly scheduler: DiscoveryScheduler<Swarm>
  readonly state: StateStore
  readonly trackers: ShareTrackers
  /** The node's default announce key. */
  readonly announceKey: AnnounceKeyPolicy
  /** The node-wide sources a private torrent still asks (the peers the user named). */
  readonly keepForPrivate: (source: PeerSource) => boolean
}

/**
 * Starts finding peers for a share and announcing it. Nothing runs before
 * its key is known, and by then its own trackers are added and, when its
 * manifest is known to be a private torrent's, the other sources are gone.
 *
 * @param context - the node's discovery
 * @param swarm - the share
 * @param options - the announce key and the trackers of this call
 */
export function discoverShare(
  context: ShareDiscoveryContext,
  swarm: Swarm,
  options: { readonly announceKey?: AnnounceKeyPolicy | undefined; readonly trackers?: TrackerList | undefined },
): void {
  const { scheduler, state, trackers } = context
  const key = (async (): Promise<ShareKey> => {
    const [shareKey, manifest, source] = await Promise.all([
      resolveShareKey(state, swarm.infohash, options.announceKey, context.announceKey),
      state.getManifest(swarm.infohash).catch(() => undefined),
      trackers.add(swarm.infohashHex, options.trackers).catch(() => []),
    ])
    if (manifest !== undefined) restrictIfPrivate(context, swarm, manifest)
    if (source.length > 0) scheduler.addSources(swarm, source)
    return shareKey
  })()
  scheduler.add(swarm, { key })
}

/**
 * Adds trackers to a share that runs (a share or download asked for again
 * with more).
 *
 * @param context - the node's discovery
 * @param swarm - the share
 * @param given - the trackers
 * @returns when they are saved and asked (it never rejects: a failure leaves the share as it was)
 */
export async function addShareTrackers(
  context: ShareDiscoveryContext,
  swarm: Swarm,
  given: TrackerList,
): Promise<void> {
  if (given.length === 0) return
  try {
    const sources = await context.trackers.add(swarm.infohashHex, given)
    if (sources.length > 0) context.scheduler.addSources(swarm, sources)
  } catch {
    // the state store failed: the trackers are not added
  }
}

/**
 * A private torrent (BEP 27) is found only through its own trackers and
 * the peers the user named; peer exchange leaves it alone as well (see
 * `PeerExchange`).
 *
 * @param context - the node's discovery
 * @param swarm - the share
 * @param manifest - its manifest, once known
 */
export function restrictIfPrivate(context: ShareDiscoveryContext, swarm: Swarm, manifest: Manifest): void {
  if (manifest.privateTorrent) context.scheduler.restrict(swarm, context.keepForPrivate)
}

/** Stops a share's discovery. */
export function forgetShareDiscovery(context: ShareDiscoveryContext, swarm: Swarm): void {
  context.scheduler.remove(swarm)
  context.trackers.forget(swarm.infohashHex)
}

/**
 * What a share moved in this run and still wants, as trackers are told:
 * `left` is unknown (undefined) until the manifest is, then the bytes of
 * wanted pieces not held (0 for a seeder).
 */
export function shareTransfer(swarm: Swarm): ShareTransfer {
  const left = swarm.manifest === undefined ? undefined : Math.max(0, swarm.wanted.bytes - swarm.verifiedBytes)
  return { uploaded: swarm.uploaded.total, downloaded: swarm.downloaded.total, left }
}
