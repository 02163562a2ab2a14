import { chmod, unlink } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import {
  CONTROL_METHODS,
  type ControlError,
  type ControlMethod,
  type ControlRequest,
  type ControlResponse,
  MAX_CONTROL_CONNECTIONS,
  MAX_REQUEST_BYTES,
} from './protocol.js'

/** Answers one method; what it throws goes back as an error. */
export type ControlHandler = (params: Record<string, unknown>) => Promise<unknown>

/** How the server turns a thrown error into a line. */
export type ErrorEncoder = (error: unknown) => ControlError

function isRequest(value: unknown): value is ControlRequest {
  if (typeof value !== 'object' || value === null) return false
  const { id, method, params } = value as Record<string, unknown>
  return (
    Number.isSafeInteger(id) &&
    typeof method === 'string' &&
    (params === undefined || (typeof params === 'object' && params !== null && !Array.isArray(params)))
  )
}

/** Is something answering on this socket path? */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen(path, () => {
      server.off('error', onError)
      // A failed accept later is emitted here: it costs one request, not the process.
      server.on('error', () => {})
      resolve()
    })
  })
}

/**
 * The control socket of a running process: reads request lines, calls the
 * handler of each method, writes one response line per request. Lines
 * longer than {@link MAX_REQUEST_BYTES}, or that are not requests, are
 * answered with an error and the connection is closed.
 */
export class ControlServer {
  private readonly sockets = new Set<Socket>()
  private closing: Promise<void> | undefined

  private constructor(
    private readonly server: Server,
    /** The socket's path. */
    readonly path: string,
  ) {}

  /**
   * Starts serving at `path`. A socket file left by a process that died is
   * replaced; one that a live process answers on is not.
   *
   * @param path - where the socket goes
   * @param handlers - one per method
   * @param encodeError - how errors travel
   * @returns the server
   * @throws the `listen` error (`EADDRINUSE` when another process serves there)
   */
  static async start(
    path: string,
    handlers: Record<ControlMethod, ControlHandler>,
    encodeError: ErrorEncoder,
  ): Promise<ControlServer> {
    const server = createServer()
    server.maxConnections = MAX_CONTROL_CONNECTIONS
    const control = new ControlServer(server, path)
    server.on('connection', (socket) => control.serve(socket, handlers, encodeError))
    try {
      await listen(server, path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || (await answers(path))) throw error
      await unlink(path)
      await listen(server, path)
    }
    await chmod(path, 0o600).catch(() => {})
    return control
  }

  /** Stops serving, ends every connection and removes the socket file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const socket of this.sockets) socket.destroy()
      this.server.close(() => resolve())
    })
    return this.closing
  }

  private serve(socket: Socket, handlers: Record<ControlMethod, ControlHandler>, encodeError: ErrorEncoder): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    socket.setEncoding('utf8')
    let buffered = ''
    let answered: Promise<void> = Promise.resolve()
    const send = (response: ControlResponse) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`)
    }
    const refuse = (message: string) => {
      send({ id: null, error: { code: 'CONTROL_FAILED', message, hint: '' } })
      socket.end()
    }
    socket.on('data', (chunk: string) => {
      buffered += chunk
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        if (line.trim() === '') continue
        let request: unknown
        try {
          request = JSON.parse(line)
        } catch {
          refuse('a request line is not JSON')
          return
        }
        if (!isRequest(request)) {
          refuse('a request needs an integer id, a method and an object of params')
          return
        }
        // answers go out in the order of the requests, whatever each takes
        const next = request
        answered = answered.then(() => this.answer(next, handlers, encodeError).then(send))
      }
      if (Buffer.byteLength(buffered) > MAX_REQUEST_BYTES)
        refuse(`a request line is longer than ${MAX_REQUEST_BYTES} bytes`)
    })
  }

  private async answer(
    request: ControlRequest,
    handlers: Record<ControlMethod, ControlHandler>,
    encodeError: ErrorEncoder,
  ): Promise<ControlResponse> {
    if (!(CONTROL_METHODS as readonly string[]).includes(request.method)) {
      return { id: request.id, error: { code: 'CONTROL_FAILED', message: `no method ${request.method}`, hint: '' } }
    }
    try {
      const result = await handlers[request.method as ControlMethod](request.params ?? {})
      return { id: request.id, result: result ?? null }
    } catch (error) {
      return { id: request.id, error: encodeError(error) }
    }
  }
}
