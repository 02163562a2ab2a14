import { basename, resolve } from 'node:path'
import type { Download, MycelNode, PrivateShare } from '@mycel/node'
import { isPrivateLink, parsePrivateLink } from '@mycel/pieces/private'
import type { Context } from '../context.js'
import { getPrivateThroughDaemon, seedBlindThroughDaemon } from '../daemon/cli-private.js'
import { DaemonClient } from '../daemon/client.js'
import { CliError, explain } from '../errors.js'
import { formatBytes } from '../format.js'
import { Lifetime } from '../lifetime.js'
import { ProgressView, progressModeOf } from '../progress.js'
import { seedUntilStopped } from '../seeding.js'
import { type NodeSession, openNodeSession } from '../session.js'
import { announceUntilStored } from './announce.js'

/** How often the progress of a private download is redrawn. */
const TICK_MS = 1000

/** Prints a private share version: its name, infohash, links and readers. */
export function printPrivateShare(context: Context, shared: PrivateShare, verb = 'shared'): void {
  const { manifest } = shared.share
  context.out.result(
    [
      `${verb.padEnd(9)} ${shared.name}  (private: ${formatBytes(manifest.totalLength)} of ciphertext, ${shared.readers.length} reader${shared.readers.length === 1 ? '' : 's'})`,
      `infohash  ${shared.infohashHex}`,
      ...(shared.link === undefined ? [] : [`link      ${shared.link}`]),
      `blind     ${shared.blindLink}`,
      ...shared.readers.map((reader) => `reader    ${reader}`),
    ],
    {
      event: verb,
      private: true,
      infohash: shared.infohashHex,
      name: shared.name,
      link: shared.link ?? null,
      blindLink: shared.blindLink,
      readers: shared.readers,
      totalBytes: manifest.totalLength,
    },
  )
  if (shared.link !== undefined) context.out.note('the link carries the key: give it only to those who may read')
}

/** Announces the shares and seeds until Ctrl-C. */
export async function announceAndSeed(
  context: Context,
  session: NodeSession,
  lifetime: Lifetime,
  shares: readonly PrivateShare[],
): Promise<void> {
  const announcing = new AbortController()
  try {
    if (context.options.bootstrap.length > 0) {
      const signal = AbortSignal.any([lifetime.signal, announcing.signal])
      for (const shared of shares) announceUntilStored(context, session.node, shared.share, signal)
    } else {
      context.out.note('no DHT bootstrap node (--bootstrap none): peers find this one only with --peer')
    }
    await seedUntilStopped(context, session, lifetime)
  } finally {
    announcing.abort()
  }
}

/** Runs `work` on a node of the data folder; interruptions and errors become one line. */
export async function withSession(
  context: Context,
  work: (session: NodeSession, lifetime: Lifetime) => Promise<number>,
): Promise<number> {
  const lifetime = new Lifetime()
  try {
    const session = await openNodeSession(context, lifetime)
    try {
      return await work(session, lifetime)
    } catch (error) {
      if (lifetime.signalName !== undefined && !(error instanceof CliError && error.code === 'INTERRUPTED')) {
        throw lifetime.interruption()
      }
      throw explain(error, context.explain)
    } finally {
      await session.close()
    }
  } finally {
    lifetime.dispose()
  }
}

/** Options of `mycel share --private`. */
export interface SharePrivateOptions {
  pieceLength?: number
  reader?: string[]
  /** `--no-link`: only the readers can read. */
  link?: boolean
}

/**
 * `mycel share --private <path...>`: encrypts each file or folder into a
 * new ciphertext version (with a progress bar), prints its links, and seeds
 * until Ctrl-C.
 *
 * @param context - the command's context
 * @param paths - absolute paths, checked to exist
 * @param options - piece length, readers, link
 * @returns the exit status
 */
export function runSharePrivate(
  context: Context,
  paths: readonly string[],
  options: SharePrivateOptions,
): Promise<number> {
  const readers = options.reader ?? []
  if (options.link === false && readers.length === 0) {
    throw CliError.usage('--no-link needs at least one --reader', 'name readers by peer id (mycel id prints it)')
  }
  return withSession(context, async (session, lifetime) => {
    const shares: PrivateShare[] = []
    for (const path of paths) {
      const progress = new ProgressView(context.out, progressModeOf(context.out), { lifetime })
      try {
        shares.push(
          await session.node.share(path, {
            private: { readers, link: options.link !== false },
            signal: lifetime.signal,
            ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
            onProgress: (p) => progress.advance(`encrypting ${basename(path)}`, p.bytesHashed, p.totalBytes),
          }),
        )
      } finally {
        progress.finish()
      }
      printPrivateShare(context, shares[shares.length - 1] as PrivateShare)
    }
    await announceAndSeed(context, session, lifetime, shares)
    return 0
  })
}

/** Follows a download's progress on the terminal until `done` settles. */
async function showProgress<T>(
  context: Context,
  download: Download,
  lifetime: Lifetime,
  label: string,
  done: Promise<T>,
): Promise<T> {
  const view = new ProgressView(context.out, progressModeOf(context.out), { lifetime })
  const tick = () => {
    const p = download.progress
    view.update({
      label,
      done: p.verifiedBytes,
      total: p.totalBytes,
      rate: p.downloadRate,
      extra: `${p.peers} peer${p.peers === 1 ? '' : 's'}`,
    })
  }
  // With --json, a `progress` line each tick, as a public get prints.
  const timer = setInterval(() => {
    tick()
    const p = download.progress
    context.out.event('progress', {
      infohash: p.infohash,
      totalBytes: p.totalBytes ?? null,
      verifiedBytes: p.verifiedBytes,
      piecesVerified: p.piecesVerified,
      pieceCount: p.pieceCount,
      peers: p.peers,
      downloadRate: p.downloadRate,
    })
  }, TICK_MS)
  tick()
  try {
    return await Promise.race([
      done,
      new Promise<never>((_, reject) =>
        lifetime.signal.addEventListener('abort', () => reject(lifetime.signal.reason)),
      ),
    ])
  } finally {
    clearInterval(timer)
    view.finish()
  }
}

/** Fails when the download has had no peer for `timeoutMs`, until `until` settles. */
function noPeersWithin(download: Download, timeoutMs: number, name: string, until: Promise<unknown>): Promise<never> {
  return new Promise((_, reject) => {
    let alone = Date.now()
    const timer = setInterval(() => {
      const p = download.progress
      if (p.peers > 0 || (p.totalBytes !== undefined && p.verifiedBytes === p.totalBytes)) alone = Date.now()
      if (Date.now() - alone >= timeoutMs) {
        clearInterval(timer)
        reject(new CliError('NO_PEERS', `no peers of ${name} connected for ${timeoutMs / 1000} s`, 'run again later'))
      }
    }, 250)
    const stop = () => clearInterval(timer)
    until.then(stop, stop)
  })
}

/** Options of `get` for a private link. */
export interface GetPrivateOptions {
  output?: string
  peers: string[]
  timeoutMs: number
  seed?: boolean
}

/**
 * `mycel get mycel://...`: downloads a private share (its ciphertext into
 * the data folder) and decrypts it into `-o` as blocks verify. A link
 * without a key works for a reader the share names.
 *
 * @param context - the command's context
 * @param link - the `mycel://` link
 * @param options - output folder, peers, timeout, `--seed`
 * @returns the exit status
 */
export async function runGetPrivate(context: Context, link: string, options: GetPrivateOptions): Promise<number> {
  let parsed: ReturnType<typeof parsePrivateLink>
  try {
    parsed = parsePrivateLink(link.trim())
  } catch (error) {
    throw explain(error, context.explain)
  }
  const dir = resolve(options.output ?? '.')
  const daemon = await DaemonClient.connect(context.options.dataDir)
  if (daemon !== undefined) {
    if (options.seed === true) context.out.note('the daemon seeds what it downloads: --seed changes nothing')
    return getPrivateThroughDaemon(context, daemon, { link, dir, peers: options.peers, timeoutMs: options.timeoutMs })
  }
  return withSession(context, async (session, lifetime) => {
    const started = Date.now()
    const job = session.node.private.download(link.trim(), { dir, peers: options.peers, signal: lifetime.signal })
    const name = `private ${job.infohashHex.slice(0, 12)}`
    const result = await showProgress(
      context,
      job.download,
      lifetime,
      parsed.key === undefined ? `${name} (as reader)` : name,
      Promise.race([job.done(), noPeersWithin(job.download, options.timeoutMs, name, job.done())]),
    )
    const total = result.manifest.contentLength
    context.out.result(
      [
        `saved ${result.contentPath}  (${formatBytes(total)} decrypted in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      ],
      {
        event: 'done',
        private: true,
        infohash: job.infohashHex,
        name: result.manifest.name,
        path: result.contentPath,
        totalBytes: total,
        files: result.manifest.files.map((file) => file.path.join('/')),
      },
    )
    if (options.seed === true) await seedUntilStopped(context, session, lifetime)
    return 0
  })
}

/** Options of `mycel seed`. */
export interface SeedCommandOptions {
  blind?: boolean
  output?: string
  peer?: string[]
}

/**
 * `mycel seed --blind <mycel://...>`: fetches the ciphertext of a private
 * share, verifies it, and seeds it until Ctrl-C, without the key (a key in
 * the link is dropped, never stored) and without any plaintext or names.
 *
 * @param context - the command's context
 * @param link - the link
 * @param options - `--blind` (required), output folder, peers
 * @returns the exit status
 */
export async function runSeedBlind(context: Context, link: string, options: SeedCommandOptions): Promise<number> {
  if (options.blind !== true) {
    throw CliError.usage(
      'seed needs --blind: it keeps and serves the ciphertext only',
      'to read a share, use mycel get',
    )
  }
  const text = link.trim()
  if (!isPrivateLink(text))
    throw CliError.usage('seed --blind takes a mycel:// link', 'as mycel share --private prints it')
  let infohash: Uint8Array
  let peers: readonly string[]
  try {
    ;({ infohash, peers } = parsePrivateLink(text))
  } catch (error) {
    throw explain(error, context.explain)
  }
  const blindLink = `mycel://${Buffer.from(infohash).toString('hex')}`
  const dir = options.output === undefined ? undefined : resolve(options.output)
  const extraPeers = (options.peer ?? []).map((p) => (p.includes('://') ? p : `tcp://${p}`))
  const daemon = await DaemonClient.connect(context.options.dataDir)
  if (daemon !== undefined) {
    return seedBlindThroughDaemon(context, daemon, {
      link: text,
      ...(dir === undefined ? {} : { dir }),
      peers: extraPeers,
      // as when run alone: it waits for peers until Ctrl-C
      timeoutMs: Number.POSITIVE_INFINITY,
    })
  }
  return withSession(context, async (session, lifetime) => {
    const node: MycelNode = session.node
    const download = node.download(blindLink, {
      ...(dir === undefined ? {} : { dir }),
      peers: [...peers.map((peer) => `tcp://${peer}`), ...extraPeers],
    })
    await showProgress(context, download, lifetime, `blind ${blindLink.slice(8, 20)}`, download.done())
    const infohashHex = Buffer.from(infohash).toString('hex')
    context.out.result([`seeding ${download.contentPath ?? ''}  (ciphertext only, verified)`], {
      event: 'blind',
      infohash: infohashHex,
      path: download.contentPath ?? null,
    })
    const announcing = new AbortController()
    try {
      if (context.options.bootstrap.length > 0) {
        const signal = AbortSignal.any([lifetime.signal, announcing.signal])
        announceUntilStored(context, node, { infohashHex, name: `private ${infohashHex.slice(0, 12)}` }, signal)
      }
      await seedUntilStopped(context, session, lifetime)
    } finally {
      announcing.abort()
    }
    return 0
  })
}
