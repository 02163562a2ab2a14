import type { Context } from '../context.js'
import { formatBytes } from '../format.js'
import { printPrivateView } from './cli-private.js'
import type { DaemonClient } from './client.js'
import type { PrivateSharedView, SharedView } from './shares.js'

/** Hashing a large folder takes long: the call waits this long for the daemon. */
const SHARE_TIMEOUT_MS = 24 * 60 * 60 * 1000

/**
 * `mycel share <path...>` while a daemon runs for the data folder: the
 * daemon hashes each path and seeds it; this prints the same lines (and
 * `shared` JSON events) as a share run alone, then returns, since the
 * daemon goes on seeding.
 *
 * @param context - the command's context
 * @param daemon - the running daemon
 * @param paths - absolute paths (on this machine, which is the daemon's)
 * @param options - piece length (as typed), trackers
 * @returns the exit status
 */
export async function shareThroughDaemon(
  context: Context,
  daemon: DaemonClient,
  paths: readonly string[],
  options: { pieceLength?: string; trackers: string[] },
): Promise<number> {
  const { out } = context
  out.note(`the mycel daemon at ${daemon.url} shares and seeds these`)
  for (const path of paths) {
    out.note(`hashing ${path}...`)
    const shared = (await daemon.call(
      'share',
      {
        path,
        ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
        ...(options.trackers.length === 0 ? {} : { trackers: options.trackers }),
      },
      { timeoutMs: SHARE_TIMEOUT_MS },
    )) as SharedView
    out.result(
      [
        `shared    ${shared.name}  (${formatBytes(shared.totalBytes)} in ${shared.pieceCount} piece${shared.pieceCount === 1 ? '' : 's'} of ${formatBytes(shared.pieceLength)})`,
        `infohash  ${shared.infohash}`,
        `magnet    ${shared.magnet}`,
      ],
      { event: 'shared', ...shared, daemon: daemon.url },
    )
  }
  out.note('the daemon seeds them until it stops (mycel rm <infohash> stops one)')
  return 0
}

/**
 * `mycel share --private <path...>` while a daemon runs: the daemon
 * encrypts and seeds each path; this prints what `share --private` run
 * alone prints (its links, its readers), then returns.
 *
 * @param context - the command's context
 * @param daemon - the running daemon
 * @param paths - absolute paths
 * @param options - piece length (as typed), readers' peer ids, whether there is a link with the key
 * @returns the exit status
 */
export async function sharePrivateThroughDaemon(
  context: Context,
  daemon: DaemonClient,
  paths: readonly string[],
  options: { pieceLength?: string; readers?: string[]; link?: boolean },
): Promise<number> {
  const { out } = context
  out.note(`the mycel daemon at ${daemon.url} encrypts and seeds these`)
  for (const path of paths) {
    out.note(`encrypting ${path}...`)
    const shared = (await daemon.call(
      'share.private',
      { path, ...options },
      { timeoutMs: SHARE_TIMEOUT_MS },
    )) as PrivateSharedView
    printPrivateView(context, shared, 'shared', daemon.url)
  }
  out.note('the daemon seeds them until it stops (mycel rm <infohash> stops one)')
  return 0
}
