import { useEffect, useState } from 'preact/hooks'
import type { DaemonError } from '../api/errors.js'
import type { PrivateSharedView, ReadersView, ShareView } from '../api/types.js'
import { shortId } from '../format.js'
import { useDaemon, useRpc } from '../hooks.js'
import { ErrorLine } from '../widgets/error-line.js'

function readerList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((reader) => reader.trim())
    .filter((reader) => reader !== '')
}

/** One private share and the form that gives it new readers (a new version, as `mycel readers`). */
function PrivateShare(props: { share: ReadersView; onChanged: () => void }) {
  const { client } = useDaemon()
  const [readers, setReaders] = useState(props.share.readers.join('\n'))
  const [failure, setFailure] = useState<DaemonError | undefined>(undefined)
  return (
    <li data-infohash={props.share.infohash}>
      <strong>{props.share.name}</strong> <span class="mono muted">{shortId(props.share.infohash)}</span>
      <div class="mono muted small">blind link: {props.share.blindLink}</div>
      <form
        onSubmit={(event) => {
          event.preventDefault()
          client
            .call<PrivateSharedView>('readers.set', { infohash: props.share.infohash, readers: readerList(readers) })
            .then(props.onChanged, (error: DaemonError) => setFailure(error))
        }}
      >
        <label>
          readers (peer ids){' '}
          <textarea rows={2} value={readers} onInput={(event) => setReaders(event.currentTarget.value)} />
        </label>
        <button type="submit">Set readers</button>
      </form>
      <ErrorLine error={failure} />
    </li>
  )
}

/**
 * Private shares made here and their readers, and the form that makes a
 * new one (encrypted, seeded; the link with its key is shown once).
 */
export function PrivateShares() {
  const { client } = useDaemon()
  const list = useRpc<ShareView[]>('list', {}, ['share.added', 'share.removed'])
  const [found, setFound] = useState<ReadersView[]>([])
  const [path, setPath] = useState('')
  const [readers, setReaders] = useState('')
  const [made, setMade] = useState<PrivateSharedView | undefined>(undefined)
  const [failure, setFailure] = useState<DaemonError | undefined>(undefined)
  const infohashes = (list.value ?? []).map((share) => share.infohash).join(',')
  useEffect(() => {
    // `readers` answers for the private shares made here; SHARE_NOT_FOUND for the others
    const asked = infohashes === '' ? [] : infohashes.split(',')
    void Promise.all(
      asked.map((infohash) => client.call<ReadersView>('readers', { infohash }).catch(() => undefined)),
    ).then((answers) => setFound(answers.filter((answer): answer is ReadersView => answer !== undefined)))
  }, [client, infohashes])
  return (
    <section class="private">
      <h2>Share privately</h2>
      <form
        name="private"
        onSubmit={(event) => {
          event.preventDefault()
          setFailure(undefined)
          client.call<PrivateSharedView>('share.private', { path: path.trim(), readers: readerList(readers) }).then(
            (result) => {
              setMade(result)
              list.reload()
            },
            (error: DaemonError) => setFailure(error),
          )
        }}
      >
        <label>
          path on the daemon's machine{' '}
          <input name="path" value={path} onInput={(event) => setPath(event.currentTarget.value)} required />
        </label>
        <label>
          readers (peer ids, optional){' '}
          <input name="readers" value={readers} onInput={(event) => setReaders(event.currentTarget.value)} />
        </label>
        <button type="submit">Share privately</button>
      </form>
      <ErrorLine error={failure} />
      {made === undefined ? null : (
        <p class="made">
          {made.name}: <span class="mono small">{made.link ?? made.blindLink}</span>
        </p>
      )}
      <h2>Private shares and their readers</h2>
      {found.length === 0 ? (
        <p class="muted">No private share made here.</p>
      ) : (
        <ul class="private-list">
          {found.map((share) => (
            <PrivateShare key={share.infohash} share={share} onChanged={list.reload} />
          ))}
        </ul>
      )}
    </section>
  )
}
