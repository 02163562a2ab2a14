/**
 * {@link nextEvent}: await an event in place of polling for the state it
 * changes. Runner-agnostic and runtime-neutral (no `node:*`).
 * @module
 */

import type { DownloadEvents, NodeEvents } from '../events.js'
import type { Download } from '../handles.js'
import type { MycelNode } from '../node.js'

/** What emits events: an emitter with `on` and `off` (Node's `EventEmitter`, ...). */
export interface EventSource {
  on(event: string, listener: (...args: unknown[]) => void): unknown
  off(event: string, listener: (...args: unknown[]) => void): unknown
}

/** Options of {@link nextEvent}. */
export interface NextEventOptions<Args extends readonly unknown[]> {
  /** Waits for an event whose arguments pass this test (default: the next event of that name). */
  filter?: (...args: Args) => boolean
  /** Stops waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Stops waiting after this many real milliseconds: the promise rejects
   * with an Error that names the event (default: waits as long as it takes;
   * the test runner's timeout bounds it).
   */
  timeoutMs?: number
}

/**
 * Resolves with the arguments of the next `event` that `emitter` emits (and
 * that passes `filter`), as Node's `events.once` does; the listener is gone
 * once it settles. Listen before you act: an event emitted before the call
 * is not seen.
 *
 * @param emitter - what emits the event
 * @param event - the event's name
 * @param options - a filter on its arguments, an abort signal, a timeout
 * @returns the event's arguments
 * @throws (rejects) the signal's reason when `signal` aborts; an Error when `timeoutMs` passes; what `filter` throws
 *
 * @example
 * ```ts
 * const download = leecher.download(magnet, { peers })
 * const [progress] = await nextEvent(download, 'progress', { filter: (p) => p.piecesVerified >= 4 })
 * const [peer] = await nextEvent(node, 'peer-connected', { timeoutMs: 10_000 })
 * ```
 */
export function nextEvent<E extends keyof NodeEvents>(
  emitter: MycelNode,
  event: E,
  options?: NextEventOptions<Parameters<NodeEvents[E]>>,
): Promise<Parameters<NodeEvents[E]>>
export function nextEvent<E extends keyof DownloadEvents>(
  emitter: Download,
  event: E,
  options?: NextEventOptions<Parameters<DownloadEvents[E]>>,
): Promise<Parameters<DownloadEvents[E]>>
export function nextEvent<T extends EventSource>(
  emitter: T extends MycelNode | Download ? never : T,
  event: string,
  options?: NextEventOptions<unknown[]>,
): Promise<unknown[]>
export function nextEvent(
  emitter: EventSource,
  event: string,
  options: NextEventOptions<unknown[]> = {},
): Promise<unknown[]> {
  const { filter, signal, timeoutMs } = options
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = (): void => {
      emitter.off(event, listener)
      signal?.removeEventListener('abort', onAbort)
      if (timer !== undefined) clearTimeout(timer)
    }
    const listener = (...args: unknown[]): void => {
      try {
        if (filter !== undefined && !filter(...args)) return
      } catch (error) {
        finish()
        reject(error)
        return
      }
      finish()
      resolve(args)
    }
    const onAbort = (): void => {
      finish()
      reject(signal?.reason)
    }
    emitter.on(event, listener)
    signal?.addEventListener('abort', onAbort, { once: true })
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        finish()
        reject(new Error(`no '${event}' event within ${timeoutMs} ms`))
      }, timeoutMs)
    }
  })
}
