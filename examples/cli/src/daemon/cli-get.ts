import { readFile } from 'node:fs/promises'
import type { Context } from '../context.js'
import { CliError } from '../errors.js'
import { formatBytes, formatDuration, formatPercent } from '../format.js'
import type { GetInput } from '../get-input.js'
import { Lifetime } from '../lifetime.js'
import { ProgressView, progressModeOf } from '../progress.js'
import type { ShareView } from '../views.js'
import type { DaemonClient, DaemonNotification } from './client.js'
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

/** How the download ended. */
type Outcome = { done: true } | { done: false; error: CliError }

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
  let settle: (outcome: Outcome) => void = () => {}
  const ended = new Promise<Outcome>((resolve) => {
    settle = resolve
  })
  const lifetime = new Lifetime()
  const view = new ProgressView(out, progressModeOf(out), { lifetime })
  let alone = Date.now()
  const onNotification = ({ method, params }: DaemonNotification) => {
    if (params.infohash !== infohash) return
    if (method === 'progress' || method === 'done') {
      const total = typeof params.totalBytes === 'number' ? params.totalBytes : undefined
      const peers = Number(params.peers) || 0
      if (peers > 0) alone = Date.now()
      view.update({
        label: String(params.name ?? infohash.slice(0, 12)),
        done: Number(params.verifiedBytes) || 0,
        total,
        rate: Number(params.downloadRate) || 0,
        extra: `${peers} peer${peers === 1 ? '' : 's'}`,
      })
      out.event('progress', params)
    }
    if (method === 'done') settle({ done: true })
    if (method === 'error') {
      const error = params.error as { code?: string; message?: string; hint?: string } | undefined
      settle({
        done: false,
        error: new CliError((error?.code ?? 'DOWNLOAD_FAILED') as never, error?.message ?? 'failed', error?.hint ?? ''),
      })
    }
  }
  const socket = await daemon.subscribe(onNotification)
  const started = Date.now()
  const timer = setInterval(() => {
    if (Date.now() - alone < job.timeoutMs) return
    settle({
      done: false,
      error: new CliError(
        'NO_PEERS',
        `no peers connected for ${formatDuration(job.timeoutMs / 1000)}`,
        'the daemon goes on looking for them: mycel ls shows how far it is',
      ),
    })
  }, 1000)
  try {
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
    if (already?.status === 'complete' && already.piecesVerified === already.pieceCount) settle({ done: true })
    const outcome = await Promise.race([
      ended,
      lifetime.stopped().then((): Outcome => {
        throw lifetime.interruption('stopped following the download', 'the daemon goes on: mycel ls shows it')
      }),
    ])
    view.finish()
    if (!outcome.done) throw outcome.error
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
  } finally {
    clearInterval(timer)
    view.finish()
    socket.close()
    lifetime.dispose()
  }
}

async function shareOf(daemon: DaemonClient, infohash: string): Promise<ShareView | undefined> {
  return ((await daemon.call('list', {})) as ShareView[]).find((share) => share.infohash === infohash)
}
