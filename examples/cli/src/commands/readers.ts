import type { Context } from '../context.js'
import { readersThroughDaemon } from '../daemon/cli-private.js'
import { DaemonClient } from '../daemon/client.js'
import { CliError } from '../errors.js'
import { MIN_PREFIX_LENGTH } from '../share-lookup.js'
import { announceAndSeed, printPrivateShare, withSession } from './private.js'

/**
 * `mycel readers add|rm <share> <peer id...>`: makes the next version of a
 * private share this data folder made, with those readers added or
 * removed, under a new key; prints its links, stops seeding the old
 * version, and seeds the new one until Ctrl-C. Readers removed cannot read
 * the new version; old versions stay readable to those who had them.
 *
 * @param context - the command's context
 * @param action - `add` or `rm`
 * @param share - the current version's infohash (or a prefix of it)
 * @param peerIds - readers' peer ids
 * @returns the exit status
 */
export async function runReaders(context: Context, action: string, share: string, peerIds: string[]): Promise<number> {
  if (action !== 'add' && action !== 'rm')
    throw CliError.usage(`readers takes add or rm, not ${JSON.stringify(action)}`)
  const prefix = share.trim().toLowerCase()
  if (!/^[0-9a-f]+$/.test(prefix) || prefix.length < MIN_PREFIX_LENGTH) {
    throw CliError.usage(
      `not an infohash: ${JSON.stringify(share.slice(0, 80))}`,
      'as mycel share --private printed it',
    )
  }
  const daemon = await DaemonClient.connect(context.options.dataDir)
  if (daemon !== undefined) return readersThroughDaemon(context, daemon, { action, prefix, peerIds })
  return withSession(context, async (session, lifetime) => {
    const { node } = session
    const matches = (await node.list()).filter((record) =>
      Buffer.from(record.infohash).toString('hex').startsWith(prefix),
    )
    const current =
      matches.length === 1 ? await node.private.get(Buffer.from(matches[0]?.infohash ?? []).toString('hex')) : undefined
    if (current === undefined) {
      throw new CliError(
        'SHARE_NOT_FOUND',
        matches.length > 1
          ? `${prefix} starts ${matches.length} infohashes`
          : `no private share ${prefix} made in ${context.options.dataDir}`,
        'give the infohash mycel share --private printed',
      )
    }
    const readers =
      action === 'add'
        ? [...new Set([...current.readers, ...peerIds])]
        : current.readers.filter((reader) => !peerIds.includes(reader))
    if (action === 'rm' && readers.length === current.readers.length) {
      throw CliError.usage('none of these peer ids reads this share', 'see its readers in mycel share --private output')
    }
    const next = await node.private.setReaders(current.infohashHex, readers, { signal: lifetime.signal })
    printPrivateShare(context, next, 'version')
    context.out.note(
      `the previous version ${current.infohashHex.slice(0, 12)} is no longer seeded here; whoever read it keeps what they read`,
    )
    await announceAndSeed(context, session, lifetime, [next])
    return 0
  })
}
