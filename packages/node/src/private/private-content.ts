/**
 * The node's storage as private shares need it: the stores of private
 * versions this node made (the sharer) or reads (a reader) are
 * {@link VersionStore}s over the plaintext files, with no ciphertext copy;
 * every other share's store (a blind seeder's ciphertext too) is the
 * storage's own.
 * @module
 */
import type { Manifest } from '@mycel/pieces'
import { HEADER_BYTES, layoutManifest, openPrivateShare, privateShareFiles } from '@mycel/pieces/private'
import type { StateStore } from '@mycel/store'
import { fromHex, toHex } from '@mycel/wire'
import type { CryptoProvider } from '@mycel/wire/crypto'
import type { ContentStorage, ContentStore } from '../content.js'
import { NodeError } from '../errors.js'
import { loadReading, type PrivateReading, saveReading } from './reading.js'
import { loadRecord } from './record.js'
import {
  HEAD_FILE,
  KEYS_FILE,
  MAX_HEAD_BYTES,
  type OpenVersion,
  openVersionHead,
  type VersionOpener,
  VersionStore,
} from './version-store.js'

/**
 * The private shares this node reads: where each goes and its key, while
 * its download runs, and the stores opened for them.
 * @internal
 */
export class PrivateReads {
  /** Live readings by infohash (hex): the object a store's opener reads its key from. */
  private readonly readings = new Map<string, PrivateReading>()
  private readonly stores = new Map<string, VersionStore>()

  /** Says where a private download goes (and its key, from a link), before its store opens. */
  register(infohashHex: string, reading: PrivateReading): void {
    const live = this.readings.get(infohashHex)
    if (live === undefined) this.readings.set(infohashHex, { ...reading })
    else if (live.key === undefined && reading.key !== undefined) live.key = reading.key
  }

  /**
   * Gives a download its key (opened from the keys file with this node's identity); its store opens
   * if it waited for it.
   */
  async setKey(infohashHex: string, key: Uint8Array): Promise<void> {
    const live = this.readings.get(infohashHex)
    if (live === undefined || live.key !== undefined) return
    live.key = toHex(key)
    await this.stores.get(infohashHex)?.retryOpen()
  }

  /** The plaintext file or folder a reader's download claimed, once it did. */
  contentPathOf(infohashHex: string): string | undefined {
    return this.readings.get(infohashHex)?.contentPath
  }

  /** The reader's store of a share, if one is open here. */
  storeOf(infohashHex: string): VersionStore | undefined {
    return this.stores.get(infohashHex)
  }

  /** The live reading of a share: the one saved when its destination is claimed, else the one registered. @internal */
  async reading(state: StateStore, infohashHex: string): Promise<PrivateReading | undefined> {
    const saved = await loadReading(state, infohashHex)
    const live = this.readings.get(infohashHex)
    const reading = saved?.contentPath !== undefined ? saved : (live ?? saved)
    if (reading === undefined) return undefined
    const key = reading.key ?? live?.key ?? saved?.key
    if (key !== undefined) reading.key = key
    this.readings.set(infohashHex, reading)
    return reading
  }

  /** Forgets a share's reading and store (its download failed before anything was decrypted). */
  forget(infohashHex: string): void {
    this.readings.delete(infohashHex)
    this.stores.delete(infohashHex)
  }

  /** Remembers the store opened for a share. @internal */
  opened(infohashHex: string, store: VersionStore): void {
    this.stores.set(infohashHex, store)
  }
}

/**
 * Wraps a node's storage for private shares.
 *
 * @param storage - the node's storage
 * @param state - where the sharer's records (`private-share:<hex>`) and readings (`private-read:<hex>`) are
 * @param reads - the private downloads running
 * @param crypto - ChaCha20 and friends
 * @returns the storage, with `openSeed` and `openDownload` of private versions changed
 * @internal
 */
export function privateContent(
  storage: ContentStorage,
  state: StateStore,
  reads: PrivateReads,
  crypto: CryptoProvider,
): ContentStorage {
  return {
    resolve: (path) => storage.resolve(path),
    join: (folder, ...names) => storage.join(folder, ...names),
    folderOf: (path) => storage.folderOf(path),
    ingest: (path, options) => storage.ingest(path, options),
    prepareFolder: (folder) => storage.prepareFolder(folder),
    contentPath: (manifest, folder) => storage.contentPath(manifest, folder),
    inspect: (path) => storage.inspect(path),
    stamp: (path) => storage.stamp(path),
    close: () => storage.close(),
    openSeed: async (manifest, contentPath) => {
      const record = await loadRecord(state, manifest.infohashHex)
      // A version this node made (a record without `head` is an older one, its ciphertext all in its folder).
      if (record?.head !== undefined && record.folder === contentPath) {
        return openSharerStore(storage, manifest, { ...record, head: record.head }, crypto)
      }
      const reading = await reads.reading(state, manifest.infohashHex)
      if (reading?.key !== undefined && reading.head !== undefined && reading.contentPath !== undefined) {
        // A version this node read in full: served by encrypting what it decrypted.
        const store = await openReaderStore(storage, state, crypto, manifest, contentPath, 'seed', reading)
        reads.opened(manifest.infohashHex, store)
        return store
      }
      return storage.openSeed(manifest, contentPath)
    },
    openDownload: async (manifest, folder, existingFiles) => {
      const reading = await reads.reading(state, manifest.infohashHex)
      if (reading === undefined) return storage.openDownload(manifest, folder, existingFiles)
      await saveReading(state, manifest.infohashHex, reading) // a restart resumes it as a reader
      const contentPath = storage.contentPath(manifest, folder)
      const store = await openReaderStore(storage, state, crypto, manifest, contentPath, existingFiles, reading)
      reads.opened(manifest.infohashHex, store)
      return store
    },
  }
}

/** The layout of a version folder: its head and keys files. */
function versionLayout(manifest: Manifest, headLength: number): Manifest {
  const files = privateShareFiles(manifest)
  return layoutManifest(manifest.name, [
    { path: [HEAD_FILE], length: headLength },
    { path: [KEYS_FILE], length: manifest.files[files.keys]?.length ?? 0 },
  ])
}

/** Bytes of a ciphertext share's data file. */
function dataLengthOf(manifest: Manifest): number {
  return manifest.files[privateShareFiles(manifest).data]?.length ?? 0
}

/**
 * Opens the sharer's store of a version: its head and keys from the version folder, the rest made
 * on read from the plaintext where it was shared from.
 * @throws the storage's errors (`StoreError` `DATA_MISSING` when the plaintext is gone)
 */
async function openSharerStore(
  storage: ContentStorage,
  manifest: Manifest,
  record: { folder: string; key: string; source: string; head: number },
  crypto: CryptoProvider,
): Promise<VersionStore> {
  const version = await storage.openSeed(versionLayout(manifest, record.head), record.folder)
  try {
    const opened = await openVersionHead(version, dataLengthOf(manifest), fromHex(record.key) as Uint8Array, crypto)
    const layout = layoutManifest(opened.manifest.name, opened.manifest.files)
    // A folder of one file lays out as that file.
    const single = layout.singleFile && (await storage.inspect(record.source)) === 'folder'
    const contentPath = single ? storage.join(record.source, layout.files[0]?.path[0] as string) : record.source
    const plaintext = await storage.openSeed(layout, contentPath)
    return new VersionStore(manifest, privateShareFiles(manifest), version, crypto, true, { opened, plaintext })
  } catch (error) {
    await version.close()
    throw error
  }
}

/** Thrown by a read of head bytes that have not arrived (the version cannot open yet). */
const MISSING = Symbol('missing')

/**
 * Opens a reader's store of a version: the head and keys in the version folder (`contentPath`), the
 * content decrypted into (and encrypted again from) the plaintext under `reading.dir`. A download
 * (`existingFiles` given) opens once the key is known and the head has arrived; a seed (`'seed'`)
 * is open at once.
 */
async function openReaderStore(
  storage: ContentStorage,
  state: StateStore,
  crypto: CryptoProvider,
  manifest: Manifest,
  contentPath: string,
  existingFiles: 'refuse' | 'adopt' | 'seed',
  reading: PrivateReading,
): Promise<VersionStore> {
  const files = privateShareFiles(manifest)
  const dataLength = dataLengthOf(manifest)
  const layout = versionLayout(manifest, reading.head ?? Math.min(dataLength, MAX_HEAD_BYTES))
  const seed = existingFiles === 'seed'
  const version = seed
    ? await storage.openSeed(layout, contentPath)
    : await storage.openDownload(layout, storage.folderOf(contentPath), existingFiles)
  const infohashHex = manifest.infohashHex

  const openPlaintext = async (open: Omit<OpenVersion, 'plaintext'>): Promise<ContentStore> => {
    const plain = layoutManifest(open.opened.manifest.name, open.opened.manifest.files)
    const destination = storage.contentPath(plain, reading.dir)
    if (seed) return storage.openSeed(plain, destination)
    if (reading.contentPath === destination) return storage.openDownload(plain, reading.dir, 'adopt')
    // A new destination: nothing may be there (mycel never writes over what it did not write); claimed before the first write.
    for (const file of plain.files) {
      const path = plain.singleFile ? destination : storage.join(destination, ...file.path)
      if ((await storage.inspect(path)) !== undefined) {
        throw new NodeError(
          'DESTINATION_EXISTS',
          `${path} already exists and was not written by this download; it is left as it is (download into another folder, or move it away)`,
        )
      }
    }
    await storage.prepareFolder(reading.dir)
    reading.contentPath = destination
    await saveReading(state, infohashHex, reading)
    return storage.openDownload(plain, reading.dir, 'refuse')
  }

  const opener: VersionOpener = async (readHead) => {
    if (reading.key === undefined) return undefined
    const key = fromHex(reading.key) as Uint8Array
    let opened: Awaited<ReturnType<typeof openVersionHead>>
    if (reading.head !== undefined) {
      opened = await openVersionHead(version, dataLength, key, crypto)
    } else {
      if (readHead(0, HEADER_BYTES) === undefined) return undefined
      try {
        opened = await openPrivateShare(
          async (offset, length) => {
            const bytes = readHead(offset, length)
            if (bytes === undefined) throw MISSING
            return bytes
          },
          dataLength,
          key,
          crypto,
        )
      } catch (error) {
        if (error === MISSING) return undefined
        throw error
      }
    }
    const plaintext = await openPlaintext({ opened })
    if (reading.head === undefined) {
      const head = readHead(0, opened.layout.contentStart) as Uint8Array
      await version.write(0, 0, head)
      reading.head = head.length
      await saveReading(state, infohashHex, reading)
    }
    return { opened, plaintext }
  }

  try {
    if (seed) {
      const open = await opener(() => undefined)
      if (open === undefined) throw new NodeError('SHARE_NOT_FOUND', `no key or head kept for ${infohashHex}`)
      return new VersionStore(manifest, files, version, crypto, true, open)
    }
    const store = new VersionStore(manifest, files, version, crypto, false, opener)
    if (reading.head !== undefined) await store.retryOpen() // resumed: open at once from the head kept
    return store
  } catch (error) {
    await version.close()
    throw error
  }
}
