/**
 * Building {@link ShareRecord}s and ordering them, the same way in every store.
 * @internal
 * @module
 */
import { compareBytes } from '@mycel/wire'
import type { ShareRecord } from '../state-store.js'
import type { ShareRow } from './records.js'

/** What a record shows of the stored manifest and bitfield. */
export interface ShareExtent {
  totalLength: number
  pieceCount: number
  verifiedPieces: number
}

/** The public record of a stored row (copies the infohash). */
export function shareRecord(row: ShareRow, extent: ShareExtent | undefined): ShareRecord {
  return {
    infohash: row.infohash.slice(),
    name: row.name,
    role: row.role,
    contentPath: row.contentPath,
    status: row.status,
    hasManifest: extent !== undefined,
    totalLength: extent?.totalLength,
    pieceCount: extent?.pieceCount,
    verifiedPieces: extent?.verifiedPieces ?? 0,
    addedAt: row.addedAt,
    updatedAt: row.updatedAt,
    completedAt: row.completedAt,
    lastError: row.lastError,
    bytesUploaded: row.bytesUploaded,
    bytesDownloaded: row.bytesDownloaded,
  }
}

/** The order of shares everywhere: when they were added, then infohash bytes. */
export function compareShares(a: ShareRow, b: ShareRow): number {
  return a.addedAt - b.addedAt || compareBytes(a.infohash, b.infohash)
}
