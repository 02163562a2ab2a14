import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import type { Background, Sandbox } from './helpers.js'

/** A `mycel daemon` process started by a test. */
export interface TestDaemon {
  process: Background
  dataDir: string
  /** `http://127.0.0.1:<port>` */
  url: string
  token: string
  /** The node's peer address, `tcp://127.0.0.1:<port>`. */
  peerAddress: string
}

/** What a JSON-RPC call answered. */
export interface RpcAnswer {
  status: number
  body: { result?: unknown; error?: { code: number; message: string; data?: { code: string; hint: string } } }
}

/**
 * Starts `mycel daemon` on 127.0.0.1 (a free HTTP port, no DHT) and waits until it serves.
 *
 * @param sandbox - the test file's sandbox
 * @param dataDir - its data folder
 * @param extra - more options of `daemon`
 */
export async function startDaemon(sandbox: Sandbox, dataDir: string, extra: string[] = []): Promise<TestDaemon> {
  const process = sandbox.start([
    '--data-dir',
    dataDir,
    '--host',
    '127.0.0.1',
    '--bootstrap',
    'none',
    '--json',
    'daemon',
    '--listen',
    '127.0.0.1:0',
    ...extra,
  ])
  const started = await process.waitFor('daemon')
  const token = (await readFile(join(dataDir, 'daemon.token'), 'utf8')).trim()
  const addresses = started.addresses as string[]
  return { process, dataDir, url: String(started.url), token, peerAddress: addresses[0] as string }
}

/**
 * Calls a JSON-RPC method over HTTP with the daemon's token.
 *
 * @param daemon - the daemon
 * @param method - the method
 * @param params - its params
 * @param headers - more (or other) headers
 */
export async function rpc(
  daemon: TestDaemon,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = { authorization: `Bearer ${daemon.token}` },
): Promise<RpcAnswer> {
  const response = await fetch(`${daemon.url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
  })
  return { status: response.status, body: (await response.json()) as RpcAnswer['body'] }
}

/** Calls a method and returns its result, failing the test on an error. */
export async function call<T = unknown>(daemon: TestDaemon, method: string, params: Record<string, unknown> = {}) {
  const answer = await rpc(daemon, method, params)
  if (answer.body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(answer.body.error)}`)
  return answer.body.result as T
}

/** Notifications a WebSocket received, and a way to await one. */
export class Notifications {
  readonly received: { method: string; params: Record<string, unknown> }[] = []
  private readonly waiters = new Set<() => void>()

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { method?: string; params?: Record<string, unknown> }
      if (message.method !== undefined) this.received.push({ method: message.method, params: message.params ?? {} })
      for (const wake of this.waiters) wake()
    })
  }

  /** Opens the daemon's WebSocket with its token. */
  static open(daemon: TestDaemon): Promise<Notifications> {
    const socket = new WebSocket(`${daemon.url.replace('http', 'ws')}/ws`, {
      headers: { authorization: `Bearer ${daemon.token}` },
    })
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new Notifications(socket)))
      socket.once('error', reject)
    })
  }

  /** Waits for a notification that `match` accepts. */
  waitFor(
    match: (notification: { method: string; params: Record<string, unknown> }) => boolean,
    timeoutMs = 30_000,
  ): Promise<{ method: string; params: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(match)
        if (found === undefined) return
        this.waiters.delete(check)
        clearTimeout(timer)
        resolve(found)
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`no such notification in ${timeoutMs} ms: ${JSON.stringify(this.received.slice(-5))}`))
      }, timeoutMs)
      this.waiters.add(check)
      check()
    })
  }

  close(): void {
    this.socket.close()
  }
}

/**
 * Whether a WebSocket upgrade is refused, and with which HTTP status.
 *
 * @param url - `ws://...`
 * @param headers - the upgrade's headers
 * @returns the status of the refusal, or 101 when it opened
 */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    socket.once('open', () => {
      socket.close()
      resolve(101)
    })
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0)
      socket.terminate()
    })
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}
