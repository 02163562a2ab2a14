/**
 * The WebSocket transport: in Node it uses the `ws` package and can listen;
 * in browsers (the `browser` export condition) the platform `WebSocket`,
 * dial only. Addresses are `ws://host:port/path` and `wss://host[:port]/path`.
 *
 * @example
 * ```ts
 * import { webSocketTransport } from '@mycel/transport/ws'
 *
 * const ws = webSocketTransport()
 * const listener = await ws.listen('ws://127.0.0.1:0/mycel')
 * const stream = await ws.dial(listener.addresses[0] as string)
 * ```
 *
 * @packageDocumentation
 */

export { MAX_HELD_BYTES } from './message-stream.js'
export {
  type NodeWebSocketClient,
  openNodeWebSocket,
  type WebSocketConstructor,
  type WebSocketTransportOptions,
  webSocketTransport,
} from './node/ws.js'
export type { WebSocketLike } from './websocket/stream.js'
