import { useState } from 'preact/hooks'
import type { ProgressParams, ShareView } from '../api/types.js'
import { formatBytes, formatPercent, formatRate, shortId } from '../format.js'
import { useNotifications, useRpc } from '../hooks.js'
import { ErrorLine } from '../widgets/error-line.js'
import { AddShare } from './add-share.js'
import { ShareDetail } from './share-detail.js'

/** Notifications after which the list is read again. */
const LIST_CHANGES = ['share.added', 'share.removed', 'share.changed', 'done', 'error']

function ShareRow(props: {
  share: ShareView
  live: ProgressParams | undefined
  selected: boolean
  onSelect: () => void
}) {
  const { share, live } = props
  const total = live?.totalBytes ?? share.totalBytes
  const pieces = live?.pieceCount ?? share.pieceCount
  const verified = live?.piecesVerified ?? share.piecesVerified
  const percent = formatPercent(verified, pieces)
  return (
    <tr
      class={props.selected ? 'selected' : ''}
      data-infohash={share.infohash}
      data-status={share.status}
      onClick={props.onSelect}
    >
      <td>
        <button type="button" class="link" onClick={props.onSelect}>
          {live?.name ?? share.name}
        </button>
        <div class="muted mono">{shortId(share.infohash)}</div>
      </td>
      <td>{share.role}</td>
      <td>{share.status}</td>
      <td>{total === null ? '?' : formatBytes(total)}</td>
      <td class="progress-cell">
        <progress max={pieces ?? 1} value={pieces === null ? 0 : verified} />{' '}
        <span class="percent" data-percent={percent}>
          {percent}
        </span>
      </td>
      <td>{live?.peers ?? share.live?.peers ?? '-'}</td>
      <td>
        ↓ {formatRate(live?.downloadRate ?? share.live?.downloadRate ?? 0)}
        <br />↑ {formatRate(live?.uploadRate ?? share.live?.uploadRate ?? 0)}
      </td>
    </tr>
  )
}

/**
 * Shares and downloads: the list (read again when one is added, removed,
 * done or failed), live progress from `progress` notifications, the form
 * to add one, and the selected one's files and pieces.
 */
export function Shares() {
  const list = useRpc<ShareView[]>('list', {}, LIST_CHANGES)
  const [live, setLive] = useState<Record<string, ProgressParams>>({})
  const [selected, setSelected] = useState<string | undefined>(undefined)
  useNotifications(['progress', 'done'], (notification) => {
    const progress = notification.params as unknown as ProgressParams
    setLive((before) => ({ ...before, [progress.infohash]: progress }))
  })
  const shares = list.value ?? []
  return (
    <section class="shares">
      <AddShare onAdded={(infohash) => setSelected(infohash)} />
      <h2>Shares and downloads</h2>
      <ErrorLine error={list.error} />
      {shares.length === 0 ? (
        <p class="muted">Nothing shared or downloaded yet.</p>
      ) : (
        <table class="share-list">
          <thead>
            <tr>
              <th>name</th>
              <th>role</th>
              <th>status</th>
              <th>size</th>
              <th>progress</th>
              <th>peers</th>
              <th>rates</th>
            </tr>
          </thead>
          <tbody>
            {shares.map((share) => (
              <ShareRow
                key={share.infohash}
                share={share}
                live={live[share.infohash]}
                selected={selected === share.infohash}
                onSelect={() => setSelected(share.infohash)}
              />
            ))}
          </tbody>
        </table>
      )}
      {selected === undefined ? null : (
        <ShareDetail
          infohash={selected}
          share={shares.find((share) => share.infohash === selected)}
          onGone={() => setSelected(undefined)}
        />
      )}
    </section>
  )
}
