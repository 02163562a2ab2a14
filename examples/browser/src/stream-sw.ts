/**
 * The streaming Service Worker: answers fetches of `stream/<infohash>/<path>`
 * (under its scope) from the mycel node of the page that made them, so that
 * a `<video src>` plays a share while it downloads and seeks with HTTP Range
 * requests, in any container the browser plays. The worker holds no node and
 * no bytes: it asks the page over a `MessageChannel` (see
 * `stream-protocol.ts`, and `stream-bridge.ts` for the page's side) and pulls
 * the body chunk by chunk. Bundle it as a script of its own and serve it
 * from the page's folder (see docs/browser.md).
 */

import {
  STREAM_FOLDER,
  type StreamChunk,
  type StreamHead,
  type StreamPull,
  type StreamRequest,
} from './stream-protocol.js'

/** The parts of a Service Worker's global scope this uses (the DOM library types the rest of the page). */
interface WorkerScope {
  readonly registration: { readonly scope: string }
  readonly location: Location
  readonly clients: {
    get(id: string): Promise<WorkerClient | undefined>
    matchAll(options: { type: 'window' }): Promise<readonly WorkerClient[]>
    claim(): Promise<void>
  }
  skipWaiting(): Promise<void>
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void
}
interface WorkerClient {
  postMessage(message: unknown, transfer: Transferable[]): void
}
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request
  readonly clientId: string
  respondWith(response: Promise<Response>): void
}

/** How long the page has to say whether it has the file. */
const HEAD_TIMEOUT_MS = 30_000

const worker = globalThis as unknown as WorkerScope
const folder = new URL(STREAM_FOLDER, worker.registration.scope).pathname

worker.addEventListener('install', (event) => event.waitUntil(worker.skipWaiting()))
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()))
worker.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  if (url.origin !== worker.location.origin || !url.pathname.startsWith(folder)) return
  event.respondWith(
    answer(event, url).catch(
      (error: unknown) => new Response(error instanceof Error ? error.message : String(error), { status: 502 }),
    ),
  )
})

async function answer(event: FetchEvent, url: URL): Promise<Response> {
  const [infohash = '', ...rest] = url.pathname.slice(folder.length).split('/')
  const path = rest.map((part) => decodeURIComponent(part)).join('/')
  if (!/^[0-9a-f]{64}$/i.test(infohash) || path === '') return new Response('not a file of a share', { status: 404 })
  // The page that asked (a `<video>` of it); a tab that opened the URL itself has no node: any page of ours then.
  const client =
    (event.clientId !== '' ? await worker.clients.get(event.clientId) : undefined) ??
    (await worker.clients.matchAll({ type: 'window' }))[0]
  if (client === undefined) return new Response('no page of this site is open to read the share', { status: 503 })
  const channel = new MessageChannel()
  const port = channel.port1
  const heard = new Promise<StreamHead>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the page did not answer')), HEAD_TIMEOUT_MS)
    port.onmessage = (message: MessageEvent<StreamHead>) => {
      clearTimeout(timer)
      resolve(message.data)
    }
  })
  const request: StreamRequest = { type: 'mycel-stream', infohash, path, range: event.request.headers.get('range') }
  client.postMessage(request, [channel.port2])
  const head = await heard.catch((error: unknown) => {
    port.close()
    throw error
  })
  if (head.type === 'fail') {
    return new Response(head.message, {
      status: head.status,
      headers: head.size === undefined ? {} : { 'content-range': `bytes */${head.size}` },
    })
  }
  const headers: Record<string, string> = {
    'content-type': head.contentType,
    'content-length': String(head.end - head.start + 1),
    'accept-ranges': 'bytes',
  }
  if (head.status === 206) headers['content-range'] = `bytes ${head.start}-${head.end}/${head.size}`
  return new Response(body(port), { status: head.status, headers })
}

/** The response's body: each read of the player pulls one chunk from the page. */
function body(port: MessagePort): ReadableStream<Uint8Array> {
  let waiting: { resolve: () => void; controller: ReadableStreamDefaultController<Uint8Array> } | undefined
  port.onmessage = (message: MessageEvent<StreamChunk>) => {
    const pending = waiting
    waiting = undefined
    if (pending === undefined) return
    const chunk = message.data
    if (chunk.type === 'chunk') pending.controller.enqueue(chunk.bytes)
    else if (chunk.type === 'done') {
      pending.controller.close()
      port.close()
    } else {
      pending.controller.error(new Error(chunk.message))
      port.close()
    }
    pending.resolve()
  }
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          waiting = { resolve, controller }
          port.postMessage({ type: 'pull' } satisfies StreamPull)
        })
      },
      cancel() {
        port.postMessage({ type: 'cancel' } satisfies StreamPull)
        port.close()
      },
    },
    { highWaterMark: 0 },
  )
}
