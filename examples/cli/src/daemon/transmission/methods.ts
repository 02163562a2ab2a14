import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { MANIFEST_LIMITS } from '@mycel/pieces'
import { CliError } from '../../errors.js'
import { hexOf } from '../../views.js'
import type { DaemonShares } from '../shares.js'
import { pickFields, type TorrentSnapshot, torrentObject } from './torrent-fields.js'
import type { TorrentIds } from './torrent-ids.js'

/** What the Transmission methods act on. */
export interface TransmissionContext {
  shares: DaemonShares
  ids: TorrentIds
  /** Failed verifications by infohash, in words (shown as the torrent's error until it is started again). */
  verifyErrors: Map<string, string>
  session: {
    version: string
    dataDir: string
    /** The TCP port peers reach the node at. */
    peerPort: () => number
    /** Bytes per second, 0 for none. */
    uploadLimit: number
    downloadLimit: number
  }
}

/** A Transmission method: its arguments in, its arguments out; a throw is its `result` text. */
type TransmissionMethod = (args: Record<string, unknown>) => Promise<Record<string, unknown>>

/** The RPC version answered: that of Transmission 3.00, whose `transmission-remote` Debian ships. */
const RPC_VERSION = 16

function fail(message: string): CliError {
  return CliError.usage(message, '')
}

/** The shares `ids` names: a number, a hash string, a list of those, `recently-active`, or (absent) all. */
async function select(context: TransmissionContext, ids: unknown): Promise<TorrentSnapshot[]> {
  const { shares } = context
  const records = await shares.records()
  const all = await Promise.all(
    records.map(async (record) => {
      const infohash = hexOf(record.infohash)
      return {
        id: context.ids.idOf(infohash),
        record,
        manifest: await shares.node.getManifest(infohash),
        trackers: shares.node.trackerStatus(infohash),
        verifyError: context.verifyErrors.get(infohash),
      }
    }),
  )
  if (ids === undefined || ids === 'recently-active') return all
  const wanted = Array.isArray(ids) ? ids : [ids]
  if (wanted.length > 10_000) throw fail('too many ids')
  return all.filter(({ id, record }) =>
    wanted.some((item) =>
      typeof item === 'number'
        ? item === id
        : typeof item === 'string' && item.length >= 4 && hexOf(record.infohash).startsWith(item.toLowerCase()),
    ),
  )
}

async function torrentBytes(args: Record<string, unknown>): Promise<{ link?: string; torrent?: Uint8Array }> {
  if (typeof args.metainfo === 'string') return { torrent: Buffer.from(args.metainfo, 'base64') }
  const filename = args.filename
  if (typeof filename !== 'string' || filename === '') throw fail('torrent-add needs filename or metainfo')
  if (/^magnet:/i.test(filename) || /^[0-9a-f]{40}$|^[0-9a-f]{64}$/i.test(filename)) return { link: filename }
  if (/^https?:/i.test(filename))
    throw fail('mycel does not fetch .torrent files by URL: give the file or a magnet link')
  const path = resolve(filename)
  const size = (await stat(path).catch(() => undefined))?.size
  if (size === undefined) throw new CliError('FILE_NOT_FOUND', `no such file: ${path}`)
  if (size > MANIFEST_LIMITS.maxMetadataBytes) throw new CliError('TORRENT_INVALID', `${path} is too large`)
  return { torrent: await readFile(path) }
}

function fileIndices(value: unknown, count: number): number[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((index) => Number.isSafeInteger(index) && index >= 0 && index < count)) {
    throw fail(`file indices must be from 0 to ${count - 1}`)
  }
  return value as number[]
}

/** Applies `files-wanted` and `files-unwanted` to a download. */
async function setFiles(context: TransmissionContext, snapshot: TorrentSnapshot, args: Record<string, unknown>) {
  const { manifest, record } = snapshot
  const { shares } = context
  if (args['files-wanted'] === undefined && args['files-unwanted'] === undefined) return
  if (manifest === undefined) throw fail(`the metadata of ${record.name} has not arrived yet`)
  if (record.role === 'seed') throw fail(`${record.name} is shared from its files here: every file is seeded`)
  const paths = manifest.files.map((file) => (manifest.singleFile ? manifest.name : file.path.join('/')))
  const wanted = fileIndices(args['files-wanted'], paths.length).map((index) => paths[index] as string)
  const unwanted = new Set(fileIndices(args['files-unwanted'], paths.length).map((index) => paths[index] as string))
  const infohash = hexOf(record.infohash)
  const selected = shares.node.getDownload(infohash)?.files
  if (unwanted.size > 0) {
    if (selected !== undefined) {
      if (selected.some((path) => unwanted.has(path)))
        throw fail('mycel cannot leave out a file a download already takes: it only adds files')
    } else {
      // A download of every file becomes one of the others: it restarts with them (verified pieces are kept).
      const keep = paths.filter((path) => !unwanted.has(path) || wanted.includes(path))
      if (keep.length === 0) throw fail('a download needs at least one file')
      await shares.stop(infohash)
      await shares.add({ link: infohash, dir: resolve(record.contentPath, '..'), files: keep })
      return
    }
  }
  if (wanted.length > 0) await shares.add({ link: infohash, dir: resolve(record.contentPath, '..'), files: wanted })
}

/**
 * The Transmission methods: `session-get`, `session-set` (accepted, nothing
 * changes), `session-stats`, `torrent-get`, `torrent-add`,
 * `torrent-start`, `torrent-start-now`, `torrent-stop`, `torrent-verify`,
 * `torrent-remove`, `torrent-set` (file selection).
 *
 * @param context - shares, ids, session figures
 * @returns the methods by name
 */
export function transmissionMethods(context: TransmissionContext): Record<string, TransmissionMethod> {
  const { shares, session } = context
  const eachSelected = async (args: Record<string, unknown>, action: (infohash: string) => Promise<void>) => {
    for (const { record } of await select(context, args.ids)) await action(hexOf(record.infohash))
    return {}
  }
  const start = (infohash: string) => {
    context.verifyErrors.delete(infohash)
    return shares.start(infohash)
  }
  return {
    'session-get': async () => ({
      version: `${session.version} (mycel)`,
      'rpc-version': RPC_VERSION,
      'rpc-version-minimum': 14,
      'config-dir': session.dataDir,
      'download-dir': shares.downloadDir,
      'incomplete-dir-enabled': false,
      'peer-port': session.peerPort(),
      'peer-port-random-on-start': false,
      'port-forwarding-enabled': false,
      'dht-enabled': true,
      'pex-enabled': true,
      'lpd-enabled': false,
      'utp-enabled': false,
      encryption: 'required',
      'start-added-torrents': true,
      'rename-partial-files': false,
      'speed-limit-down': Math.floor(session.downloadLimit / 1000),
      'speed-limit-down-enabled': session.downloadLimit > 0,
      'speed-limit-up': Math.floor(session.uploadLimit / 1000),
      'speed-limit-up-enabled': session.uploadLimit > 0,
      'alt-speed-enabled': false,
      seedRatioLimited: false,
      'idle-seeding-limit-enabled': false,
      'download-queue-enabled': false,
      'seed-queue-enabled': false,
      units: {
        'speed-units': ['kB/s', 'MB/s', 'GB/s', 'TB/s'],
        'speed-bytes': 1000,
        'size-units': ['kB', 'MB', 'GB', 'TB'],
        'size-bytes': 1000,
        'memory-units': ['KiB', 'MiB', 'GiB', 'TiB'],
        'memory-bytes': 1024,
      },
    }),
    'session-set': async () => ({}),
    'session-stats': async () => {
      const records = await shares.records()
      const active = records.filter((record) => shares.running(hexOf(record.infohash))).length
      const stats = shares.node.stats()
      const totals = {
        uploadedBytes: records.reduce((sum, record) => sum + record.bytesUploaded, 0),
        downloadedBytes: records.reduce((sum, record) => sum + record.bytesDownloaded, 0),
        filesAdded: records.length,
        sessionCount: 1,
        secondsActive: 0,
      }
      return {
        activeTorrentCount: active,
        pausedTorrentCount: records.length - active,
        torrentCount: records.length,
        downloadSpeed: Math.round(stats.downloadRate),
        uploadSpeed: Math.round(stats.uploadRate),
        'cumulative-stats': totals,
        'current-stats': {
          ...totals,
          uploadedBytes: stats.bytesUploaded,
          downloadedBytes: stats.bytesDownloaded,
        },
      }
    },
    'torrent-get': async (args) => {
      const fields = args.fields
      if (fields !== undefined && !(Array.isArray(fields) && fields.every((field) => typeof field === 'string'))) {
        throw fail('fields must be a list of names')
      }
      const torrents = (await select(context, args.ids)).map((snapshot) =>
        pickFields(torrentObject(snapshot, shares), fields as string[] | undefined),
      )
      return args.ids === 'recently-active' ? { torrents, removed: [] } : { torrents }
    },
    'torrent-add': async (args) => {
      const source = await torrentBytes(args)
      const dir = typeof args['download-dir'] === 'string' ? args['download-dir'] : undefined
      const added = await shares.add({ ...source, ...(dir === undefined ? {} : { dir }) })
      const record = { id: context.ids.idOf(added.infohash), name: added.name, hashString: added.infohash }
      if (args.paused === true) await shares.stop(added.infohash)
      return added.added ? { 'torrent-added': record } : { 'torrent-duplicate': record }
    },
    'torrent-start': (args) => eachSelected(args, start),
    'torrent-start-now': (args) => eachSelected(args, start),
    'torrent-stop': (args) => eachSelected(args, (infohash) => shares.stop(infohash)),
    'torrent-verify': (args) =>
      eachSelected(args, async (infohash) => {
        context.verifyErrors.delete(infohash)
        // answered at once; the torrent shows status 2 (checking) until it is done
        shares.verify(infohash).then(
          (result) => {
            const bad = result.pieceCount - result.validPieces
            if (bad > 0) context.verifyErrors.set(infohash, `${bad} of ${result.pieceCount} pieces do not match`)
          },
          (error: unknown) => context.verifyErrors.set(infohash, shares.explain(error).message),
        )
      }),
    'torrent-remove': async (args) => {
      if (args['delete-local-data'] === true) {
        throw fail('mycel does not delete files: remove the torrent without deleting its data')
      }
      return eachSelected(args, async (infohash) => {
        await shares.remove(infohash)
        context.ids.forget(infohash)
        context.verifyErrors.delete(infohash)
      })
    },
    'torrent-set': async (args) => {
      for (const snapshot of await select(context, args.ids)) await setFiles(context, snapshot, args)
      return {}
    },
  }
}
