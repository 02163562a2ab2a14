/**
 * The browser build of `@mycel/transport/ws` (selected by the `browser`
 * export condition): the platform `WebSocket`, dial only. Same API as the
 * Node build.
 *
 * @example
 * ```ts
 * import { webSocketTransport } from '@mycel/transport/ws'
 *
 * const stream = await webSocketTransport().dial('wss://seed.example.org/mycel')
 * ```
 *
 * @packageDocumentation
 */

export { MAX_HELD_BYTES } from './message-stream.js'
export {
  browserWebSocketTransport as webSocketTransport,
  type WebSocketConstructor,
  type WebSocketTransportOptions,
} from './websocket/browser-transport.js'
export type { WebSocketLike } from './websocket/stream.js'
