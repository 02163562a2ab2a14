import { withNodeAccess } from '../access/open.js'
import type { Context } from '../context.js'
import { CliError } from '../errors.js'
import { formatBytes, formatPercent, formatRate, shortInfohash, table } from '../format.js'
import { findShareManifest } from '../share-lookup.js'
import type { SearchHitView, ShareView } from '../views.js'

/** Options of `mycel ls`. */
export interface LsCommandOptions {
  long?: boolean
}

/** Options of `mycel search`. */
export interface SearchCommandOptions {
  limit?: string
}

/** What a share is doing, in a word or two. */
export function shareState(share: ShareView, running: boolean): string {
  if (share.status === 'error') return 'error'
  if (share.status === 'paused') return 'paused'
  if (share.role === 'seed' || share.status === 'complete') return running ? 'seeding' : 'complete'
  return running ? 'downloading' : 'incomplete'
}

function progressText(share: ShareView): string {
  if (share.pieceCount === null) return '-'
  return formatPercent(share.piecesVerified, share.pieceCount)
}

const HEADER = ['INFOHASH', 'STATE', 'ROLE', 'DONE', 'SIZE', 'NAME']
/** `ls -l`: the first five columns, the figures of a running share and all-time bytes sent, name, path, error. */
const LONG_HEADER = [...HEADER.slice(0, 5), 'PEERS', 'DOWN/S', 'UP/S', 'UPLOADED', 'NAME', 'PATH', 'ERROR']

function shareRows(shares: readonly ShareView[], running: boolean, long: boolean): string[][] {
  return shares.map((share) => {
    const row = [
      shortInfohash(share.infohash),
      shareState(share, running),
      share.role,
      progressText(share),
      share.totalBytes === null ? '-' : formatBytes(share.totalBytes),
      share.name,
    ]
    if (!long) return row
    const live = share.live
    return [
      ...row.slice(0, 5),
      live === null ? '-' : `${live.peers}`,
      live === null ? '-' : formatRate(live.downloadRate),
      live === null ? '-' : formatRate(live.uploadRate),
      formatBytes(share.uploaded),
      share.name,
      share.path,
      share.lastError ?? '',
    ]
  })
}

/**
 * `mycel ls`: the shares and downloads of the data folder with their
 * status, from the running process when there is one.
 *
 * @param context - the command's context
 * @param options - `--long` adds peers, rates, bytes uploaded, path and last error
 * @returns the exit status
 */
export async function runLs(context: Context, options: LsCommandOptions): Promise<number> {
  return withNodeAccess(context, async (access) => {
    const shares = await access.list()
    const long = options.long === true
    context.out.result(
      () => {
        if (shares.length === 0) return [`no shares in ${context.options.dataDir} (mycel share <path> adds one)`]
        const lines = table(long ? LONG_HEADER : HEADER, shareRows(shares, access.running, long))
        if (!access.running) lines.push('(no mycel process is running for this data folder)')
        return lines
      },
      { running: access.running, shares },
    )
    return 0
  })
}

/**
 * `mycel ls <share>`: the files of one share the data folder knows, with
 * their size, in manifest order (what `get --file` takes).
 *
 * @param context - the command's context
 * @param input - infohash, prefix of it, or magnet link
 * @returns the exit status
 */
export async function runLsFiles(context: Context, input: string): Promise<number> {
  return withNodeAccess(context, async (access) => {
    const { share, manifest } = await findShareManifest(
      access,
      input,
      context.options.dataDir,
      'mycel get fetches it from a peer',
    )
    const files = manifest.files.map((file) => ({
      path: manifest.singleFile ? manifest.name : file.path.join('/'),
      bytes: file.length,
    }))
    context.out.result(
      () =>
        table(
          ['SIZE', 'PATH'],
          files.map((file) => [formatBytes(file.bytes), file.path]),
        ),
      { infohash: share.infohash, name: manifest.name, files },
    )
    return 0
  })
}

function hitRows(hits: readonly SearchHitView[]): string[][] {
  return hits.map((hit) => [
    shortInfohash(hit.infohash),
    hit.role,
    hit.path === null ? hit.shareName : `${hit.shareName}/${hit.path}`,
  ])
}

/**
 * `mycel search <text>`: finds local shares (and files inside shares) whose
 * name holds every word, ignoring case.
 *
 * @param context - the command's context
 * @param words - the words
 * @param options - most results
 * @returns the exit status (0 also when nothing matched)
 */
export async function runSearch(context: Context, words: string[], options: SearchCommandOptions): Promise<number> {
  const text = words.join(' ')
  const limit = options.limit === undefined ? undefined : Number(options.limit)
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) {
    throw CliError.usage(`--limit must be a positive whole number, not ${JSON.stringify(options.limit)}`)
  }
  return withNodeAccess(context, async (access) => {
    const hits = await access.search(text, limit)
    context.out.result(
      () =>
        hits.length === 0
          ? [`nothing matches ${JSON.stringify(text)}`]
          : table(['INFOHASH', 'ROLE', 'NAME'], hitRows(hits)),
      { query: text, hits },
    )
    return 0
  })
}
