import type { ChannelFeed } from './feed.js'
import { formatChannelLink } from './link.js'
import type { ChannelRecord } from './store.js'
import type { ChannelInfo } from './types.js'

/**
 * What the API says of a channel followed here: its record and what its feed holds.
 * @internal
 */
export function describeChannel(followed: { record: ChannelRecord; feed: ChannelFeed }): ChannelInfo {
  const { record, feed } = followed
  return {
    publicKey: record.publicKey,
    link: formatChannelLink({ publicKey: feed.publicKey, readKey: feed.readKey }),
    title: feed.index?.title,
    private: feed.latest?.private ?? record.readKey !== undefined,
    owned: record.owned,
    subscribed: record.subscribed,
    policy: record.policy,
    seq: feed.latest?.seq,
    entries: feed.index?.entries ?? [],
    readable: feed.latest === undefined || feed.index !== undefined,
  }
}
