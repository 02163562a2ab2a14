import { WebSocket } from 'ws'
import { CliError, type CliErrorCode } from '../errors.js'
import { processAlive, readDaemonFile } from './lock.js'
import { RPC_PATH, type RpcResponse, WS_PATH } from './protocol.js'
import { readToken } from './token.js'

/** How long a call waits for the daemon to answer. */
const DEFAULT_TIMEOUT_MS = 60_000

/** A notification from the daemon. */
export interface DaemonNotification {
  method: string
  params: Record<string, unknown>
}

function failed(message: string, cause?: unknown): CliError {
  return new CliError('CONTROL_FAILED', `the mycel daemon did not answer: ${message}`, 'try again', { cause })
}

/**
 * A client of the daemon of a data folder: JSON-RPC over HTTP, and
 * notifications over the WebSocket. It finds the daemon through
 * `daemon.json` and authenticates with `daemon.token`.
 */
export class DaemonClient {
  private nextId = 1

  private constructor(
    /** `http://host:port` of the daemon. */
    readonly url: string,
    private readonly token: string,
  ) {}

  /**
   * Connects to the daemon of a data folder, if one runs. A `daemon.json`
   * left by a daemon that died is ignored without a request (its port may
   * serve another program now, which must not be sent the token), and so is
   * a daemon that answers with another pid.
   *
   * @param dataDir - the data folder
   * @returns a client, or undefined when no daemon answers for the folder
   * @throws {@link CliError} when a daemon answers but refuses (a token this user cannot read)
   */
  static async connect(dataDir: string): Promise<DaemonClient | undefined> {
    const file = await readDaemonFile(dataDir)
    if (file === undefined || file.url === '' || !processAlive(file.pid)) return undefined
    const token = await readToken(dataDir)
    if (token === undefined) return undefined
    const client = new DaemonClient(file.url, token)
    try {
      const hello = (await client.call('hello', {}, { timeoutMs: 5_000 })) as { pid?: unknown }
      return hello.pid === file.pid ? client : undefined
    } catch (error) {
      if (error instanceof CliError && error.code === 'CONTROL_FAILED') return undefined // a daemon that died
      throw error
    }
  }

  /**
   * Calls a method.
   *
   * @param method - its name (docs/daemon.md)
   * @param params - its params
   * @param options - how long to wait
   * @returns its result
   * @throws {@link CliError} with the daemon's stable code, or `CONTROL_FAILED`
   */
  async call(method: string, params: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<unknown> {
    const id = this.nextId++
    let response: Response
    try {
      response = await fetch(`${this.url}${RPC_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method, params, id }),
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      })
    } catch (error) {
      throw failed(error instanceof Error ? error.message : String(error), error)
    }
    let answer: RpcResponse
    try {
      answer = (await response.json()) as RpcResponse
    } catch (error) {
      throw failed('its answer is not JSON', error)
    }
    if ('error' in answer) {
      const { message, data } = answer.error
      throw new CliError((data?.code ?? 'INTERNAL') as CliErrorCode, message, data?.hint ?? '')
    }
    if (answer.id !== id) throw failed('its answer is for another request')
    return answer.result
  }

  /**
   * Opens the notification WebSocket.
   *
   * @param onNotification - called for each notification
   * @returns the socket, open; close it when done
   * @throws {@link CliError} `CONTROL_FAILED` when it cannot be opened
   */
  subscribe(onNotification: (notification: DaemonNotification) => void): Promise<WebSocket> {
    const socket = new WebSocket(`${this.url.replace(/^http/, 'ws')}${WS_PATH}`, {
      headers: { authorization: `Bearer ${this.token}` },
    })
    socket.on('message', (data, isBinary) => {
      if (isBinary) return
      try {
        const message = JSON.parse(data.toString()) as Partial<DaemonNotification> & { id?: unknown }
        if (typeof message.method === 'string' && message.id === undefined) {
          onNotification({ method: message.method, params: message.params ?? {} })
        }
      } catch {
        // not JSON: ignored
      }
    })
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        socket.off('error', onError)
        socket.on('error', () => {})
        resolve(socket)
      })
      const onError = (error: Error) => reject(failed(error.message, error))
      socket.once('error', onError)
    })
  }
}
