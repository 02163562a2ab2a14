/**
 * What a sharer keeps about each private share version in its state store
 * (key `private-share:<infohash hex>`): where the plaintext is, who reads
 * it, and its content key, so that `readers add|rm` can make the next
 * version and the link can be shown again.
 * @module
 */
import type { StateStore } from '@mycel/store'
import { readingKey } from './reading.js'

/** The state key of a version's record. */
export function recordKey(infohashHex: string): string {
  return `private-share:${infohashHex}`
}

/** A private share version as its sharer remembers it. @internal */
export interface PrivateShareRecord {
  /** The plaintext file or folder (absolute). */
  readonly source: string
  /** The plaintext name. */
  readonly name: string
  /** Readers' peer ids (base32). */
  readonly readers: readonly string[]
  /** Whether the version has a keyed link. */
  readonly link: boolean
  /** The content key, hex. */
  readonly key: string
  /** The folder of the ciphertext version. */
  readonly folder: string
  /**
   * Bytes of the data file's head kept in `folder/head` (with `folder/keys`): the ciphertext is
   * made on read from `source`. Absent for a version whose whole ciphertext was written to
   * `folder` (made before mycel encrypted on read), which is served from there as it is.
   */
  readonly head?: number
}

/** Saves a record. @internal */
export async function saveRecord(state: StateStore, infohashHex: string, record: PrivateShareRecord): Promise<void> {
  await state.setValue(recordKey(infohashHex), new TextEncoder().encode(JSON.stringify(record)))
}

/** Loads a record, if this node made that version (a damaged record reads as none). @internal */
export async function loadRecord(state: StateStore, infohashHex: string): Promise<PrivateShareRecord | undefined> {
  const bytes = await state.getValue(recordKey(infohashHex))
  if (bytes === undefined) return undefined
  try {
    const record = JSON.parse(new TextDecoder().decode(bytes)) as PrivateShareRecord
    const fields = [record.source, record.name, record.key, record.folder]
    if (fields.some((field) => typeof field !== 'string') || !Array.isArray(record.readers)) return undefined
    if (record.head !== undefined && !(Number.isSafeInteger(record.head) && record.head > 0)) return undefined
    return record
  } catch {
    return undefined
  }
}

/** Deletes a version's record, or a reader's, and with it the content key, if there is one. @internal */
export async function forgetPrivateShare(state: StateStore, infohashHex: string): Promise<void> {
  await state.deleteValue(recordKey(infohashHex))
  await state.deleteValue(readingKey(infohashHex))
}
