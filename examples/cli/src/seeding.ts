import type { MycelNode, PeerInfo, ShareChange } from '@mycel/node'
import { dialableAddresses } from './addresses.js'
import type { Context } from './context.js'
import type { Lifetime } from './lifetime.js'
import { ProgressView, progressModeOf } from './progress.js'
import type { NodeSession } from './session.js'

/** How often the seeding line is redrawn on a terminal. */
const STATUS_INTERVAL_MS = 1000
/** How often a plain status line is printed when stderr is not a terminal. */
const STATUS_LINE_INTERVAL_MS = 60_000

function shortPeer(peer: PeerInfo): string {
  return `${peer.peerId.slice(0, 12)}${peer.address ? ` (${peer.address})` : ''}`
}

/**
 * Says when a shared file changed on disk (one warning, and a `share-changed`
 * event with `--json`), for as long as the node runs: from its start, since a
 * share resumed at start is checked at once.
 *
 * @param context - the command's context
 * @param node - the running node
 */
export function reportShareChanges(context: Context, node: MycelNode): void {
  node.on('share-changed', (change: ShareChange) => {
    context.out.warn(
      change.mismatchedPieces === 0
        ? `${change.path} matches ${change.name} again: all its pieces are served`
        : `${change.path} changed since it was shared: ${change.mismatchedPieces} of its ${change.filePieces} pieces no longer match ${change.name} and are not served (share it again to serve what it holds now)`,
    )
    context.out.event('share-changed', { ...change })
  })
}

/**
 * Seeds until SIGINT or SIGTERM, showing one status line (shares, peers,
 * upload rate, bytes sent) and, off a terminal, peers as they come and go;
 * then closes the node cleanly.
 *
 * @param context - the command's context
 * @param session - the running node
 * @param lifetime - the signals that end it
 */
export async function seedUntilStopped(context: Context, session: NodeSession, lifetime: Lifetime): Promise<void> {
  const { out } = context
  const { node } = session
  const addresses = dialableAddresses(node.addresses)
  out.note(`listening on ${addresses.join(', ') || 'no address'}; press Ctrl-C to stop`)
  out.event('seeding', { addresses, peerId: node.peerId })
  const mode = progressModeOf(out)
  const connected = new Set<string>()
  const key = (peer: PeerInfo) => `${peer.peerId} ${peer.address}`
  for (const peer of node.peers()) connected.add(key(peer))
  const onConnected = (peer: PeerInfo) => {
    connected.add(key(peer))
    if (mode === 'lines') out.note(`peer connected: ${shortPeer(peer)}`)
    out.event('peer-connected', { peerId: peer.peerId, address: peer.address ?? null })
  }
  const onDisconnected = (peer: PeerInfo) => {
    if (!connected.delete(key(peer))) return // reported once only
    if (mode === 'lines') out.note(`peer left: ${shortPeer(peer)}`)
    out.event('peer-disconnected', { peerId: peer.peerId, address: peer.address ?? null })
  }
  node.on('peer-connected', onConnected)
  node.on('peer-disconnected', onDisconnected)
  const status = new ProgressView(out, mode, { lineIntervalMs: STATUS_LINE_INTERVAL_MS, lifetime })
  const draw = () => {
    const stats = node.stats()
    const peers = stats.connections
    status.update({
      label: `seeding ${stats.shares} share${stats.shares === 1 ? '' : 's'}`,
      done: stats.bytesUploaded,
      total: undefined,
      rate: stats.uploadRate,
      doneLabel: 'sent',
      extra: `${peers} peer${peers === 1 ? '' : 's'}`,
    })
  }
  draw()
  const timer = setInterval(draw, STATUS_INTERVAL_MS)
  try {
    await lifetime.stopped()
  } finally {
    clearInterval(timer)
    draw()
    status.finish()
    node.off('peer-connected', onConnected)
    node.off('peer-disconnected', onDisconnected)
  }
  out.note('stopping...')
  await session.close()
  out.note('stopped')
  out.event('stopped', { signal: lifetime.signalName ?? null })
}
