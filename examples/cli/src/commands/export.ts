import { constants, type Stats } from 'node:fs'
import { access, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { AGENT } from '@mycel/node'
import { encodeTorrent, type Manifest } from '@mycel/pieces'
import { ingestPath } from '@mycel/pieces/node'
import { withNodeAccess } from '../access/open.js'
import type { Context } from '../context.js'
import { encryptTorrentFor } from '../encrypted-torrent.js'
import { CliError, explain } from '../errors.js'
import { Lifetime } from '../lifetime.js'
import { ProgressView, progressModeOf } from '../progress.js'
import { findShareManifest } from '../share-lookup.js'
import type { ShareView } from '../views.js'

/** Options of `mycel export`. */
export interface ExportCommandOptions {
  output?: string
  hybrid?: boolean
  force?: boolean
  /** `--to <peer id...>`: encrypt the `.torrent` for these users (`.torrent.enc`). */
  to?: string[]
}

function fileExists(file: string): CliError {
  return new CliError('FILE_EXISTS', `${file} already exists`, 'pass --force to replace it, or another -o')
}

/** The file's status, or undefined when there is nothing at the path (or a part of it is not a folder). */
async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}

/**
 * Checks that the `.torrent` can be written where asked, before any work
 * (a hybrid export hashes the whole share first): not over a file without
 * `--force`, not over a folder, into a folder that exists and is writable.
 *
 * @throws {@link CliError} `FILE_EXISTS`, `USAGE`, `FILE_NOT_FOUND`, `PERMISSION_DENIED`
 */
async function checkOutput(file: string, force: boolean): Promise<void> {
  const existing = await statOf(file)
  if (existing?.isDirectory())
    throw CliError.usage(`${file} is a folder`, 'give -o the path of the .torrent file to write')
  if (existing !== undefined && !force) throw fileExists(file)
  const folder = dirname(file)
  const parent = await statOf(folder)
  if (parent === undefined || !parent.isDirectory()) {
    throw new CliError(
      'FILE_NOT_FOUND',
      `no folder ${folder} to write ${basename(file)} into`,
      'create it, or give another -o',
    )
  }
  try {
    await access(existing === undefined ? folder : file, constants.W_OK)
  } catch {
    throw new CliError(
      'PERMISSION_DENIED',
      `cannot write ${file}`,
      `check the permissions of ${existing === undefined ? folder : 'that file'}, or give another -o`,
    )
  }
}

/**
 * Hashes the share's content again with SHA-1 v1 pieces (what a hybrid
 * torrent adds), and checks that the files still give the same share.
 */
async function withV1Hashes(context: Context, share: ShareView, manifest: Manifest): Promise<Manifest> {
  if (share.role !== 'seed' && share.status !== 'complete') {
    throw new CliError(
      'CONTENT_CHANGED',
      `${share.name} is not complete here, and a hybrid .torrent needs all of its bytes (for SHA-1 pieces)`,
      'finish the download first, or export a v2 .torrent without --hybrid',
    )
  }
  const lifetime = new Lifetime()
  const view = new ProgressView(context.out, progressModeOf(context.out), { lifetime })
  try {
    const again = await ingestPath(share.path, {
      name: manifest.name,
      pieceLength: manifest.pieceLength,
      v1: true,
      signal: lifetime.signal,
      onProgress: (p) => view.advance('hashing for v1', p.bytesHashed, manifest.totalLength),
    })
    view.finish()
    if (again.infohashHex !== manifest.infohashHex) {
      throw new CliError(
        'CONTENT_CHANGED',
        `the files at ${share.path} no longer give share ${manifest.infohashHex.slice(0, 12)}`,
        'export a v2 .torrent without --hybrid, or share the files again',
      )
    }
    return again
  } catch (error) {
    view.finish()
    if (lifetime.signalName !== undefined) throw lifetime.interruption()
    throw explain(error, context.explain)
  } finally {
    lifetime.dispose()
  }
}

/**
 * `mycel export <infohash>`: writes a BitTorrent v2 `.torrent` of a share
 * (or, with `--hybrid`, a v1+v2 one that v1-only clients read too).
 *
 * @param context - the command's context
 * @param input - infohash, prefix or magnet link
 * @param options - output file, hybrid, overwrite
 * @returns the exit status
 */
export async function runExport(context: Context, input: string, options: ExportCommandOptions): Promise<number> {
  return withNodeAccess(context, async (access) => {
    const { share, manifest } = await findShareManifest(
      access,
      input,
      context.options.dataDir,
      'wait until mycel get has found a peer, then export again',
    )
    const file = resolve(options.output ?? `${manifest.name}.torrent${options.to === undefined ? '' : '.enc'}`)
    try {
      await checkOutput(file, options.force === true) // before hashing: a wrong -o is said at once
    } catch (error) {
      throw explain(error, context.explain)
    }
    const hybrid = options.hybrid === true
    const source = hybrid && manifest.hybrid === undefined ? await withV1Hashes(context, share, manifest) : manifest
    const torrent = encodeTorrent(source, { hybrid, createdBy: AGENT })
    const bytes = options.to === undefined ? torrent.bytes : encryptTorrentFor(torrent.bytes, options.to)
    try {
      await writeFile(file, bytes, { flag: options.force === true ? 'w' : 'wx' })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw fileExists(file) // it appeared while hashing
      throw explain(error, context.explain)
    }
    const v2 = Buffer.from(torrent.infohash).toString('hex')
    const v1 = torrent.infohashV1 === undefined ? null : Buffer.from(torrent.infohashV1).toString('hex')
    const encrypted =
      options.to === undefined ? '' : ` encrypted for ${options.to.length} user${options.to.length === 1 ? '' : 's'}`
    const lines = [`wrote ${file}  (${v1 === null ? 'v2' : 'hybrid v1+v2'} .torrent of ${manifest.name}${encrypted})`]
    lines.push(`v2 infohash  ${v2}`)
    if (v1 !== null) lines.push(`v1 infohash  ${v1}`)
    if (v2 !== share.infohash)
      lines.push(`(a hybrid torrent is a share of its own: mycel shares this content as ${share.infohash})`)
    context.out.result(lines, {
      path: file,
      kind: v1 === null ? 'v2' : 'hybrid',
      infohash: v2,
      infohashV1: v1,
      share: share.infohash,
      bytes: bytes.length,
      encryptedFor: options.to ?? null,
    })
    return 0
  })
}
