/**
 * mycel in a web page: {@link createBrowserNode} makes the node core of
 * `@mycel/node/core` with browser parts (state in IndexedDB, shares' bytes
 * in OPFS or IndexedDB through {@link BrowserContent}, the browser's
 * WebSocket to reach Node peers). It downloads from Node peers that listen
 * on `ws://` or `wss://` (`mycel --ws <port>`), and serves what it holds to
 * the peers it is connected to. Bundle it with the `browser` export
 * condition (esbuild `--platform=browser`, vite and webpack do by default):
 * `@mycel/transport/ws` then resolves to the browser's WebSocket.
 *
 * @example
 * ```ts
 * import { createBrowserNode } from '@mycel/node/browser'
 *
 * const node = await createBrowserNode()
 * const download = node.download('magnet:?xt=urn:btmh:1220...', { peers: ['wss://seed.example.org/mycel'] })
 * await download.done()
 * ```
 *
 * @packageDocumentation
 */
export { BROWSER_INGEST_CHUNK, BrowserContent } from './browser/browser-content.js'
export { BROWSER_IDENTITY_KEY, type BrowserNodeOptions, createBrowserNode } from './browser/create-browser-node.js'
export { createReadableStream } from './browser/readable-stream.js'
export type { ReadStreamOptions } from './read-stream.js'
export type { WebRtcNodeOptions } from './signal/webrtc-wiring.js'
