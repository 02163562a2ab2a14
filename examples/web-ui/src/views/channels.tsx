import { useState } from 'preact/hooks'
import type { DaemonError } from '../api/errors.js'
import type { ChannelInfo } from '../api/types.js'
import { formatBytes, shortId } from '../format.js'
import { useDaemon, useRpc } from '../hooks.js'
import { ErrorLine } from '../widgets/error-line.js'

/** Notifications after which the channels are read again. */
const CHANNEL_CHANGES = ['channel.update', 'channel.entry']

function ChannelCard(props: { channel: ChannelInfo }) {
  const { channel } = props
  return (
    <li data-channel={channel.publicKey}>
      <strong>{channel.title ?? '(no version read yet)'}</strong>{' '}
      <span class="muted">
        {channel.owned ? 'owned' : 'followed'}
        {channel.private ? ', private' : ''}
        {channel.readable ? '' : ', unreadable here'}
      </span>
      <div class="mono muted small">{channel.link}</div>
      {channel.entries.length === 0 ? null : (
        <ul class="entries">
          {channel.entries.map((entry) => (
            <li key={entry.infohash}>
              {entry.name} <span class="muted">{formatBytes(entry.size)}</span>{' '}
              <span class="mono muted">{shortId(entry.infohash)}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  )
}

/**
 * Channels owned here and subscriptions (read again at each
 * `channel.update` and `channel.entry`), with the forms that create a
 * channel and subscribe to one.
 */
export function Channels() {
  const { client } = useDaemon()
  const owned = useRpc<{ channels: ChannelInfo[] }>('channel', { op: 'list' }, CHANNEL_CHANGES)
  const followed = useRpc<{ channels: ChannelInfo[] }>('channel', { op: 'subscriptions' }, CHANNEL_CHANGES)
  const [title, setTitle] = useState('')
  const [link, setLink] = useState('')
  const [policy, setPolicy] = useState('none')
  const [failure, setFailure] = useState<DaemonError | undefined>(undefined)
  const operate = (params: Record<string, unknown>, done: () => void) => {
    setFailure(undefined)
    client.call('channel', params).then(
      () => {
        done()
        owned.reload()
        followed.reload()
      },
      (error: DaemonError) => setFailure(error),
    )
  }
  return (
    <section class="channels">
      <form
        name="create-channel"
        onSubmit={(event) => {
          event.preventDefault()
          operate({ op: 'create', title: title.trim(), private: false }, () => setTitle(''))
        }}
      >
        <label>
          New channel titled{' '}
          <input name="title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required />
        </label>
        <button type="submit">Create</button>
      </form>
      <form
        name="subscribe"
        onSubmit={(event) => {
          event.preventDefault()
          operate({ op: 'subscribe', link: link.trim(), policy }, () => setLink(''))
        }}
      >
        <label>
          Subscribe to <input name="link" value={link} onInput={(e) => setLink(e.currentTarget.value)} required />
        </label>
        <label>
          download{' '}
          <select name="policy" value={policy} onChange={(e) => setPolicy(e.currentTarget.value)}>
            <option value="none">nothing</option>
            <option value="all">everything</option>
          </select>
        </label>
        <button type="submit">Subscribe</button>
      </form>
      <ErrorLine error={failure ?? owned.error ?? followed.error} />
      <h2>My channels</h2>
      {(owned.value?.channels ?? []).length === 0 ? (
        <p class="muted">No channel made here.</p>
      ) : (
        <ul class="channel-list">
          {owned.value?.channels.map((channel) => (
            <ChannelCard key={channel.publicKey} channel={channel} />
          ))}
        </ul>
      )}
      <h2>Subscriptions</h2>
      {(followed.value?.channels ?? []).length === 0 ? (
        <p class="muted">No subscription.</p>
      ) : (
        <ul class="channel-list">
          {followed.value?.channels.map((channel) => (
            <ChannelCard key={channel.publicKey} channel={channel} />
          ))}
        </ul>
      )}
    </section>
  )
}
