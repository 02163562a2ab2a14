/**
 * The 20-byte keys a catalogue share is announced under (its truncated v2
 * infohash, its discovery key, its v1 infohash when hybrid), and its size:
 * what receipts and reports check ("both announced it", "at most its size").
 * @module
 */
import { discoveryKey } from '@mycel/pieces'
import { TRACKER_INFOHASH_LENGTH } from '@mycel/wire'
import type { SqlDatabase } from '../storage/sql.js'

/** A share of the catalogue, as receipts and reports see it. */
export interface CatalogueShare {
  readonly size: number
  readonly keys: Uint8Array[]
}

/**
 * @param sql - the tracker's database
 * @param share - a 32-byte v2 infohash
 * @returns the share, or `undefined` when it is not in the catalogue
 */
export async function catalogueShare(sql: SqlDatabase, share: Uint8Array): Promise<CatalogueShare | undefined> {
  const [row] = await sql.all<{ size: number; infohash_v1: Uint8Array | null }>(
    'SELECT size, infohash_v1 FROM tracker_catalogue WHERE infohash_v2 = $1',
    [share],
  )
  if (row === undefined) return undefined
  const keys = [share.slice(0, TRACKER_INFOHASH_LENGTH), discoveryKey(share)]
  if (row.infohash_v1 !== null) keys.push(row.infohash_v1)
  return { size: Number(row.size), keys }
}
