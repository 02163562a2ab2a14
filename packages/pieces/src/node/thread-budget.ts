/**
 * The worker threads that the ingests of one process run, counted together:
 * the encryption workers of private shares (`encrypt-workers.ts`) and the
 * file workers of large folders (`file-workers.ts`). Each ingest takes up to
 * what it wants, fewer when other ingests hold some, and waits while none
 * is free. So a daemon asked for many shares at once starts at most
 * {@link MAX_INGEST_THREADS} threads, not a few per share.
 * @module
 * @internal
 */
import { abortError, onAbort, throwIfAborted } from '@mycel/wire/signal'
import { PiecesError } from '../errors.js'

/** Worker threads that all the ingests of this process may run at once. */
export const MAX_INGEST_THREADS = 4

interface Waiter {
  readonly wanted: number
  readonly resolve: (granted: number) => void
  unlisten: () => void
}

let inUse = 0
/** Ingests waiting for a thread, first come first served. */
const waiting: Waiter[] = []

function grant(wanted: number): number {
  const granted = Math.min(wanted, MAX_INGEST_THREADS - inUse)
  inUse += granted
  return granted
}

/**
 * Takes between 1 and `wanted` worker threads from the process's budget,
 * waiting while none is free (and while earlier callers wait). Give them
 * back with {@link giveThreads} once the workers have ended.
 *
 * @param wanted - threads the ingest would use, at least 1
 * @param signal - stops waiting: rejects with `PiecesError('ABORTED')` and takes nothing
 * @returns how many threads were taken: at least 1, at most `wanted` and {@link MAX_INGEST_THREADS}
 * @throws RangeError (a rejection) when `wanted` is not a positive integer
 */
export async function takeThreads(wanted: number, signal?: AbortSignal): Promise<number> {
  if (!Number.isSafeInteger(wanted) || wanted < 1) throw new RangeError('wanted must be a positive integer')
  throwIfAborted(signal, PiecesError)
  if (waiting.length === 0 && inUse < MAX_INGEST_THREADS) return grant(wanted)
  return new Promise<number>((resolve, reject) => {
    const waiter: Waiter = { wanted, resolve, unlisten: () => {} }
    waiting.push(waiter)
    waiter.unlisten = onAbort(signal, () => {
      waiting.splice(waiting.indexOf(waiter), 1)
      reject(abortError(signal as AbortSignal, PiecesError))
    })
  })
}

/**
 * Gives back threads taken with {@link takeThreads}, and hands them to the
 * ingests waiting for them.
 *
 * @param count - what {@link takeThreads} returned
 */
export function giveThreads(count: number): void {
  inUse = Math.max(0, inUse - count)
  while (waiting.length > 0 && inUse < MAX_INGEST_THREADS) {
    const waiter = waiting.shift() as Waiter
    waiter.unlisten()
    waiter.resolve(grant(waiter.wanted))
  }
}

/** Threads taken now, by all ingests (for tests). */
export function threadsInUse(): number {
  return inUse
}
