/**
 * What a share has now, for {@link MycelNode.sharePeers} and
 * {@link MycelNode.trackerStatus}: its connected peers, and the trackers it
 * is announced to with how their last announce went.
 * @internal
 * @module
 */

import type { DiscoveryScheduler } from '../discovery/scheduler.js'
import { TrackerPeerSource, type TrackerStatus } from '../discovery/tracker/tracker-source.js'
import type { PeerInfo } from '../events.js'
import type { Swarm } from '../swarm/swarm.js'

/**
 * The connected peers that are members of a share.
 *
 * @param swarm - the share
 * @param connected - every connected peer of the node
 * @returns those of the share
 */
export function peersOfShare(swarm: Swarm, connected: readonly PeerInfo[]): PeerInfo[] {
  const members = new Set(swarm.peers.map((peer) => peer.link.key))
  return connected.filter((peer) => members.has(peer.peerId))
}

/**
 * The trackers a share is announced to: its own sources first, then the
 * node's, tiers numbered across them.
 *
 * @param discovery - the node's scheduler
 * @param swarm - the share
 * @returns one status per tracker
 */
export function trackersOfShare(discovery: DiscoveryScheduler<Swarm>, swarm: Swarm): TrackerStatus[] {
  const { sources, key } = discovery.sourcesOf(swarm)
  const trackers = [...sources.filter(({ own }) => own), ...sources.filter(({ own }) => !own)]
    .map(({ source }) => source)
    .filter((source): source is TrackerPeerSource => source instanceof TrackerPeerSource)
  const statuses: TrackerStatus[] = []
  let tiers = 0
  for (const source of trackers) {
    const listed = source.status(key)
    for (const status of listed) statuses.push({ ...status, tier: status.tier + tiers })
    tiers = Math.max(tiers, ...listed.map((status) => status.tier + tiers + 1))
  }
  return statuses
}
