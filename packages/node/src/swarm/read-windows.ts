import type { Manifest } from '@mycel/pieces'
import type { ReadWindow } from './environment.js'

/** A run of pieces, `end` exclusive. @internal */
export interface PieceRange {
  readonly start: number
  readonly end: number
}

/**
 * The pieces under each streaming reader's window: from the piece of its
 * position to the piece of `position + readAhead` (at most its `end`), in
 * its file. Readers of paths the share does not have, and empty files, add
 * nothing.
 * @internal
 */
export function windowRanges(manifest: Manifest, readers: Iterable<ReadWindow>): PieceRange[] {
  const ranges: PieceRange[] = []
  for (const window of readers) {
    const file = manifest.files.find(
      (f) => f.path.join('/') === window.path || (manifest.singleFile && window.path === ''),
    )
    if (file === undefined || file.pieceCount === 0) continue
    const last = Math.min(window.end, window.position + window.readAhead)
    const start = file.firstPiece + Math.floor(window.position / manifest.pieceLength)
    const end = Math.min(
      file.firstPiece + file.pieceCount,
      file.firstPiece + Math.floor(last / manifest.pieceLength) + 1,
    )
    if (start < end) ranges.push({ start, end })
  }
  return ranges
}

/**
 * Wakes whoever waits for the next change (streaming readers waiting for a
 * piece): `next()` resolves at the following `wakeAll()`, or rejects when
 * its signal aborts.
 * @internal
 */
export class Changes {
  private readonly waiters = new Set<() => void>()

  /** Resolves at the next {@link Changes.wakeAll}; rejects with the signal's reason when it aborts first. */
  next(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        this.waiters.delete(wake)
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        this.waiters.delete(wake)
        reject(signal?.reason)
      }
      this.waiters.add(wake)
      if (signal?.aborted) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Resolves every waiting `next()`. */
  wakeAll(): void {
    for (const wake of [...this.waiters]) wake()
  }
}
