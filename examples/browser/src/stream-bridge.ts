/**
 * The page's side of the streaming Service Worker: answers its requests for
 * files of shares from the page's mycel node, each a byte range read with
 * `createReadableStream` (the pieces under the range are fetched first, and
 * every byte handed out is verified).
 * @module
 */

import { createReadableStream } from '@mycel/node/browser'
import type { MycelNode } from '@mycel/node/core'
import {
  contentTypeOf,
  parseRange,
  type StreamChunk,
  type StreamHead,
  type StreamPull,
  type StreamRequest,
} from './stream-protocol.js'

/** A request the page answered: what it was, for a log. */
export interface AnsweredRequest {
  readonly path: string
  readonly status: number
  readonly start?: number
  readonly end?: number
}

/**
 * Registers the streaming Service Worker and waits until it controls the
 * page (the first load included: the worker claims its clients).
 * @param scriptUrl - the bundled `stream-sw.ts`, served from the page's folder or above it
 */
export async function registerStreamWorker(scriptUrl: string): Promise<void> {
  if (!('serviceWorker' in navigator))
    throw new Error('this browser has no Service Workers (a secure context is needed)')
  await navigator.serviceWorker.register(scriptUrl, { scope: './' })
  await navigator.serviceWorker.ready
  if (navigator.serviceWorker.controller !== null) return
  await new Promise<void>((resolve) =>
    navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }),
  )
}

/**
 * Answers the streaming worker's requests from `node` until the returned
 * function is called.
 * @param node - the page's node: the shares it downloads or seeds can be read
 * @param onAnswer - told of each request answered (its status and range)
 * @returns stops answering (streams already open go on)
 */
export function answerStreamRequests(node: MycelNode, onAnswer?: (request: AnsweredRequest) => void): () => void {
  const listener = (event: MessageEvent): void => {
    const request = event.data as StreamRequest | undefined
    const port = event.ports[0]
    if (request?.type !== 'mycel-stream' || port === undefined) return
    answer(node, request, port)
      .then((head) =>
        onAnswer?.({
          path: request.path,
          status: head.status,
          ...(head.type === 'head' ? { start: head.start, end: head.end } : {}),
        }),
      )
      .catch(() => port.close())
  }
  navigator.serviceWorker.addEventListener('message', listener)
  navigator.serviceWorker.startMessages()
  return () => navigator.serviceWorker.removeEventListener('message', listener)
}

async function answer(node: MycelNode, request: StreamRequest, port: MessagePort): Promise<StreamHead> {
  const head = await headOf(node, request)
  port.postMessage(head)
  if (head.type === 'fail') {
    port.close()
    return head
  }
  const reader = createReadableStream(node, request.infohash, request.path, {
    start: head.start,
    end: head.end,
  }).getReader()
  port.onmessage = (event: MessageEvent<StreamPull>) => {
    if (event.data.type === 'cancel') {
      port.close()
      reader.cancel().catch(() => undefined)
      return
    }
    reader.read().then(
      (next) => {
        if (next.done) {
          port.postMessage({ type: 'done' } satisfies StreamChunk)
          port.close()
        } else {
          // A copy of its own, so that the buffer moves to the worker without taking others' bytes with it.
          const bytes = next.value.slice()
          port.postMessage({ type: 'chunk', bytes } satisfies StreamChunk, [bytes.buffer])
        }
      },
      (error: unknown) => {
        port.postMessage({
          type: 'error',
          message: error instanceof Error ? error.message : String(error),
        } satisfies StreamChunk)
        port.close()
      },
    )
  }
  return head
}

/** The status and range of the answer: the file's size is in the share's manifest. */
async function headOf(node: MycelNode, request: StreamRequest): Promise<StreamHead> {
  let manifest: Awaited<ReturnType<MycelNode['getManifest']>>
  try {
    manifest = await node.getManifest(request.infohash)
  } catch (error) {
    return { type: 'fail', status: 404, message: error instanceof Error ? error.message : String(error) }
  }
  if (manifest === undefined) return { type: 'fail', status: 404, message: 'this page does not have the share (yet)' }
  const file = manifest.files.find(
    (f) => f.path.join('/') === request.path || (manifest.singleFile && request.path === manifest.name),
  )
  if (file === undefined) return { type: 'fail', status: 404, message: `the share has no file ${request.path}` }
  const size = file.length
  const contentType = contentTypeOf(request.path)
  const range = parseRange(request.range, size)
  if (range === 'unsatisfiable') return { type: 'fail', status: 416, message: 'range not satisfiable', size }
  if (range === undefined) return { type: 'head', status: 200, size, start: 0, end: size - 1, contentType }
  return { type: 'head', status: 206, size, ...range, contentType }
}
