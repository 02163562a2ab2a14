import { type ChildProcess, spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { WEBSOCKET_PROTOCOL } from '../src/websocket/browser-transport.js'

const child = fileURLToPath(new URL('./fixtures/fd-limit-child.ts', import.meta.url))
const opened: Array<{ destroy(): void }> = []
let running: ChildProcess | undefined
afterEach(() => {
  for (const socket of opened.splice(0)) socket.destroy()
  running?.kill('SIGKILL')
  running = undefined
})

/** Open file descriptors the child may have: enough to start Node, too few for the connections below. */
const FD_LIMIT = 100
const CONNECTIONS = 150

function tcpSocket(address: string): Promise<Socket | null> {
  const { hostname, port } = new URL(address)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) })
    opened.push(socket)
    socket.once('connect', () => resolve(socket))
    socket.once('error', () => resolve(null))
    setTimeout(() => resolve(null), 2000).unref()
  })
}

function wsSocket(address: string): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const socket = new WebSocket(address, WEBSOCKET_PROTOCOL)
    opened.push({ destroy: () => socket.terminate() })
    socket.once('open', () => resolve(socket))
    socket.once('error', () => resolve(null))
    socket.once('close', () => resolve(null))
    // Under exhaustion an upgrade may wait in the kernel's queue; give up on it.
    setTimeout(() => resolve(null), 2000).unref()
  })
}

/** Connects, sends a line and reads the echo; '' if the connection is dropped or silent for a second. */
async function echoOnce(address: string): Promise<string> {
  const socket = await tcpSocket(address)
  if (socket === null) return ''
  socket.write('still here')
  return new Promise((resolve) => {
    socket.once('data', (data) => resolve(String(data)))
    socket.once('close', () => resolve(''))
    setTimeout(() => resolve(''), 1000).unref()
  })
}

/** Tries `attempt` until it returns true, for at most five seconds. */
async function eventually(attempt: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    if (await attempt()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

describe('listeners under file descriptor exhaustion', () => {
  it('a failed accept (EMFILE) does not crash the process; the listeners serve again once descriptors free up', async () => {
    const peer = spawn(
      'bash',
      ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" --import tsx "$1"`, process.execPath, child],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    )
    running = peer
    let stderr = ''
    peer.stderr?.on('data', (data) => {
      stderr += String(data)
    })
    const exited = new Promise<number | null>((resolve) => peer.once('exit', (code) => resolve(code)))
    const lines = createInterface({ input: peer.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]()
    const addresses = JSON.parse((await lines.next()).value as string) as { tcp: string; ws: string }
    const ask = async (line: string): Promise<string> => {
      peer.stdin?.write(`${line}\n`)
      return (await lines.next()).value as string
    }

    // Far more connections than the child has descriptors: some accepts fail.
    await Promise.all(Array.from({ length: CONNECTIONS }, () => tcpSocket(addresses.tcp)))
    await Promise.all(Array.from({ length: 20 }, () => wsSocket(addresses.ws)))
    const heldAtPeak = Number(await ask('count'))
    expect(heldAtPeak).toBeGreaterThan(0)
    expect(heldAtPeak).toBeLessThan(CONNECTIONS)

    // Free the descriptors: the process is alive and both listeners accept
    // again. (A connection that comes while the child still closes the old
    // ones is accepted and closed at once by libuv's EMFILE handling, so retry.)
    for (const socket of opened.splice(0)) socket.destroy()
    expect(await eventually(async () => (await echoOnce(addresses.tcp)) === 'still here')).toBe(true)
    expect(await eventually(async () => (await wsSocket(addresses.ws)) !== null)).toBe(true)
    for (const socket of opened.splice(0)) socket.destroy()

    peer.stdin?.end('close\n')
    expect(await exited).toBe(0)
    expect(stderr).not.toMatch(/EMFILE|Unhandled|Error/)
  })
})
