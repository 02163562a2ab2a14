/**
 * What a reader's node keeps about each private share it downloads and
 * decrypts (state key `private-read:<infohash hex>`): where the plaintext
 * goes, the content key (to decrypt, and to serve the ciphertext again by
 * encrypting what it decrypted), the destination it claimed before its
 * first write (a rerun resumes into it; nothing else is written over), and
 * the length of the data file's head once it is kept.
 * @module
 */
import type { StateStore } from '@mycel/store'

/** The state key of a reading. */
export function readingKey(infohashHex: string): string {
  return `private-read:${infohashHex}`
}

/** A private share this node reads. @internal */
export interface PrivateReading {
  /** The folder the plaintext goes into (absolute). */
  dir: string
  /** The content key, hex, once known (from the link, or from the keys file with this node's identity). */
  key?: string
  /** The plaintext file or folder this node claimed before writing into it. */
  contentPath?: string
  /** Bytes of the data file's head kept in the version folder, once it is. */
  head?: number
}

/** Saves a reading. @internal */
export async function saveReading(state: StateStore, infohashHex: string, reading: PrivateReading): Promise<void> {
  await state.setValue(readingKey(infohashHex), new TextEncoder().encode(JSON.stringify(reading)))
}

/** Loads a reading (a damaged one reads as none). @internal */
export async function loadReading(state: StateStore, infohashHex: string): Promise<PrivateReading | undefined> {
  const bytes = await state.getValue(readingKey(infohashHex))
  if (bytes === undefined) return undefined
  try {
    const reading = JSON.parse(new TextDecoder().decode(bytes)) as PrivateReading
    if (typeof reading.dir !== 'string') return undefined
    if (reading.key !== undefined && !/^[0-9a-f]{64}$/.test(reading.key)) return undefined
    if (reading.contentPath !== undefined && typeof reading.contentPath !== 'string') return undefined
    if (reading.head !== undefined && !(Number.isSafeInteger(reading.head) && reading.head > 0)) return undefined
    return reading
  } catch {
    return undefined
  }
}
