import type { PeersView } from '../api/types.js'
import { formatBytes, shortId } from '../format.js'
import { useRpc } from '../hooks.js'
import { ErrorLine } from '../widgets/error-line.js'

/**
 * Peers: those connected now (read again when one connects or leaves),
 * and those the node remembers with their scores and bans (the best and
 * the worst scored).
 */
export function Peers() {
  const peers = useRpc<PeersView>('peers', {}, ['peer.connected', 'peer.disconnected'])
  const view = peers.value
  return (
    <section class="peers">
      <h2>Connected peers</h2>
      <ErrorLine error={peers.error} />
      {view === undefined || view.connected.length === 0 ? (
        <p class="muted">No peer is connected.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>peer id</th>
              <th>address</th>
              <th>direction</th>
              <th>agent</th>
              <th>received</th>
              <th>sent</th>
            </tr>
          </thead>
          <tbody>
            {view.connected.map((peer) => (
              <tr key={peer.peerId} data-peer={peer.peerId}>
                <td class="mono" title={peer.peerId}>
                  {shortId(peer.peerId)}
                </td>
                <td class="mono">{peer.address ?? '-'}</td>
                <td>{peer.direction}</td>
                <td>{peer.agent ?? '-'}</td>
                <td>{formatBytes(peer.bytesReceived)}</td>
                <td>{formatBytes(peer.bytesSent)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Known peers: scores and bans</h2>
      {view === undefined || view.known.length === 0 ? (
        <p class="muted">The node remembers no peer yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>peer id</th>
              <th>score</th>
              <th>banned until</th>
              <th>updated</th>
            </tr>
          </thead>
          <tbody>
            {view.known.map((peer) => (
              <tr key={peer.peerId} class={peer.bannedUntil === null ? '' : 'banned'}>
                <td class="mono" title={peer.peerId}>
                  {shortId(peer.peerId)}
                </td>
                <td>{peer.score}</td>
                <td>{peer.bannedUntil ?? '-'}</td>
                <td>{peer.updatedAt}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
