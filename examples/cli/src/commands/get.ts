import { resolve } from 'node:path'
import { type Download, type DownloadProgress, type MycelNode, NodeError } from '@mycel/node'
import { type Manifest, parseMagnet } from '@mycel/pieces'
import { isPrivateLink } from '@mycel/pieces/private'
import { StoreError } from '@mycel/store'
import { prepareDownloadFolder } from '@mycel/store/fs'
import type { Context } from '../context.js'
import { getThroughDaemon } from '../daemon/cli-get.js'
import { DaemonClient } from '../daemon/client.js'
import { isEncryptedTorrentPath, readEncryptedTorrent } from '../encrypted-torrent.js'
import { CliError, explain } from '../errors.js'
import { formatBytes, formatDuration, formatPercent } from '../format.js'
import { readGetInput } from '../get-input.js'
import { Lifetime } from '../lifetime.js'
import { PeerFaultWatch } from '../peer-faults.js'
import { type ProgressFrame, ProgressView, progressModeOf } from '../progress.js'
import { seedUntilStopped } from '../seeding.js'
import { type NodeSession, openNodeSession } from '../session.js'
import { trackerOptions } from '../trackers.js'
import { hexOf } from '../views.js'
import { runGetPrivate } from './private.js'
import { verifyContent } from './verify.js'

/** Options of `mycel get`. */
export interface GetCommandOptions {
  output?: string
  timeout?: string
  peer?: string[]
  /** Only these files of the share (paths inside it). */
  file?: string[]
  seed?: boolean
  /**
   * Read the files back at the end and check every piece again: `true`
   * (`--verify`) always; `false` (`--no-verify`) never; absent, only a copy
   * that was complete before this run (it may have changed on disk since).
   * A download's pieces were each verified on arrival, before they were kept.
   */
  verify?: boolean
  /** Verify files already at the destination in place (keep what matches) instead of refusing them. */
  verifyExisting?: boolean
  /** `--tracker` URLs, a tier each, asked before the link's or the `.torrent`'s. */
  tracker?: string[]
}

/** Default of `--timeout`: how long to look for peers before giving up, in seconds. */
export const DEFAULT_PEER_TIMEOUT_SECONDS = 60
/** How often the display and the JSON progress events refresh. */
const TICK_MS = 1000
/** Names longer than this are cut in the progress line. */
const LABEL_NAME_LENGTH = 28

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PEER_TIMEOUT_SECONDS * 1000
  const seconds = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(seconds > 0)) {
    throw CliError.usage(`--timeout must be a number of seconds, not ${JSON.stringify(text)}`)
  }
  return seconds * 1000
}

function peerAddress(text: string): string {
  const address = text.includes('://') ? text : `tcp://${text}`
  if (!/^[a-z]+:\/\/.+:\d+/.test(address)) {
    throw CliError.usage(`--peer must be host:port or tcp://host:port, not ${JSON.stringify(text)}`)
  }
  return address
}

function shortName(name: string): string {
  return name.length <= LABEL_NAME_LENGTH ? name : `${name.slice(0, LABEL_NAME_LENGTH - 1)}…`
}

function frameOf(progress: DownloadProgress, waitedMs: number): ProgressFrame {
  const peers = `${progress.peers} peer${progress.peers === 1 ? '' : 's'}`
  if (progress.totalBytes === undefined) {
    return {
      label: 'looking for peers',
      done: 0,
      total: undefined,
      extra: `${peers}, ${formatDuration(waitedMs / 1000)}`,
    }
  }
  return {
    label: shortName(progress.name),
    done: progress.verifiedBytes,
    total: progress.totalBytes,
    rate: progress.downloadRate,
    eta: progress.etaSeconds,
    extra: peers,
  }
}

function progressEvent(progress: DownloadProgress): Record<string, unknown> {
  return {
    infohash: progress.infohash,
    name: progress.name,
    totalBytes: progress.totalBytes ?? null,
    verifiedBytes: progress.verifiedBytes,
    piecesVerified: progress.piecesVerified,
    pieceCount: progress.pieceCount,
    peers: progress.peers,
    downloadRate: progress.downloadRate,
    etaSeconds: progress.etaSeconds ?? null,
  }
}

/**
 * Watches a download until it completes, fails, finds no peers in time, or
 * is interrupted; says which peers the node banned or penalised meanwhile.
 */
async function follow(
  context: Context,
  node: MycelNode,
  download: Download,
  lifetime: Lifetime,
  timeoutMs: number,
  onMetadata: (manifest: Manifest, progress: DownloadProgress) => void,
): Promise<DownloadProgress> {
  const { out } = context
  const view = new ProgressView(out, progressModeOf(out), { lifetime })
  const faults = new PeerFaultWatch(node, out)
  const started = Date.now()
  let alone = started // since when no peer is connected
  let metadataSeen = false
  let stalled: ((error: CliError) => void) | undefined
  const stall = new Promise<never>((_, reject) => {
    stalled = reject
  })
  const tick = () => {
    const progress = download.progress
    const now = Date.now()
    if (!metadataSeen && download.manifest !== undefined) {
      metadataSeen = true
      onMetadata(download.manifest, progress)
    }
    if (progress.peers > 0 || progress.totalBytes === progress.verifiedBytes) alone = now
    view.update(frameOf(progress, now - started))
    if (now - alone >= timeoutMs) stalled?.(noPeers(progress, timeoutMs, faults.explainNoPeers()))
  }
  const onProgress = () => tick()
  download.on('progress', onProgress)
  const events = setInterval(() => {
    tick()
    out.event('progress', progressEvent(download.progress))
  }, TICK_MS)
  tick()
  try {
    const result = await Promise.race([download.done({ signal: lifetime.signal }), stall])
    if (!metadataSeen && download.manifest !== undefined) onMetadata(download.manifest, result)
    view.finish(frameOf(result, Date.now() - started))
    return result
  } catch (error) {
    view.finish()
    throw error
  } finally {
    clearInterval(events)
    download.off('progress', onProgress)
    faults.stop()
  }
}

/**
 * The failure of a download left without peers for `timeoutMs`. When
 * peers were banned meanwhile (`banned` says which, and for what), that is
 * what happened: the hint no longer suggests checking that a seeder runs.
 */
function noPeers(progress: DownloadProgress, timeoutMs: number, banned?: string): CliError {
  const seconds = formatDuration(timeoutMs / 1000)
  const bannedHint =
    'a banned peer sent data or metadata that does not match the share; find another seeder, or give its address with --peer'
  if (progress.totalBytes === undefined) {
    if (banned !== undefined) {
      return new CliError('NO_PEERS', `no peers found for ${progress.name} in ${seconds}: ${banned}`, bannedHint)
    }
    return new CliError(
      'NO_PEERS',
      `no peers found for ${progress.name} in ${seconds}`,
      'check that a seeder is running and that --bootstrap reaches its DHT or --tracker its tracker, or give its address with --peer; run again to keep trying',
    )
  }
  const kept = `${formatPercent(progress.verifiedBytes, progress.totalBytes)} is kept`
  if (banned !== undefined) {
    return new CliError(
      'NO_PEERS',
      `no peers of ${progress.name} connected for ${seconds} (${kept}): ${banned}`,
      bannedHint,
    )
  }
  return new CliError(
    'NO_PEERS',
    `no peers of ${progress.name} connected for ${seconds} (${kept})`,
    'run the same command again later to resume',
  )
}

/** Makes the `-o` folder, or fails in one line before any peer is looked for. */
async function checkOutputFolder(dir: string): Promise<void> {
  try {
    await prepareDownloadFolder(dir)
  } catch (error) {
    if (!(error instanceof StoreError) || error.code !== 'NOT_WRITABLE') throw error
    throw new CliError('PERMISSION_DENIED', error.message, 'choose another folder with -o', { cause: error })
  }
}

/** The one line for files at the destination that this data folder did not write. */
function destinationError(error: unknown): CliError | undefined {
  if (!(error instanceof NodeError) || error.code !== 'DESTINATION_EXISTS') return undefined
  return new CliError(
    'FILE_EXISTS',
    error.message.replace(/ \(download into another folder.*\)$/, ''),
    error.message.includes(' is a ')
      ? 'move it away, or download into another folder with -o'
      : 'move it away, download into another folder with -o, or pass --verify-existing to keep what matches and download the rest',
    { cause: error },
  )
}

/** What `get` prints at the end. */
function printDone(
  context: Context,
  result: {
    name: string
    infohash: string
    path: string
    totalBytes: number
    pieceCount: number
    /** The files downloaded, when not all of them. */
    files?: string[] | null
  },
  extra: {
    /** Every piece was checked against the share's Merkle tree (on arrival, or on disk when `reread`). */
    verified: boolean
    /** The files were read back from disk and checked again at the end. */
    reread: boolean
    seconds: number
    downloadedBytes: number
    alreadyComplete: boolean
  },
): void {
  const how = extra.alreadyComplete ? 'already downloaded' : `in ${formatDuration(extra.seconds)}`
  const check = extra.verified ? `, all ${result.pieceCount} pieces verified` : ''
  context.out.result([`saved ${result.path}  (${formatBytes(result.totalBytes)} ${how}${check})`], {
    event: 'done',
    ...result,
    ...extra,
  })
}

/**
 * `mycel get <magnet|infohash|file.torrent>`: downloads a share with a live
 * progress bar (percent, speed, ETA, peers), verifies the files on disk
 * against the manifest, and prints where they are. Run again after an
 * interruption, it resumes from the pieces already verified. While a daemon
 * runs for the data folder, the daemon downloads and this follows it.
 *
 * @param context - the command's context
 * @param link - magnet link, hex infohash, or the path of a v2 or hybrid `.torrent` file
 * @param options - output folder, peer timeout, direct peers, trackers, seeding afterwards, verification
 * @returns the exit status: 0 when the files are complete and verified
 */
export async function runGet(context: Context, link: string, options: GetCommandOptions): Promise<number> {
  if (isPrivateLink(link.trim())) {
    return runGetPrivate(context, link, {
      peers: (options.peer ?? []).map(peerAddress),
      timeoutMs: parseTimeout(options.timeout),
      ...(options.output === undefined ? {} : { output: options.output }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    })
  }
  // a .torrent file (encrypted for this identity or not) brings its manifest
  const input = isEncryptedTorrentPath(link)
    ? await readEncryptedTorrent(context, link)
    : await readGetInput(context, link)
  const timeoutMs = parseTimeout(options.timeout)
  const peers = (options.peer ?? []).map(peerAddress)
  // --tracker first (a tier each), then the .torrent's tiers; a magnet's tr the node reads itself.
  const trackers = [...trackerOptions(options.tracker), ...input.trackerTiers]
  const dir = resolve(options.output ?? '.')
  const { infohash, link: uri } = input
  const daemon = await DaemonClient.connect(context.options.dataDir)
  if (daemon !== undefined) {
    return getThroughDaemon(context, daemon, {
      input,
      dir,
      peers,
      trackers: trackerOptions(options.tracker),
      ...(options.file === undefined ? {} : { files: options.file }),
      verifyExisting: options.verifyExisting === true,
      timeoutMs,
    })
  }
  const lifetime = new Lifetime()
  try {
    const session = await openNodeSession(context, lifetime)
    try {
      if (input.manifest !== undefined) await session.node.addManifest(input.manifest)
      const job = { link: uri, infohash, dir, peers, trackers, timeoutMs, options }
      const code = await download(context, session, lifetime, job)
      if (code === 0 && options.seed === true) await seedUntilStopped(context, session, lifetime)
      return code
    } catch (error) {
      if (lifetime.signalName !== undefined && !(error instanceof CliError && error.code === 'INTERRUPTED')) {
        throw lifetime.interruption()
      }
      throw error
    } finally {
      await session.close()
    }
  } finally {
    lifetime.dispose()
  }
}

async function download(
  context: Context,
  session: NodeSession,
  lifetime: Lifetime,
  job: {
    link: string
    infohash: string
    dir: string
    peers: string[]
    trackers: Array<string | readonly string[]>
    timeoutMs: number
    options: GetCommandOptions
  },
): Promise<number> {
  const { out } = context
  const { node } = session
  const records = await node.list()
  const record = records.find((candidate) => hexOf(candidate.infohash) === job.infohash)
  if (record?.role === 'seed') {
    throw new CliError(
      'SHARE_EXISTS',
      `this data folder shares ${record.name} from ${record.contentPath}`,
      'it is already here; use another --data-dir to download a copy',
    )
  }
  const started = Date.now()
  const files = job.options.file
  // A share downloaded whole is verified again; one downloaded in part, or asked for by file, goes
  // through the node, which adds the files asked for (and is done at once when it has them).
  const whole = record !== undefined && record.pieceCount !== undefined && record.verifiedPieces === record.pieceCount
  if (record?.status === 'complete' && whole && files === undefined) {
    const manifest = await node.getManifest(job.infohash)
    if (manifest === undefined) throw new CliError('INTERNAL', `the manifest of ${record.name} is missing`)
    const reread = job.options.verify !== false
    if (reread) await verifyContent(context, manifest, record.contentPath, lifetime)
    printDone(
      context,
      {
        name: manifest.name,
        infohash: job.infohash,
        path: record.contentPath,
        totalBytes: manifest.totalLength,
        pieceCount: manifest.pieceCount,
        files: null,
      },
      { verified: reread, reread, seconds: 0, downloadedBytes: 0, alreadyComplete: true },
    )
    return 0
  }
  await checkOutputFolder(job.dir)
  const others = records.filter((other) => other.role === 'download' && other.status === 'active').length
  const resuming = record !== undefined
  if (others - (resuming ? 1 : 0) > 0)
    out.note(`also resuming ${others - (resuming ? 1 : 0)} other download(s) of this data folder`)
  let handle: Download
  try {
    handle = node.download(job.link, {
      dir: job.dir,
      peers: job.peers,
      ...(job.trackers.length === 0 ? {} : { trackers: job.trackers }),
      ...(files === undefined ? {} : { files }),
      ...(job.options.verifyExisting === true ? { existingFiles: 'verify' as const } : {}),
    })
  } catch (error) {
    throw explain(error, context.explain)
  }
  if (resuming) {
    // The node resumed this download when it started, and download() then returns it without dialling the
    // peers given now (of --peer and the magnet link); connect() offers them every download in progress.
    const direct = [...job.peers, ...parseMagnet(job.link).peers.map((hostPort) => `tcp://${hostPort}`)]
    for (const address of direct) node.connect(address).catch(() => {})
  }
  const downloadedBefore = node.stats().bytesDownloaded
  let manifest: Manifest | undefined
  await follow(context, node, handle, lifetime, job.timeoutMs, (known, now) => {
    manifest = known
    const total = now.totalBytes ?? known.totalLength
    const kept = now.piecesVerified > 0 ? `, ${formatPercent(now.verifiedBytes, total)} already here` : ''
    const selected = handle.files
    const what =
      selected === undefined ? known.name : `${selected.length} of ${known.files.length} files of ${known.name}`
    out.note(
      `${resuming && now.piecesVerified > 0 ? 'resuming' : 'downloading'} ${what} (${formatBytes(total)}${kept}) into ${handle.contentPath ?? job.dir}`,
    )
    out.event('metadata', {
      infohash: job.infohash,
      name: known.name,
      totalBytes: known.totalLength,
      pieceCount: known.pieceCount,
      piecesVerified: now.piecesVerified,
      path: handle.contentPath ?? null,
    })
  }).catch((error: unknown) => {
    if (lifetime.signalName !== undefined) {
      const now = handle.progress
      const kept =
        now.totalBytes === undefined
          ? 'before any data arrived'
          : `at ${formatPercent(now.verifiedBytes, now.totalBytes)}, ${formatBytes(now.verifiedBytes)} verified and kept`
      throw lifetime.interruption(`stopped ${kept}`, 'run the same command again to resume')
    }
    throw destinationError(error) ?? error
  })
  const final = manifest ?? handle.manifest
  const path = handle.contentPath
  if (final === undefined || path === undefined)
    throw new CliError('INTERNAL', 'the download ended without its manifest')
  const selected = handle.files
  // Every piece was verified on arrival (or in place, for files already there) before it was kept;
  // reading the copy back again is asked for with --verify.
  const reread = job.options.verify === true
  if (reread) await verifyContent(context, final, path, lifetime, selected)
  const { totalBytes = final.totalLength, pieceCount } = handle.progress
  printDone(
    context,
    {
      name: final.name,
      infohash: job.infohash,
      path,
      totalBytes,
      pieceCount,
      files: selected ?? null,
    },
    {
      verified: true,
      reread,
      seconds: (Date.now() - started) / 1000,
      downloadedBytes: node.stats().bytesDownloaded - downloadedBefore,
      alreadyComplete: false,
    },
  )
  return 0
}
