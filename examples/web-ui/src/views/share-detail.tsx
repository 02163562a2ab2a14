import { useState } from 'preact/hooks'
import type { DaemonError } from '../api/errors.js'
import type { PiecesView, ShareView, TrackerView } from '../api/types.js'
import { formatBytes, formatPercent } from '../format.js'
import { useDaemon, useRpc } from '../hooks.js'
import { ErrorLine } from '../widgets/error-line.js'
import { PieceMap } from '../widgets/piece-map.js'

/**
 * One share: its files with their progress (from the piece bitfield, read
 * again at each `progress` of this share), its piece map, its trackers,
 * and stop, start, verify, remove.
 */
export function ShareDetail(props: { infohash: string; share: ShareView | undefined; onGone: () => void }) {
  const { client } = useDaemon()
  const { infohash } = props
  const mine = (notification: { params: Record<string, unknown> }) => notification.params.infohash === infohash
  const pieces = useRpc<PiecesView | null>('pieces', { infohash }, mine)
  const trackers = useRpc<{ trackers: TrackerView[] }>('trackers', { infohash }, mine)
  const [failure, setFailure] = useState<DaemonError | undefined>(undefined)
  const act = (method: string) => () => {
    setFailure(undefined)
    client.call(method, { infohash }).then(
      () => {
        if (method === 'remove') props.onGone()
        else pieces.reload()
      },
      (error: DaemonError) => setFailure(error),
    )
  }
  const view = pieces.value
  return (
    <section class="detail" data-infohash={infohash}>
      <h3>{props.share?.name ?? infohash}</h3>
      <p class="muted">{props.share?.path}</p>
      <div class="actions">
        <button type="button" onClick={act('stop')}>
          Stop
        </button>
        <button type="button" onClick={act('start')}>
          Start
        </button>
        <button type="button" onClick={act('verify')}>
          Verify
        </button>
        <button type="button" onClick={act('remove')}>
          Remove (files stay)
        </button>
      </div>
      <ErrorLine error={failure ?? pieces.error} />
      {view === undefined ? null : view === null ? (
        <p class="muted">Waiting for the share's metadata from peers.</p>
      ) : (
        <>
          <PieceMap bitfield={view.bitfield} pieceCount={view.pieceCount} />
          <p class="muted">
            {view.verifiedPieces} of {view.pieceCount} pieces of {formatBytes(view.pieceLength)}
          </p>
          <table class="files">
            <thead>
              <tr>
                <th>file</th>
                <th>size</th>
                <th>progress</th>
              </tr>
            </thead>
            <tbody>
              {view.files.map((file) => (
                <tr key={file.path} data-path={file.path}>
                  <td class="mono">{file.path}</td>
                  <td>{formatBytes(file.length)}</td>
                  <td class="progress-cell">
                    <progress max={Math.max(1, file.length)} value={file.verifiedBytes} />{' '}
                    <span class="percent">{formatPercent(file.verifiedBytes, file.length)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {trackers.value === undefined || trackers.value.trackers.length === 0 ? null : (
        <table class="trackers">
          <thead>
            <tr>
              <th>tracker</th>
              <th>tier</th>
              <th>last announce</th>
            </tr>
          </thead>
          <tbody>
            {trackers.value.trackers.map((tracker) => (
              <tr key={tracker.url} data-url={tracker.url}>
                <td class="mono">{tracker.url}</td>
                <td>{tracker.tier}</td>
                <td>{announceText(tracker)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** How a tracker's last announce went, in a few words. */
function announceText(tracker: TrackerView): string {
  const last = tracker.lastAnnounce
  if (last === null) return 'not asked yet'
  const ago = `${Math.max(0, Math.round((Date.now() - last.at) / 1000))} s ago`
  const result = last.ok ? `${last.peers ?? 0} peers, ${ago}` : `failed ${ago}: ${last.error ?? last.code ?? ''}`
  return tracker.retryAt === null
    ? result
    : `${result}; set aside for ${Math.round((tracker.retryAt - Date.now()) / 1000)} s`
}
