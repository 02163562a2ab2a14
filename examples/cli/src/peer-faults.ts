import type { MycelNode, PeerFault, PeerInfo } from '@mycel/node'
import type { Output } from './output.js'

/** A peer banned while a command ran. */
interface Ban {
  peerId: string
  address: string | undefined
  reason: string
}

/** A peer as a line names it: the start of its id, and where it was connected from. */
function who(peerId: string, address: string | undefined): string {
  return `${peerId.slice(0, 12)}…${address === undefined ? '' : ` at ${address}`}`
}

/**
 * Says, while a download runs, which peers the node banned or penalised
 * (one note each, and a `--json` event), and remembers the bans, so that a
 * download left without peers can say why.
 */
export class PeerFaultWatch {
  private readonly bans: Ban[] = []
  private readonly seen = new Set<string>()
  private readonly onConnected = (peer: PeerInfo): void => {
    this.seen.add(peer.peerId)
  }
  private readonly onBanned = (peerId: string, reason: string, peer: PeerInfo | undefined): void => {
    const address = peer?.address
    this.seen.add(peerId)
    this.bans.push({ peerId, address, reason })
    this.out.note(`peer ${who(peerId, address)} banned for an hour: ${reason}`)
    this.out.event('peer-banned', { peerId, address: address ?? null, reason })
  }
  private readonly onPenalised = (fault: PeerFault): void => {
    const what = fault.disconnected ? 'disconnected' : `lost ${fault.penalty} points of score`
    this.out.note(`peer ${who(fault.peerId, fault.address)} ${what}: ${fault.reason}`)
    this.out.event('peer-penalised', { ...fault, address: fault.address ?? null })
  }

  constructor(
    private readonly node: MycelNode,
    private readonly out: Output,
  ) {
    node.on('peer-connected', this.onConnected)
    node.on('peer-banned', this.onBanned)
    node.on('peer-penalised', this.onPenalised)
  }

  /**
   * What became of the peers, for a download that has none: the bans, and
   * whether they were every peer it met. Undefined when nobody was banned.
   */
  explainNoPeers(): string | undefined {
    const [first] = this.bans
    if (first === undefined) return undefined
    const everyone = this.seen.size <= this.bans.length
    if (this.bans.length === 1) {
      const peer = who(first.peerId, first.address)
      return everyone ? `the only peer, ${peer}, was banned: ${first.reason}` : `${peer} was banned: ${first.reason}`
    }
    const list = this.bans.map((ban) => `${who(ban.peerId, ban.address)}: ${ban.reason}`).join('; ')
    return `${everyone ? 'all ' : ''}${this.bans.length} peers were banned (${list})`
  }

  /** Stops listening to the node. */
  stop(): void {
    this.node.off('peer-connected', this.onConnected)
    this.node.off('peer-banned', this.onBanned)
    this.node.off('peer-penalised', this.onPenalised)
  }
}
