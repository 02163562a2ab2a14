import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { TransportError } from '../src/errors.js'
import { MAX_HELD_BYTES } from '../src/message-stream.js'
import type { ByteSink } from '../src/stream.js'
import { DataChannelStream } from '../src/webrtc/stream.js'
import type { RtcDataChannelLike, RtcPeerConnectionLike } from '../src/webrtc/types.js'
import { type WebSocketLike, WebSocketStream } from '../src/websocket/stream.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A sink that records what reaches it, in order, and pauses the stream at its first chunk. */
function pausingSink(pause: () => void): {
  sink: ByteSink
  events: string[]
  firstData: Promise<void>
  closed: Promise<Error | undefined>
} {
  const events: string[] = []
  let closed!: (error: Error | undefined) => void
  let firstData!: () => void
  const sink: ByteSink = {
    onData(chunk) {
      events.push(decoder.decode(chunk))
      pause()
      firstData()
    },
    onEnd: () => events.push('<end>'),
    onDrain: () => {},
    onClose(error) {
      events.push('<close>')
      closed(error)
    },
  }
  return {
    sink,
    events,
    firstData: new Promise((resolve) => (firstData = resolve)),
    closed: new Promise((resolve) => (closed = resolve)),
  }
}

/** Whether `promise` has settled, seen after the microtasks queued so far have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(() => (done = true))
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

describe('WebSocketStream over a Node ws socket', () => {
  const servers: WebSocketServer[] = []
  afterEach(async () => {
    for (const server of servers) for (const client of server.clients) client.terminate()
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
  })

  /**
   * A `ws` server on 127.0.0.1 whose one connection is wrapped in a
   * WebSocketStream (Node extras on), and a raw `ws` client that sends
   * binary messages 'a', 'b' and the end marker in one TCP segment, so the
   * stream, paused by its sink at 'a', holds 'b' and the end.
   */
  async function pausedWithHeld(options: { alsoClose: boolean }) {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    servers.push(server)
    await new Promise((resolve) => server.once('listening', resolve))
    const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve))
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`)
    client.on('error', () => {})
    await new Promise((resolve) => client.once('open', resolve))
    const socket = await accepted
    const stream = new WebSocketStream(socket as unknown as WebSocketLike, undefined, {
      highWaterMark: 1024 * 1024,
      nodeExtras: true,
    })
    const recorded = pausingSink(() => stream.pause())
    stream.start(recorded.sink)
    const raw = (client as unknown as { _socket: import('node:net').Socket })._socket
    raw.cork()
    client.send(encoder.encode('a'))
    client.send(encoder.encode('b'))
    client.send(new Uint8Array(0))
    if (options.alsoClose) client.close(1000)
    raw.uncork()
    // 'b' and the end marker came in the same read as 'a': the sink paused at 'a', so they are held.
    await recorded.firstData
    return { stream, socket, client, ...recorded }
  }

  it('close() while paused with messages held settles once the socket closes, and delivers nothing more', async () => {
    const { stream, socket, events } = await pausedWithHeld({ alsoClose: false })
    expect(events).toEqual(['a'])
    const closing = stream.close()
    // The remote answers our close frame: the socket closes cleanly while the sink is still paused.
    await new Promise((resolve) => socket.once('close', resolve))
    expect(await settled(closing)).toBe(true)
    stream.resume()
    expect(events).toEqual(['a', '<close>'])
  })

  it('close() after the socket closed cleanly while paused settles at once, and delivers nothing more', async () => {
    const { stream, socket, events } = await pausedWithHeld({ alsoClose: true })
    if (socket.readyState !== WebSocket.CLOSED) await new Promise((resolve) => socket.once('close', resolve))
    // The stream waits for resume() to deliver 'b' and the end: close() instead drops them.
    expect(events).toEqual(['a'])
    expect(await settled(stream.close())).toBe(true)
    stream.resume()
    expect(events).toEqual(['a', '<close>'])
  })

  it('resume() after close(), before the socket has closed, delivers nothing held', async () => {
    const { stream, socket, events } = await pausedWithHeld({ alsoClose: false })
    const closing = stream.close()
    stream.resume()
    expect(events).toEqual(['a'])
    await new Promise((resolve) => socket.once('close', resolve))
    await closing
    expect(events).toEqual(['a', '<close>'])
  })
})

/** An open data channel and its peer connection that the test drives by hand. */
class FakeDataChannel extends EventTarget {
  binaryType = 'blob'
  readyState = 'open'
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
  readonly sent: Array<Uint8Array | string> = []
  send(data: Uint8Array | string): void {
    this.sent.push(data)
  }
  close(): void {
    if (this.readyState === 'closed') return
    this.readyState = 'closed'
    this.dispatchEvent(new Event('close'))
  }
  message(data: ArrayBuffer | string): void {
    this.dispatchEvent(Object.assign(new Event('message'), { data }))
  }
}

class FakePeerConnection extends EventTarget {
  readonly localDescription = null
  readonly iceGatheringState = 'complete'
  connectionState = 'connected'
  close(): void {
    this.connectionState = 'closed'
  }
}

/** A data channel stream over a fake channel the test drives by hand. */
function dataChannelStream(): { channel: FakeDataChannel; stream: DataChannelStream } {
  const channel = new FakeDataChannel()
  const stream = new DataChannelStream(
    new FakePeerConnection() as unknown as RtcPeerConnectionLike,
    channel as unknown as RtcDataChannelLike,
    undefined,
    { highWaterMark: 1024 * 1024 },
  )
  return { channel, stream }
}

describe('DataChannelStream', () => {
  it('resume() after close(), before the channel has closed, delivers nothing held', async () => {
    const { channel, stream } = dataChannelStream()
    const { sink, events, closed } = pausingSink(() => stream.pause())
    stream.start(sink)
    channel.message(encoder.encode('a').buffer as ArrayBuffer)
    channel.message(encoder.encode('b').buffer as ArrayBuffer)
    channel.message('end')
    const closing = stream.close()
    // Our end marker went; the remote has not acknowledged it yet, so the channel is still open.
    expect(channel.sent).toContain('end')
    stream.resume()
    expect(events).toEqual(['a'])
    // The remote acknowledges our end; its own end (held when close() was called) counts.
    channel.message('ack')
    await closing
    expect(await closed).toBeUndefined()
    expect(events).toEqual(['a', '<close>'])
  })

  it('holds at most MAX_HELD_BYTES while paused, then resets with CONNECTION_RESET', async () => {
    const { channel, stream } = dataChannelStream()
    const { sink, events, closed } = pausingSink(() => stream.pause())
    stream.start(sink)
    channel.message(encoder.encode('a').buffer as ArrayBuffer)
    const message = new ArrayBuffer(64 * 1024)
    for (let held = 0; held < MAX_HELD_BYTES; held += message.byteLength) channel.message(message)
    expect(stream.closed).toBe(false)
    channel.message(new ArrayBuffer(1))
    expect(((await closed) as TransportError).code).toBe('CONNECTION_RESET')
    expect(events).toEqual(['a', '<close>'])
    expect(channel.readyState).toBe('closed')
  })
})

/**
 * A WebSocket the test drives by hand: `message` and `closeEvent` stand for
 * the remote; with `node`, it has the `ws` package's extras, and like `ws`
 * its `terminate()` does nothing once it has closed.
 */
class FakeWebSocket extends EventTarget {
  binaryType = 'blob'
  bufferedAmount = 0
  readyState = 1
  readonly closedWith: Array<number | undefined> = []
  send(_data: Uint8Array, callback?: (error?: Error) => void): void {
    callback?.()
  }
  close(code?: number): void {
    this.closedWith.push(code)
    if (this.readyState === 1) this.readyState = 2
  }
  pause(): void {}
  resume(): void {}
  terminate(): void {}
  message(data: ArrayBuffer | string): void {
    this.dispatchEvent(Object.assign(new Event('message'), { data }))
  }
  closeEvent(code: number): void {
    this.readyState = 3
    this.dispatchEvent(Object.assign(new Event('close'), { code }))
  }
}

describe('WebSocketStream', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('close() of a ws socket that closed already settles at the graceful bound (terminate does nothing)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const socket = new FakeWebSocket()
    const stream = new WebSocketStream(socket as unknown as WebSocketLike, undefined, {
      highWaterMark: 1024 * 1024,
      nodeExtras: true,
    })
    const { sink, closed } = pausingSink(() => stream.pause())
    stream.start(sink)
    // The socket went away without a close event reaching the stream (none comes again after terminate()).
    socket.readyState = 3
    const closing = stream.close()
    await vi.advanceTimersByTimeAsync(5000)
    expect(await settled(closing)).toBe(true)
    expect(await closed).toBeUndefined()
  })

  for (const nodeExtras of [false, true]) {
    it(`holds at most MAX_HELD_BYTES while paused, then resets with CONNECTION_RESET (${nodeExtras ? 'ws' : 'browser'} socket)`, async () => {
      const socket = new FakeWebSocket()
      const terminated = vi.spyOn(socket, 'terminate')
      const stream = new WebSocketStream(socket as unknown as WebSocketLike, undefined, {
        highWaterMark: 1024 * 1024,
        nodeExtras,
      })
      const { sink, events, closed } = pausingSink(() => stream.pause())
      stream.start(sink)
      socket.message(encoder.encode('a').buffer as ArrayBuffer)
      expect(events).toEqual(['a'])
      // The remote sends on past our pause, 1 MiB messages (the largest WebSocket message we take).
      const message = new ArrayBuffer(1024 * 1024)
      for (let held = 0; held < MAX_HELD_BYTES; held += message.byteLength) socket.message(message)
      expect(stream.closed).toBe(false)
      socket.message(new ArrayBuffer(1))
      expect(stream.closed).toBe(true)
      const error = await closed
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).code).toBe('CONNECTION_RESET')
      expect(events).toEqual(['a', '<close>'])
      if (nodeExtras) expect(terminated).toHaveBeenCalled()
      else expect(socket.closedWith).toEqual([4000])
    })
  }

  it('fails with CONNECTION_RESET, given to the sink, when the remote sends a text message', async () => {
    const socket = new FakeWebSocket()
    const stream = new WebSocketStream(socket as unknown as WebSocketLike, undefined, {
      highWaterMark: 1024 * 1024,
      nodeExtras: false,
    })
    const { sink, closed } = pausingSink(() => stream.pause())
    stream.start(sink)
    socket.message('hello')
    expect(((await closed) as TransportError).code).toBe('CONNECTION_RESET')
    expect(socket.closedWith).toEqual([4000])
  })
})
