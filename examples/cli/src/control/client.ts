import { connect } from 'node:net'
import { CliError, type CliErrorCode } from '../errors.js'
import { type ControlMethod, type ControlParams, type ControlResponse, MAX_RESPONSE_BYTES } from './protocol.js'

/** How long a short command waits for the running process to answer. */
const DEFAULT_TIMEOUT_MS = 30_000

function failed(message: string, cause?: unknown): CliError {
  return new CliError('CONTROL_FAILED', `the running mycel process did not answer: ${message}`, 'try again', { cause })
}

/**
 * A connection to the control socket of a running process. {@link ControlClient.connect}
 * returns undefined when no process serves there (no socket file, or a
 * socket left by a process that died).
 */
export class ControlClient {
  private nextId = 1

  private constructor(private readonly path: string) {}

  /**
   * Checks that a process answers at `path`.
   *
   * @param path - the socket
   * @returns a client, or undefined when nothing runs there
   */
  static async connect(path: string): Promise<ControlClient | undefined> {
    const client = new ControlClient(path)
    try {
      await client.call('hello', {})
      return client
    } catch (error) {
      const errno = (error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined)?.code
      if (errno === 'ENOENT' || errno === 'ECONNREFUSED' || errno === 'ENOTSOCK') return undefined
      throw error
    }
  }

  /**
   * Calls a method: one connection, one request line, one response line.
   *
   * @param method - the method
   * @param params - its parameters
   * @param options - how long to wait
   * @returns the result
   * @throws {@link CliError} with the remote error's code, or `CONTROL_FAILED`
   */
  call<M extends ControlMethod>(
    method: M,
    params: ControlParams[M],
    options: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const socket = connect(this.path)
      socket.setEncoding('utf8')
      let buffered = ''
      let settled = false
      const finish = (error: unknown, value?: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        socket.destroy()
        if (error === undefined) resolve(value)
        else reject(error)
      }
      const timer = setTimeout(() => finish(failed('it took too long')), options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
      socket.on('error', (error) => finish(failed(error.message, error)))
      socket.on('connect', () => socket.write(`${JSON.stringify({ id, method, params })}\n`))
      socket.on('end', () => finish(failed('it closed the connection')))
      socket.on('data', (chunk: string) => {
        buffered += chunk
        const newline = buffered.indexOf('\n')
        if (newline < 0) {
          if (buffered.length > MAX_RESPONSE_BYTES) finish(failed('its answer is too long'))
          return
        }
        let response: ControlResponse
        try {
          response = JSON.parse(buffered.slice(0, newline)) as ControlResponse
        } catch (error) {
          finish(failed('its answer is not JSON', error))
          return
        }
        if ('error' in response) {
          const { code, message, hint } = response.error
          finish(new CliError(code as CliErrorCode, message, hint))
        } else if (response.id !== id) {
          finish(failed('its answer is for another request'))
        } else {
          finish(undefined, response.result)
        }
      })
    })
  }
}
