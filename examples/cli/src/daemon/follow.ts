import type { Context } from '../context.js'
import { CliError } from '../errors.js'
import { formatDuration } from '../format.js'
import { Lifetime } from '../lifetime.js'
import { ProgressView, progressModeOf } from '../progress.js'
import type { DaemonClient, DaemonNotification } from './client.js'

/** What a command follows of a download the daemon runs. */
export interface FollowJob<T> {
  /** The share's infohash (hex): notifications of other shares are ignored. */
  infohash: string
  /** The notification that says it is finished: `done` (the pieces are in) or `private.done` (decrypted). */
  finishedBy: 'done' | 'private.done'
  /** Give up following when no peer is connected for this long. */
  timeoutMs: number
  /**
   * Asks the daemon for the download, once the notifications are subscribed
   * (so that none is missed); `finished` says the daemon had it all already.
   */
  start(): Promise<{ value: T; finished: boolean }>
}

/** How following ended. */
type Outcome = { done: true; params: Record<string, unknown> } | { done: false; error: CliError }

/**
 * Follows a download the daemon runs with the same progress bar (and
 * `progress` JSON events) as a command run alone, until the daemon says it
 * is finished. Ctrl-C, or no peers for `timeoutMs`, stops following only:
 * the daemon goes on.
 *
 * @param context - the command's context
 * @param daemon - the running daemon
 * @param job - what to follow, and how to start it
 * @returns what `start` returned, and the params of the finishing notification (empty when it was finished already)
 * @throws {@link CliError} the download's error, `NO_PEERS`, `INTERRUPTED`
 */
export async function followThroughDaemon<T>(
  context: Context,
  daemon: DaemonClient,
  job: FollowJob<T>,
): Promise<{ value: T; params: Record<string, unknown> }> {
  const { out } = context
  let settle: (outcome: Outcome) => void = () => {}
  const ended = new Promise<Outcome>((resolve) => {
    settle = resolve
  })
  const lifetime = new Lifetime()
  const view = new ProgressView(out, progressModeOf(out), { lifetime })
  let alone = Date.now()
  const onNotification = ({ method, params }: DaemonNotification) => {
    if (params.infohash !== job.infohash) return
    if (method === 'progress' || method === 'done') {
      const total = typeof params.totalBytes === 'number' ? params.totalBytes : undefined
      const peers = Number(params.peers) || 0
      if (peers > 0) alone = Date.now()
      view.update({
        label: String(params.name ?? job.infohash.slice(0, 12)),
        done: Number(params.verifiedBytes) || 0,
        total,
        rate: Number(params.downloadRate) || 0,
        extra: `${peers} peer${peers === 1 ? '' : 's'}`,
      })
      out.event('progress', params)
    }
    if (method === job.finishedBy) settle({ done: true, params })
    if (method === 'error') {
      const error = params.error as { code?: string; message?: string; hint?: string } | undefined
      settle({
        done: false,
        error: new CliError((error?.code ?? 'DOWNLOAD_FAILED') as never, error?.message ?? 'failed', error?.hint ?? ''),
      })
    }
  }
  const socket = await daemon.subscribe(onNotification)
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
    const started = await job.start()
    if (started.finished) settle({ done: true, params: {} })
    const outcome = await Promise.race([
      ended,
      lifetime.stopped().then((): Outcome => {
        throw lifetime.interruption('stopped following the download', 'the daemon goes on: mycel ls shows it')
      }),
    ])
    view.finish()
    if (!outcome.done) throw outcome.error
    return { value: started.value, params: outcome.params }
  } finally {
    clearInterval(timer)
    view.finish()
    socket.close()
    lifetime.dispose()
  }
}
