/**
 * The small part of HTTP/1.1 a tracker needs: `GET` requests without a
 * body, read from their head; answers with a length, kept alive or not.
 * Everything else is refused with a status and the connection closed.
 * @module
 */

/** A request head, as far as the tracker reads it. */
export interface RequestHead {
  /** The path and query (`/announce?info_hash=...`), from an origin- or absolute-form target. */
  readonly target: string
  /** Whether the connection stays open after the answer (HTTP/1.1 unless `Connection: close`; 1.0 only with `keep-alive`). */
  readonly keepAlive: boolean
  /** The value of `X-Forwarded-For`, when present. */
  readonly forwardedFor?: string
}

/** A request the tracker does not serve: the status to answer with (the connection is then closed). */
export interface RequestRefusal {
  readonly status: 400 | 405 | 505
  readonly reason: string
}

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/

/**
 * Reads a request head (the bytes before the blank line, one character per byte).
 *
 * @param head - the head, without the final `\r\n\r\n`
 * @returns what the tracker needs of it, or the status to refuse it with
 */
export function parseRequestHead(head: string): RequestHead | RequestRefusal {
  const lineEnd = head.indexOf('\r\n')
  const match = REQUEST_LINE.exec(lineEnd < 0 ? head : head.slice(0, lineEnd))
  if (match === null) return { status: 400, reason: 'not an HTTP/1.x request line' }
  const [, method, rawTarget, minor] = match as unknown as [string, string, string, string]
  if (method !== 'GET') return { status: 405, reason: `${method} is not served here` }
  let target = rawTarget
  if (!target.startsWith('/')) {
    // absolute form (through a proxy): http://host/path?query
    const scheme = /^https?:\/\/[^/?#]*/i.exec(target)
    if (scheme === null) return { status: 400, reason: 'the request target is not a path' }
    target = target.slice(scheme[0].length) || '/'
  }
  let keepAlive = minor === '1'
  let forwardedFor: string | undefined
  let at = lineEnd
  while (at >= 0 && at < head.length) {
    const next = head.indexOf('\r\n', at + 2)
    const line = head.slice(at + 2, next < 0 ? head.length : next)
    at = next
    const colon = line.indexOf(':')
    if (colon <= 0) return { status: 400, reason: 'a header line without a name' }
    const name = line.slice(0, colon).toLowerCase()
    if (name === 'connection') {
      const value = line.slice(colon + 1).toLowerCase()
      if (value.includes('close')) keepAlive = false
      else if (value.includes('keep-alive')) keepAlive = true
    } else if (name === 'content-length') {
      if (line.slice(colon + 1).trim() !== '0') return { status: 400, reason: 'requests with a body are not served' }
    } else if (name === 'transfer-encoding') {
      return { status: 400, reason: 'requests with a body are not served' }
    } else if (name === 'x-forwarded-for') {
      forwardedFor = line.slice(colon + 1).trim()
    }
  }
  return { target, keepAlive, ...(forwardedFor !== undefined ? { forwardedFor } : {}) }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
}

/**
 * The head of an answer.
 *
 * @param status - the status code
 * @param contentType - the body's type
 * @param length - the body's length
 * @param keepAlive - whether the connection stays open
 * @returns the head, one byte per character
 */
export function responseHead(status: number, contentType: string, length: number, keepAlive: boolean): string {
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\nCache-Control: no-store\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n`
}
