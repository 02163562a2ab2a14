import { parsePrivateLink } from '@mycel/pieces/private'
import type { Context } from '../context.js'
import { CliError, explain } from '../errors.js'
import { formatBytes } from '../format.js'
import { hexOf, type ShareView } from '../views.js'
import { shareOf } from './cli-get.js'
import type { DaemonClient } from './client.js'
import { followThroughDaemon } from './follow.js'
import type { PrivateAddedView, PrivateDoneView, PrivateSharedView } from './shares.js'

/** A private download or blind seed asked of the daemon. */
export interface DaemonPrivateJob {
  /** The `mycel://` link as typed. */
  link: string
  /** `-o`, absolute (absent for a blind seed without `-o`: the node's private folder). */
  dir?: string
  /** `--peer` addresses, `tcp://host:port`. */
  peers: string[]
  /** Give up following when no peer is connected for this long (`Infinity`: never). */
  timeoutMs: number
}

/**
 * Prints a private share version the daemon made: the lines and the JSON
 * event `share --private` prints when run alone, with the daemon's address.
 *
 * @param context - the command's context
 * @param view - the version
 * @param verb - `shared`, or `version` for a new version with other readers
 * @param daemonUrl - the daemon's address
 */
export function printPrivateView(context: Context, view: PrivateSharedView, verb: string, daemonUrl: string): void {
  context.out.result(
    [
      `${verb.padEnd(9)} ${view.name}  (private: ${formatBytes(view.totalBytes)} of ciphertext, ${view.readers.length} reader${view.readers.length === 1 ? '' : 's'})`,
      `infohash  ${view.infohash}`,
      ...(view.link === null ? [] : [`link      ${view.link}`]),
      `blind     ${view.blindLink}`,
      ...view.readers.map((reader) => `reader    ${reader}`),
    ],
    { event: verb, private: true, ...view, daemon: daemonUrl },
  )
  if (view.link !== null) context.out.note('the link carries the key: give it only to those who may read')
}

/**
 * `mycel get mycel://...` while a daemon runs: the daemon downloads the
 * private share and decrypts it into `-o`; this follows it until every file
 * is decrypted. Ctrl-C stops following only.
 *
 * @param context - the command's context
 * @param daemon - the running daemon
 * @param job - link, folder, peers, timeout
 * @returns the exit status: 0 when the daemon decrypted every file
 */
export async function getPrivateThroughDaemon(
  context: Context,
  daemon: DaemonClient,
  job: DaemonPrivateJob,
): Promise<number> {
  const started = Date.now()
  const { value, params } = await followThroughDaemon(context, daemon, {
    infohash: infohashOfLink(context, job.link),
    finishedBy: 'private.done',
    timeoutMs: job.timeoutMs,
    start: async () => {
      const added = (await daemon.call('get.private', {
        link: job.link,
        ...(job.dir === undefined ? {} : { dir: job.dir }),
        peers: job.peers,
      })) as PrivateAddedView
      context.out.note(`the mycel daemon at ${daemon.url} downloads and decrypts ${added.infohash.slice(0, 12)}`)
      return { value: added, finished: false }
    },
  })
  const done = params as unknown as PrivateDoneView
  context.out.result(
    [
      `saved ${done.path}  (${formatBytes(done.totalBytes)} decrypted in ${((Date.now() - started) / 1000).toFixed(1)} s, by the daemon)`,
    ],
    {
      event: 'done',
      private: true,
      infohash: value.infohash,
      name: done.name,
      path: done.path,
      totalBytes: done.totalBytes,
      files: done.files,
      daemon: daemon.url,
    },
  )
  return 0
}

/**
 * `mycel seed --blind mycel://...` while a daemon runs: the daemon fetches
 * the ciphertext, verifies it and seeds it, without the key; this follows
 * the fetch, then returns (the daemon goes on seeding).
 *
 * @param context - the command's context
 * @param daemon - the running daemon
 * @param job - link, folder, peers, timeout
 * @returns the exit status: 0 when the daemon has all of the ciphertext
 */
export async function seedBlindThroughDaemon(
  context: Context,
  daemon: DaemonClient,
  job: DaemonPrivateJob,
): Promise<number> {
  const infohash = infohashOfLink(context, job.link)
  await followThroughDaemon(context, daemon, {
    infohash,
    finishedBy: 'done',
    timeoutMs: job.timeoutMs,
    start: async () => {
      const added = (await daemon.call('seed.blind', {
        link: job.link,
        ...(job.dir === undefined ? {} : { dir: job.dir }),
        peers: job.peers,
      })) as PrivateAddedView
      context.out.note(`the mycel daemon at ${daemon.url} fetches and seeds the ciphertext of ${infohash.slice(0, 12)}`)
      const share = await shareOf(daemon, infohash)
      return { value: added, finished: share?.status === 'complete' }
    },
  })
  const share = await shareOf(daemon, infohash)
  context.out.result([`seeding ${share?.path ?? ''}  (ciphertext only, verified, by the daemon)`], {
    event: 'blind',
    infohash,
    path: share?.path ?? null,
    daemon: daemon.url,
  })
  context.out.note('the daemon seeds it until it stops (mycel rm <infohash> stops it)')
  return 0
}

/**
 * `mycel readers add|rm <share> <peer id...>` while a daemon runs: the
 * daemon makes the next version with those readers and seeds it in place of
 * the old one.
 *
 * @param context - the command's context
 * @param daemon - the running daemon
 * @param change - `add` or `rm`, the infohash prefix, the peer ids
 * @returns the exit status
 */
export async function readersThroughDaemon(
  context: Context,
  daemon: DaemonClient,
  change: { action: 'add' | 'rm'; prefix: string; peerIds: string[] },
): Promise<number> {
  const matches = ((await daemon.call('list', {})) as ShareView[]).filter((share) =>
    share.infohash.startsWith(change.prefix),
  )
  if (matches.length !== 1) {
    throw new CliError(
      'SHARE_NOT_FOUND',
      matches.length > 1 ? `${change.prefix} starts ${matches.length} infohashes` : `no share ${change.prefix} here`,
      'give the infohash mycel share --private printed',
    )
  }
  const infohash = (matches[0] as ShareView).infohash
  const current = (await daemon.call('readers', { infohash })) as { readers: string[] }
  const readers =
    change.action === 'add'
      ? [...new Set([...current.readers, ...change.peerIds])]
      : current.readers.filter((reader) => !change.peerIds.includes(reader))
  if (change.action === 'rm' && readers.length === current.readers.length) {
    throw CliError.usage('none of these peer ids reads this share', 'see its readers in mycel share --private output')
  }
  const next = (await daemon.call(
    'readers.set',
    { infohash, readers },
    { timeoutMs: 24 * 60 * 60 * 1000 },
  )) as PrivateSharedView
  printPrivateView(context, next, 'version', daemon.url)
  context.out.note(
    `the previous version ${infohash.slice(0, 12)} is no longer seeded by the daemon; whoever read it keeps what they read`,
  )
  return 0
}

/** The ciphertext infohash of a link (hex). */
function infohashOfLink(context: Context, link: string): string {
  try {
    return hexOf(parsePrivateLink(link.trim()).infohash)
  } catch (error) {
    throw explain(error, context.explain)
  }
}
