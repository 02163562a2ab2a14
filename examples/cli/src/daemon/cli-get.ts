import { readFile } from 'node:fs/promises'
import type { Context } from '../context.js'
import { formatBytes, formatDuration, formatPercent } from '../format.js'
import type { GetInput } from '../get-input.js'
import type { ShareView } from '../views.js'
import type { DaemonClient } from './client.js'
import { followThroughDaemon } from './follow.js'
import type { AddedView } from './shares.js'

/** What `get` asks of the daemon. */
export interface DaemonGetJob {
  input: GetInput
  dir: string
  peers: string[]
  /** `--tracker` URLs (a `.torrent`'s own the daemon reads from it). */
  trackers: string[]
  files?: string[]
  verifyExisting: boolean
  /** Give up when no peer is connected for this long. */
  timeoutMs: number
}

/**
 * `mycel get` while a daemon runs for the data folder: the daemon
 * downloads, and this follows its progress notifications over the WebSocket
 * until the download is done. Ctrl-C (or no peers for `--timeout`) stops
 * following only: the daemon goes on downloading.
 *
 * @param context - the command's context
 * @param daemon - the running daemon
 * @param job - what to download, where
 * @returns the exit status: 0 when the daemon has the files
 */
export async function getThroughDaemon(context: Context, daemon: DaemonClient, job: DaemonGetJob): Promise<number> {
  const { out } = context
  const { infohash } = job.input
  const started = Date.now()
  const { value: added } = await followThroughDaemon(context, daemon, {
    infohash,
    finishedBy: 'done',
    timeoutMs: job.timeoutMs,
    start: async () => {
      const torrent = job.input.torrentPath === undefined ? undefined : await readFile(job.input.torrentPath)
      const added = (await daemon.call('add', {
        ...(torrent === undefined ? { link: job.input.link } : { torrent: torrent.toString('base64') }),
        dir: job.dir,
        peers: job.peers,
        trackers: job.trackers,
        ...(job.files === undefined ? {} : { files: job.files }),
        ...(job.verifyExisting ? { verifyExisting: true } : {}),
      })) as AddedView
      out.note(`the mycel daemon at ${daemon.url} downloads ${added.name} into ${added.dir}`)
      const already = await shareOf(daemon, infohash)
      return { value: added, finished: already?.status === 'complete' && already.piecesVerified === already.pieceCount }
    },
  })
  const share = await shareOf(daemon, infohash)
  const totalBytes = share?.totalBytes ?? 0
  out.result(
    [
      `saved ${share?.path ?? added.dir}  (${formatBytes(totalBytes)} in ${formatDuration((Date.now() - started) / 1000)}, ${formatPercent(share?.piecesVerified ?? 0, share?.pieceCount ?? 1)} verified by the daemon)`,
    ],
    {
      event: 'done',
      infohash,
      name: share?.name ?? added.name,
      path: share?.path ?? null,
      totalBytes,
      daemon: daemon.url,
    },
  )
  return 0
}

/** The daemon's view of one share, if it has it. */
export async function shareOf(daemon: DaemonClient, infohash: string): Promise<ShareView | undefined> {
  return ((await daemon.call('list', {})) as ShareView[]).find((share) => share.infohash === infohash)
}
