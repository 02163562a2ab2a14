import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import type { Share } from '@mycel/node'
import { type Context, parsePieceLength } from '../context.js'
import { sharePrivateThroughDaemon, shareThroughDaemon } from '../daemon/cli-share.js'
import { DaemonClient } from '../daemon/client.js'
import { CliError } from '../errors.js'
import { formatBytes } from '../format.js'
import { Lifetime } from '../lifetime.js'
import { ProgressView, progressModeOf } from '../progress.js'
import { seedUntilStopped } from '../seeding.js'
import { openNodeSession } from '../session.js'
import { trackerOptions } from '../trackers.js'
import { hexOf } from '../views.js'
import { announceUntilStored } from './announce.js'
import { runSharePrivate } from './private.js'

/** Options of `mycel share`. */
export interface ShareCommandOptions {
  pieceLength?: string
  /** `--tracker` URLs: the shares' own trackers (a tier each), written in their magnet links. */
  tracker?: string[]
  /** `--private`: encrypt into a ciphertext share (see commands/private.ts). */
  private?: boolean
  /** `--reader <peer id>` of a private share, once per reader. */
  reader?: string[]
  /** `--no-link`: a private share only its readers can read. */
  link?: boolean
}

async function checkPath(path: string): Promise<void> {
  try {
    await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CliError('FILE_NOT_FOUND', `no such file or folder: ${path}`, 'check the path', { cause: error })
    }
    throw error
  }
}

async function shareOne(
  context: Context,
  share: (path: string, onProgress: (done: number, total: number | undefined) => void) => Promise<Share>,
  path: string,
  lifetime: Lifetime,
): Promise<Share> {
  const { out } = context
  const progress = new ProgressView(out, progressModeOf(out), { lifetime })
  const label = `hashing ${basename(path)}`
  let result: Share
  try {
    result = await share(path, (done, total) => progress.advance(label, done, total))
  } finally {
    progress.finish()
  }
  const { manifest } = result
  out.result(
    [
      `shared    ${result.name}  (${formatBytes(manifest.totalLength)} in ${manifest.pieceCount} piece${manifest.pieceCount === 1 ? '' : 's'} of ${formatBytes(manifest.pieceLength)})`,
      `infohash  ${result.infohashHex}`,
      `magnet    ${result.magnet}`,
    ],
    {
      event: 'shared',
      infohash: result.infohashHex,
      name: result.name,
      magnet: result.magnet,
      path: result.contentPath,
      totalBytes: manifest.totalLength,
      pieceCount: manifest.pieceCount,
      pieceLength: manifest.pieceLength,
      files: manifest.files.length,
    },
  )
  return result
}

/**
 * `mycel share <path...>`: hashes each file or folder where it is (with a
 * progress bar), prints its magnet link and infohash, announces it on the
 * DHT, then seeds until Ctrl-C. Shares recorded earlier in the same data
 * folder are seeded too. While a daemon runs for the data folder, the
 * daemon shares and seeds them, and the command returns.
 *
 * @param context - the command's context
 * @param paths - files or folders
 * @param options - piece length, trackers
 * @returns the exit status: 0 after a clean stop
 */
export async function runShare(context: Context, paths: string[], options: ShareCommandOptions): Promise<number> {
  const pieceLength = options.pieceLength === undefined ? undefined : parsePieceLength(options.pieceLength)
  const trackers = trackerOptions(options.tracker)
  const absolute = paths.map((path) => resolve(path))
  for (const path of absolute) await checkPath(path)
  const daemon = await DaemonClient.connect(context.options.dataDir)
  if (options.private === true && daemon !== undefined) {
    return sharePrivateThroughDaemon(context, daemon, absolute, {
      ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
      ...(options.reader === undefined ? {} : { readers: options.reader }),
      ...(options.link === undefined ? {} : { link: options.link }),
    })
  }
  if (options.private === true) {
    return runSharePrivate(context, absolute, {
      ...(pieceLength === undefined ? {} : { pieceLength }),
      ...(options.reader === undefined ? {} : { reader: options.reader }),
      ...(options.link === undefined ? {} : { link: options.link }),
    })
  }
  if (options.reader !== undefined || options.link === false)
    throw CliError.usage('--reader and --no-link need --private')
  if (daemon !== undefined) {
    return shareThroughDaemon(context, daemon, absolute, {
      ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
      trackers,
    })
  }
  const lifetime = new Lifetime()
  const announcing = new AbortController()
  try {
    const session = await openNodeSession(context, lifetime)
    try {
      const before = await session.node.list()
      const shares: Share[] = []
      for (const path of absolute) {
        const share = (target: string, onProgress: (done: number, total: number | undefined) => void) =>
          session.node.share(target, {
            signal: lifetime.signal,
            ...(pieceLength === undefined ? {} : { pieceLength }),
            ...(trackers.length === 0 ? {} : { trackers }),
            onProgress: (p) => onProgress(p.bytesHashed, p.totalBytes),
          })
        shares.push(await shareOne(context, share, path, lifetime))
      }
      const others = before.filter(
        (record) =>
          (record.role === 'seed' || record.status === 'complete') &&
          !shares.some((share) => share.infohashHex === hexOf(record.infohash)),
      )
      if (others.length > 0) {
        context.out.note(`also seeding ${others.length} earlier share${others.length === 1 ? '' : 's'} (see mycel ls)`)
      }
      if (context.options.bootstrap.length > 0) {
        const signal = AbortSignal.any([lifetime.signal, announcing.signal])
        for (const share of shares) announceUntilStored(context, session.node, share, signal)
      } else if (trackers.length === 0) {
        context.out.note('no DHT bootstrap node (--bootstrap none): peers find this one only with --peer')
      } else {
        context.out.note(
          'no DHT bootstrap node (--bootstrap none): peers find this one through its trackers and --peer',
        )
      }
      await seedUntilStopped(context, session, lifetime)
      return 0
    } catch (error) {
      if (lifetime.signalName !== undefined) throw lifetime.interruption('stopped before the share was ready')
      throw error
    } finally {
      announcing.abort()
      await session.close()
    }
  } finally {
    lifetime.dispose()
  }
}
