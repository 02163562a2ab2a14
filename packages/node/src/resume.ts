import type { Manifest } from '@mycel/pieces'
import type { ShareRecord, StateStore } from '@mycel/store'

/** How a node brings back what it shared and downloaded before a restart. @internal */
export interface ResumeHandlers {
  /** Seeds a share again from where its files are (`record.contentPath`). */
  seed(manifest: Manifest, record: ShareRecord): Promise<void>
  /** Resumes a download (the verified pieces are in the state store). */
  download(infohash: Uint8Array, name: string, contentPath: string): void
}

/**
 * Resumes the shares recorded in the state store: seeds that are complete,
 * and downloads that were active when the node stopped (or crashed). Paused
 * downloads and shares in error wait for the app. A seed whose files are
 * gone is marked in error instead of failing the start.
 * @internal
 */
export async function resumeShares(state: StateStore, handlers: ResumeHandlers): Promise<void> {
  for (const record of await state.listShares({ status: ['active', 'complete'] })) {
    // A download of some files is complete with pieces missing: it resumes as a download, never as a
    // seed of the whole share.
    const partial = record.pieceCount !== undefined && record.verifiedPieces < record.pieceCount
    if (record.role === 'download' && (record.status === 'active' || partial)) {
      handlers.download(record.infohash, record.name, record.contentPath)
      continue
    }
    const manifest = await state.getManifest(record.infohash)
    if (manifest === undefined) continue
    try {
      await handlers.seed(manifest, record)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      await state.updateShare(record.infohash, { status: 'error', lastError: message })
    }
  }
}
