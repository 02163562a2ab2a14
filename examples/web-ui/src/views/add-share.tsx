import { useState } from 'preact/hooks'
import type { DaemonError } from '../api/errors.js'
import { formatPercent } from '../format.js'
import { useDaemon } from '../hooks.js'
import { ErrorLine } from '../widgets/error-line.js'

/** Largest .torrent the page sends (its base64 must fit the daemon's 16 MiB body bound). */
const MAX_TORRENT_BYTES = 12 * 1024 * 1024

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let binary = ''
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000))
  }
  return btoa(binary)
}

/**
 * Adding: a download by magnet link or infohash, or by a `.torrent` file
 * (chosen, or dropped on the page); a share by the path of a file or
 * folder on the daemon's machine (shared where it is), or by dropping a
 * file that is not a `.torrent`: a browser does not tell a dropped file's
 * path, so the file is uploaded to the daemon's uploads folder in chunks
 * and shared from there.
 */
export function AddShare(props: { onAdded: (infohash: string) => void }) {
  const { client } = useDaemon()
  const [link, setLink] = useState('')
  const [path, setPath] = useState('')
  const [failure, setFailure] = useState<DaemonError | undefined>(undefined)
  const [note, setNote] = useState('')
  const [dragging, setDragging] = useState(false)

  const run = (method: string, params: Record<string, unknown>, done: () => void) => {
    setFailure(undefined)
    setNote(`${method}...`)
    client.call<{ infohash: string; name: string }>(method, params).then(
      (result) => {
        setNote(`${method === 'add' ? 'added' : 'shared'} ${result.name}`)
        done()
        props.onAdded(result.infohash)
      },
      (error: DaemonError) => {
        setNote('')
        setFailure(error)
      },
    )
  }
  const addTorrent = async (file: File) => {
    if (file.size > MAX_TORRENT_BYTES) {
      setNote(`${file.name} is over 12 MiB: add it with mycel get <path> on the daemon's machine`)
      return
    }
    run('add', { torrent: await base64Of(file) }, () => undefined)
  }
  /** A dropped file: a .torrent is downloaded; any other file goes to the daemon and is shared. */
  const dropped = async (file: File): Promise<boolean> => {
    if (file.name.endsWith('.torrent')) {
      await addTorrent(file)
      return true
    }
    setNote(`uploading ${file.name}...`)
    try {
      const shared = await client.upload(file, (sent) =>
        setNote(`uploading ${file.name}: ${formatPercent(sent, file.size)}`),
      )
      setNote(`shared ${shared.name} (kept at ${shared.uploaded})`)
      props.onAdded(shared.infohash)
      return true
    } catch (error) {
      setNote('')
      setFailure(error as DaemonError)
      return false
    }
  }
  /** Every file of a drop, one after the other; the first failure stops the rest (the error says which). */
  const droppedAll = async (files: readonly File[]) => {
    setFailure(undefined)
    for (const file of files) if (!(await dropped(file))) return
    if (files.length > 1) setNote(`shared ${files.length} files: ${files.map((file) => file.name).join(', ')}`)
  }

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target; the file input inside is the keyboard's way
    <section
      class={dragging ? 'add dragging' : 'add'}
      onDragOver={(event) => {
        event.preventDefault()
        setDragging(true)
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault()
        setDragging(false)
        const files = [...(event.dataTransfer?.files ?? [])]
        if (files.length > 0) void droppedAll(files)
      }}
    >
      <form
        name="add"
        onSubmit={(event) => {
          event.preventDefault()
          run('add', { link: link.trim() }, () => setLink(''))
        }}
      >
        <label>
          Download a magnet link or infohash{' '}
          <input
            name="magnet"
            value={link}
            placeholder="magnet:?xt=urn:btmh:1220..."
            onInput={(event) => setLink(event.currentTarget.value)}
            required
          />
        </label>
        <button type="submit">Download</button>
        <label class="file">
          or a .torrent file{' '}
          <input
            type="file"
            name="torrent"
            accept=".torrent,application/x-bittorrent"
            onChange={(event) => {
              const file = event.currentTarget.files?.[0]
              if (file !== undefined) void addTorrent(file)
            }}
          />
        </label>
        <span class="muted"> (or drop it here; drop any other file to upload and share it)</span>
      </form>
      <form
        name="share"
        onSubmit={(event) => {
          event.preventDefault()
          run('share', { path: path.trim() }, () => setPath(''))
        }}
      >
        <label>
          Share a file or folder of the daemon's machine{' '}
          <input
            name="path"
            value={path}
            placeholder="/home/me/Photos"
            onInput={(event) => setPath(event.currentTarget.value)}
            required
          />
        </label>
        <button type="submit">Share</button>
      </form>
      <p class="note" role="status">
        {note}
      </p>
      <ErrorLine error={failure} />
    </section>
  )
}
