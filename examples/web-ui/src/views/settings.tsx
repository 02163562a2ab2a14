import type { SettingsView, StatusView } from '../api/types.js'
import { formatBytes, formatRate } from '../format.js'
import { useRpc } from '../hooks.js'
import { ErrorLine } from '../widgets/error-line.js'

function limit(bytesPerSecond: number): string {
  return bytesPerSecond === 0 ? 'none' : formatRate(bytesPerSecond)
}

/**
 * What the daemon runs with: folders, rate limits, listen addresses, DHT,
 * proxy, tracker accounts. Read-only: they are the daemon's options
 * (`mycel daemon --upload-limit ...`), taken when it starts.
 */
export function Settings() {
  const settings = useRpc<SettingsView>('settings', {}, [])
  const status = useRpc<StatusView>('status', {}, ['peer.connected', 'peer.disconnected'])
  const view = settings.value
  const node = status.value
  return (
    <section class="settings">
      <h2>Settings</h2>
      <p class="muted">
        Set when the daemon starts (its options: see <code>mycel daemon --help</code>); restart it to change them.
      </p>
      <ErrorLine error={settings.error ?? status.error} />
      {view === undefined ? null : (
        <dl>
          <dt>data folder</dt>
          <dd class="mono">{view.dataDir}</dd>
          <dt>download folder</dt>
          <dd class="mono">{view.downloadDir}</dd>
          <dt>upload limit</dt>
          <dd>{limit(view.uploadLimit)}</dd>
          <dt>download limit</dt>
          <dd>{limit(view.downloadLimit)}</dd>
          <dt>listen addresses</dt>
          <dd class="mono">{view.addresses.join(', ') || 'none'}</dd>
          <dt>API</dt>
          <dd class="mono">{view.api}</dd>
          <dt>DHT bootstrap</dt>
          <dd class="mono">{view.bootstrap.join(', ') || 'none'}</dd>
          <dt>proxy</dt>
          <dd class="mono">{view.proxy ?? 'none'}</dd>
          <dt>tracker accounts</dt>
          <dd class="mono">
            {view.trackerAccounts.length === 0
              ? 'none'
              : view.trackerAccounts.map((account) => account.announce).join(', ')}
          </dd>
        </dl>
      )}
      {node === undefined ? null : (
        <dl>
          <dt>peer id</dt>
          <dd class="mono">{node.peerId}</dd>
          <dt>connections</dt>
          <dd>{node.connections}</dd>
          <dt>DHT nodes</dt>
          <dd>{node.dht === null ? 'no DHT' : node.dht.nodes}</dd>
          <dt>sent, received (all time)</dt>
          <dd>
            {formatBytes(node.totalUploaded)}, {formatBytes(node.totalDownloaded)}
          </dd>
        </dl>
      )}
    </section>
  )
}
