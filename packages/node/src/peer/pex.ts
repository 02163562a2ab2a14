import { decodePexBody, encodePexBody, MESSAGE_LIMITS, PEX_PROTOCOL, toHex } from '@mycel/wire'
import type { ComponentLogger } from '@mycel/wire/log'
import { type Clock, every, systemClock } from '../clock.js'
import type { PeerLink, SwarmPeer } from '../swarm/peer.js'
import type { Swarm } from '../swarm/swarm.js'
import { Allowance, PEX_BUDGET } from './budgets.js'
import type { ConnectionProtocol, ProtocolChannel, ProtocolHandler } from './protocols.js'

/** Every member hears of the others again this often (and soon after members change). */
export const PEX_INTERVAL_MS = 60_000
/** PEX goes out this long after the members of a share change (changes in between are batched). */
const PEX_DELAY_MS = 500

/** What peer exchange asks of the node. @internal */
export interface PeerExchangeHooks {
  /** The swarm of a share we run. */
  swarmOf(infohashHex: string): Swarm | undefined
  /** Every swarm we run. */
  swarms(): Iterable<Swarm>
  /** Addresses a member of `swarm` told us about: peers to dial. */
  found(swarm: Swarm, addresses: readonly string[]): void
  /**
   * Whether the share takes part in peer exchange: not a private torrent
   * (BEP 27), which the node may know before its swarm has its manifest.
   * Default: unless its manifest says private.
   */
  exchanges?(swarm: Swarm): boolean
  /** Where ignored messages are logged (`mycel:peer`); a malformed one closes its connection, logged there. */
  readonly log?: ComponentLogger
  /** Time and timers; default the system clock. */
  readonly clock?: Clock
}

/**
 * Peer exchange (`pex/1`), an optional protocol on the connection
 * registry: tells each member of a share the listen addresses of the other
 * members (added since we last told it, and dropped), half a second after
 * the members change and every minute; and hands the addresses members tell
 * us to the dialler. A peer that is not a member of the share is not heard,
 * and a member's messages beyond {@link PEX_BUDGET} are ignored. A private
 * torrent (BEP 27) gets no peer exchange, either way.
 * @internal
 */
export class PeerExchange implements ConnectionProtocol {
  readonly name = PEX_PROTOCOL
  private readonly channels = new WeakMap<PeerLink, ProtocolChannel>()
  /** Addresses each member of a share heard of from us. */
  private readonly told = new WeakMap<SwarmPeer, Set<string>>()
  private readonly budgets = new WeakMap<PeerLink, Map<string, Allowance>>()
  private readonly due = new Set<Swarm>()
  private dueTimer: unknown
  private readonly stopTimer: () => void
  private readonly clock: Clock
  private closed = false

  constructor(private readonly hooks: PeerExchangeHooks) {
    this.clock = hooks.clock ?? systemClock
    this.stopTimer = every(this.clock, PEX_INTERVAL_MS, () => {
      for (const swarm of hooks.swarms()) this.tell(swarm)
    })
  }

  open(channel: ProtocolChannel): ProtocolHandler {
    this.channels.set(channel.link, channel)
    return {
      onMessage: (body) => this.receive(channel.link, body),
      onClose: () => this.channels.delete(channel.link),
    }
  }

  /** The members of a share changed: tell the others soon. */
  membersChanged(swarm: Swarm): void {
    if (this.closed) return
    this.due.add(swarm)
    if (this.dueTimer !== undefined) return
    this.dueTimer = this.clock.setTimeout(() => {
      this.dueTimer = undefined
      const swarms = [...this.due]
      this.due.clear()
      for (const due of swarms) this.tell(due)
    }, PEX_DELAY_MS)
    ;(this.dueTimer as { unref?: () => void }).unref?.()
  }

  /** Tells each member of a share about other members it has not heard of from us. */
  tell(swarm: Swarm): void {
    if (this.closed || this.hooks.swarmOf(swarm.infohashHex) !== swarm) return
    if (!this.exchanges(swarm)) return // BEP 27: its peers come from its trackers only
    const members = swarm.peers
    for (const peer of members) {
      const channel = this.channels.get(peer.link)
      if (channel === undefined) continue // it does not speak pex/1
      const told = this.told.get(peer) ?? new Set<string>()
      const current = new Set<string>()
      for (const other of members) {
        const address = other.link.listenAddress
        if (other !== peer && address !== undefined) current.add(address)
      }
      const added = [...current].filter((a) => !told.has(a)).slice(0, MESSAGE_LIMITS.maxAddresses)
      const dropped = [...told].filter((a) => !current.has(a)).slice(0, MESSAGE_LIMITS.maxAddresses)
      if (added.length === 0 && dropped.length === 0) continue
      channel.send(encodePexBody({ infohash: swarm.infohash, added, dropped }))
      for (const address of added) told.add(address)
      for (const address of dropped) told.delete(address)
      this.told.set(peer, told)
    }
  }

  /** Stops the timers. */
  close(): void {
    this.closed = true
    this.stopTimer()
    if (this.dueTimer !== undefined) this.clock.clearTimeout(this.dueTimer)
    this.due.clear()
  }

  private receive(link: PeerLink, body: Uint8Array): void {
    const { infohash, added } = decodePexBody(body) // a malformed body closes the connection
    const infohashHex = toHex(infohash)
    const swarm = this.hooks.swarmOf(infohashHex)
    if (swarm === undefined || !swarm.peers.some((member) => member.link === link)) {
      this.ignored(link, infohashHex, 'it is not a member of that share here')
      return
    }
    if (!this.exchanges(swarm)) {
      this.ignored(link, infohashHex, 'the share is a private torrent (BEP 27): no peer exchange')
      return
    }
    if (!this.allowance(link, infohashHex).take(1, this.clock.now())) {
      this.ignored(
        link,
        infohashHex,
        `over its budget of ${PEX_BUDGET.burst}, then one per ${PEX_BUDGET.intervalMs / 1000} s`,
      )
      return
    }
    if (added.length > 0) this.hooks.found(swarm, added)
  }

  private exchanges(swarm: Swarm): boolean {
    if (swarm.manifest?.privateTorrent === true) return false
    return this.hooks.exchanges?.(swarm) ?? true
  }

  private ignored(link: PeerLink, infohashHex: string, why: string): void {
    if (this.hooks.log?.enabled('debug'))
      this.hooks.log.debug(`ignored a pex message of ${link.key} for ${infohashHex}: ${why}`)
  }

  private allowance(link: PeerLink, infohashHex: string): Allowance {
    let byShare = this.budgets.get(link)
    if (byShare === undefined) {
      byShare = new Map()
      this.budgets.set(link, byShare)
    }
    let allowance = byShare.get(infohashHex)
    if (allowance === undefined) {
      allowance = new Allowance(PEX_BUDGET.burst, PEX_BUDGET.burst * PEX_BUDGET.intervalMs, this.clock.now())
      byShare.set(infohashHex, allowance)
    }
    return allowance
  }
}
