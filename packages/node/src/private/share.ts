/**
 * Sharing privately: encrypt a file or folder into a new ciphertext
 * version (streamed: read, encrypt and hash chunk by chunk, in worker
 * threads where the storage can; the ciphertext is not written, the seed
 * store makes it again on read), seed it as an
 * ordinary share, remember it; and make the next version when the readers
 * change.
 * @module
 */
import { ingest } from '@mycel/pieces'
import { encryptShare, formatPrivateLink } from '@mycel/pieces/private'
import { parsePeerId } from '@mycel/transport'
import { fromHex, toHex } from '@mycel/wire'
import { NodeError } from '../errors.js'
import type { ShareOptions } from '../options.js'
import { type PrivateContext, privateStorageOf } from './context.js'
import type { PrivateShare, PrivateShareOptions } from './options.js'
import { loadRecord, type PrivateShareRecord, recordKey, saveRecord } from './record.js'
import type { FileSink } from './storage.js'
import { HEAD_FILE, KEYS_FILE } from './version-store.js'

/** Checks `ShareOptions.private`. @internal */
export function checkPrivateOptions(options: PrivateShareOptions): { readers: string[]; link: boolean } {
  if (typeof options !== 'object' || options === null) throw new TypeError('private must be an object')
  const readers = options.readers ?? []
  if (!Array.isArray(readers)) throw new TypeError('private.readers must be an array of peer ids')
  if (options.link !== undefined && typeof options.link !== 'boolean')
    throw new TypeError('private.link must be a boolean')
  const link = options.link ?? true
  if (!link && readers.length === 0) throw new TypeError('a private share without a link needs at least one reader')
  for (const reader of readers) parsePeerId(reader) // TransportError PEER_ID_INVALID
  return { readers: [...new Set(readers)], link }
}

/**
 * Shares a file or folder privately (see `MycelNode.share`).
 * @internal
 */
export async function sharePrivate(
  context: PrivateContext,
  path: string,
  options: ShareOptions & { private: PrivateShareOptions },
): Promise<PrivateShare> {
  const checked = checkPrivateOptions(options.private)
  const storage = privateStorageOf(context)
  const source = context.storage.resolve(path)
  const signal = options.signal
  const listed = await storage.listFiles(source, signal ? { signal } : {})
  const version = encryptShare({
    name: listed.name,
    files: listed.files,
    readers: checked.readers.map((reader) => parsePeerId(reader)),
    crypto: context.crypto,
  })
  const folder = context.storage.join(storage.versionsFolder, version.shareName)
  const sinks: FileSink[] = []
  let manifest: Awaited<ReturnType<typeof ingest>>
  try {
    // The ciphertext is hashed as it is made, never written: the seed store makes it again on read.
    const sources = storage.encryptedSources?.(version, signal ? { signal } : {}) ?? version.sources
    manifest = await ingest(sources, {
      name: version.shareName,
      hash: context.crypto,
      ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(signal === undefined ? {} : { signal }),
    })
    // What cannot be made again: the head (random filler) and the keys file (ephemeral keys).
    for (const [name, bytes] of [
      [HEAD_FILE, version.head],
      [KEYS_FILE, version.envelope],
    ] as const) {
      const sink = await storage.createFile(context.storage.join(folder, name))
      sinks.push(sink)
      await sink.write(bytes)
      await sink.close()
    }
  } catch (error) {
    await Promise.all(sinks.map((sink) => sink.discard()))
    await storage.removeVersion(folder).catch(() => {})
    throw error
  }
  const record: PrivateShareRecord = {
    source,
    name: listed.name,
    readers: checked.readers,
    link: checked.link,
    key: toHex(version.contentKey),
    folder,
    head: version.head.length,
  }
  await saveRecord(context.state, manifest.infohashHex, record)
  const share = await context.seed(manifest, folder, options)
  return describe(share, record)
}

function describe(share: PrivateShare['share'], record: PrivateShareRecord): PrivateShare {
  const key = fromHex(record.key) as Uint8Array
  return {
    share,
    infohashHex: share.infohashHex,
    name: record.name,
    ...(record.link ? { link: formatPrivateLink({ infohash: share.infohash, key }) } : {}),
    blindLink: formatPrivateLink({ infohash: share.infohash }),
    readers: record.readers,
  }
}

/**
 * The private share this node made with that ciphertext infohash, if it seeds it.
 * @internal
 */
export async function describePrivateShare(
  context: PrivateContext,
  share: PrivateShare['share'],
): Promise<PrivateShare | undefined> {
  const record = await loadRecord(context.state, share.infohashHex)
  return record === undefined ? undefined : describe(share, record)
}

/**
 * Makes the next version of a private share with other readers: the same
 * plaintext under a new content key, wrapped for `readers`; the old
 * version stops being seeded here and its ciphertext folder is deleted.
 * Whoever read an old version keeps what they read (and its key).
 * @internal
 */
export async function changeReaders(
  context: PrivateContext,
  infohashHex: string,
  readers: readonly string[],
  options: Omit<ShareOptions, 'private'> = {},
): Promise<PrivateShare> {
  const record = await loadRecord(context.state, infohashHex)
  if (record === undefined) {
    throw new NodeError('SHARE_NOT_FOUND', `${infohashHex} is no private share made by this node`)
  }
  const next = await sharePrivate(context, record.source, {
    ...options,
    private: { readers, link: record.link },
  })
  await context.remove(infohashHex)
  await context.state.deleteValue(recordKey(infohashHex))
  await privateStorageOf(context).removeVersion(record.folder)
  return next
}
