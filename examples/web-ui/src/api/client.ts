import { DaemonError } from './errors.js'

interface RpcBody {
  result?: unknown
  error?: { code: number; message: string; data?: { code?: string; hint?: string } }
}

/**
 * Calls the daemon's JSON-RPC methods (`POST /rpc` of the page's own
 * origin) with its token as a Bearer credential.
 */
export class DaemonClient {
  private nextId = 1

  /**
   * @param token - the daemon's token (or its `--password`)
   * @param base - the daemon's address; default the page's origin
   */
  constructor(
    readonly token: string,
    readonly base: string = location.origin,
  ) {}

  /**
   * Calls a method.
   *
   * @param method - its name (docs/daemon.md)
   * @param params - its params, by name
   * @returns its result
   * @throws {@link DaemonError} with the stable code of the failure (`UNAUTHORIZED` for a wrong token)
   */
  async call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    let response: Response
    try {
      response = await fetch(`${this.base}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
      })
    } catch (error) {
      throw new DaemonError('DAEMON_UNREACHABLE', `the daemon does not answer: ${(error as Error).message}`)
    }
    let body: RpcBody
    try {
      body = (await response.json()) as RpcBody
    } catch {
      throw new DaemonError('BAD_ANSWER', `the daemon answered HTTP ${response.status} without JSON`)
    }
    if (body.error !== undefined) {
      const { error } = body
      throw new DaemonError(error.data?.code ?? `RPC_${error.code}`, error.message, error.data?.hint)
    }
    return body.result as T
  }

  /**
   * Uploads a file to the daemon, which keeps it in its uploads folder and
   * shares it (`upload.begin`, chunks to `POST /upload`, `upload.finish`).
   *
   * @param file - the file (dropped or chosen)
   * @param onProgress - bytes sent so far, after each chunk
   * @returns the share, as `share` answers, with where the file was kept
   * @throws {@link DaemonError} with the code of the failure; the upload is dropped
   */
  async upload(
    file: File,
    onProgress: (sent: number) => void = () => undefined,
  ): Promise<{ infohash: string; name: string; uploaded: string }> {
    const { id, chunkBytes } = await this.call<{ id: string; chunkBytes: number }>('upload.begin', {
      name: file.name,
      size: file.size,
    })
    try {
      for (let offset = 0; offset < file.size; offset += chunkBytes) {
        const response = await fetch(`${this.base}/upload?id=${id}&offset=${offset}`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${this.token}` },
          body: file.slice(offset, offset + chunkBytes),
        })
        const answer = (await response.json()) as RpcBody & { received?: number }
        if (answer.error !== undefined) {
          throw new DaemonError(
            answer.error.data?.code ?? 'UPLOAD_FAILED',
            answer.error.message,
            answer.error.data?.hint,
          )
        }
        onProgress(answer.received ?? offset)
      }
      return await this.call('upload.finish', { id })
    } catch (error) {
      await this.call('upload.abort', { id }).catch(() => undefined)
      throw error instanceof DaemonError ? error : new DaemonError('UPLOAD_FAILED', (error as Error).message)
    }
  }

  /** The WebSocket address of the notifications, with the token (a browser cannot set a WebSocket's headers). */
  notificationsUrl(): string {
    const url = new URL('/ws', this.base)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    url.searchParams.set('token', this.token)
    return url.href
  }
}
