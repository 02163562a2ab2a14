import * as vitest from 'vitest'
import { WebSocket } from 'ws'
import { combineTransports } from '../src/index.js'
import { transportCompliance } from '../src/testing.js'
import { type WebSocketConstructor, webSocketTransport } from '../src/ws.js'
import { webSocketTransport as browserWebSocketTransport } from '../src/ws-browser.js'

transportCompliance(vitest, 'ws (Node, ws package)', () => ({
  transport: webSocketTransport(),
  listenAddress: 'ws://127.0.0.1:0/mycel',
}))

// The browser build dials with whatever WHATWG WebSocket it is given; here the
// ws package's, which implements that API. Listening is done by the Node build.
transportCompliance(
  vitest,
  'ws (browser build dialling)',
  () => {
    const server = webSocketTransport()
    const browser = browserWebSocketTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor })
    const transport = combineTransports([browser])
    return {
      transport: {
        ...transport,
        listen: server.listen.bind(server),
        close: async () => {
          await browser.close()
          await server.close()
        },
      },
      listenAddress: 'ws://127.0.0.1:0/mycel',
    }
  },
  { largeTransferBytes: 4 * 1024 * 1024, concurrentConnections: 20 },
)
