import { afterEach, describe, expect, it, vi } from 'vitest'

/** How many times the `ws` package was loaded (its mock factory runs once, on the first import). */
const loads = vi.hoisted(() => ({ count: 0 }))
vi.mock('ws', async (importOriginal) => {
  loads.count++
  return importOriginal()
})

import { tcpTransport } from '../src/node/tcp.js'
// the package entry point (`@mycel/transport/ws`), as a node imports it
import { webSocketTransport } from '../src/ws.js'

describe('the ws package is loaded only when a WebSocket is used', () => {
  const open: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    for (const one of open.splice(0)) await one.close()
  })

  it('is not loaded by creating the transport, nor by a node that only uses TCP', async () => {
    const ws = webSocketTransport()
    const tcp = tcpTransport()
    open.push(ws, tcp)
    const listener = await tcp.listen('tcp://127.0.0.1:0')
    open.push(listener)
    const stream = await tcp.dial(listener.addresses[0] as string)
    await stream.close()
    expect(loads.count).toBe(0)
  })

  it('is loaded by the first listen, once, and then serves a dial', async () => {
    const ws = webSocketTransport()
    open.push(ws)
    const listener = await ws.listen('ws://127.0.0.1:0/mycel', { onConnection: (stream) => void stream.close() })
    open.push(listener)
    expect(loads.count).toBe(1)
    const stream = await ws.dial(listener.addresses[0] as string)
    await stream.close()
    expect(loads.count).toBe(1)
  })
})
