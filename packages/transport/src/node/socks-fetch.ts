import { type ClientRequest, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { isIP, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import { abortError } from '../abort.js'
import { TransportError } from '../errors.js'
import { parseProxyUrl, type SocksProxy } from '../socks/proxy-url.js'
import { DEFAULT_SOCKS_TIMEOUT_MS, socksConnect } from './socks-connect.js'

/** Options of {@link socksFetch}. */
export interface SocksFetchOptions {
  /** The SOCKS5 proxy: a URL (`socks5://[user:pass@]host:port`) or a parsed one. */
  proxy: string | SocksProxy
  /** Longest the SOCKS exchange of one request may take, in milliseconds. Default 60,000. */
  timeoutMs?: number
  /** Certificates to trust for `https:` besides the system's (a private tracker's own CA). */
  ca?: string | Uint8Array | Array<string | Uint8Array>
}

/**
 * A `fetch` for `http:` and `https:` URLs whose every connection goes
 * through a SOCKS5 proxy. Of `RequestInit` it honours `method`, `headers`,
 * a `body` of text or bytes, and `signal`. Redirects are never followed:
 * the 3xx response is returned as it is, whatever `redirect` says.
 */
export type ProxiedFetch = (input: string | URL, init?: RequestInit) => Promise<Response>

/**
 * A `fetch` whose connections go through a SOCKS5 proxy: for HTTP trackers
 * and anything else a node asks over HTTP in proxy mode. The URL's host
 * name goes to the proxy as a name (never looked up here); HTTPS runs TLS
 * to the target through the tunnel, with the host name for SNI and
 * certificate checks. A proxy that fails fails the request (`PROXY_*`
 * codes of {@link TransportError}); nothing is ever tried directly.
 *
 * @param options - the proxy and the SOCKS timeout
 * @returns the fetch function
 * @throws {@link TransportError} `PROXY_URL_INVALID` for a proxy URL that does not parse
 *
 * @example
 * ```ts
 * import { socksFetch } from '@mycel/transport/socks'
 *
 * const fetchThroughTor = socksFetch({ proxy: 'socks5://127.0.0.1:9050' })
 * const response = await fetchThroughTor('http://tracker.example/announce?info_hash=...')
 * ```
 */
export function socksFetch(options: SocksFetchOptions): ProxiedFetch {
  const proxy = typeof options.proxy === 'string' ? parseProxyUrl(options.proxy) : options.proxy
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOCKS_TIMEOUT_MS
  return async (input, init = {}) => {
    const url = new URL(String(input))
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TransportError(
        'ADDRESS_UNSUPPORTED',
        `only http: and https: URLs go through the proxy: ${url.protocol}`,
      )
    }
    const signal = init.signal ?? undefined
    if (signal?.aborted) throw abortError(signal)
    const body = init.body ?? undefined
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new TypeError('a request body through the proxy must be text or bytes')
    }
    const secure = url.protocol === 'https:'
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const port = Number(url.port || (secure ? 443 : 80))
    const { socket } = await socksConnect(proxy, { host, port }, { signal, timeoutMs })
    const tunnel: Socket = secure
      ? tlsConnect({
          socket,
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ...(options.ca === undefined ? {} : { ca: options.ca as never }),
        })
      : socket
    const headers = new Headers(init.headers)
    const requestOptions: RequestOptions = {
      method: init.method ?? 'GET',
      host,
      port,
      path: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(headers.entries()),
      // No agent: with one (even `agent: false`, a fresh one), Node ignores
      // createConnection and connects directly. socksConnect hands the socket
      // over paused; an HTTP server says nothing before the request, which
      // goes out once the response parser listens.
      createConnection: () => tunnel.resume(),
      ...(signal ? { signal } : {}),
    }
    return new Promise<Response>((resolve, reject) => {
      // The TLS (if any) runs in the tunnel already: HTTP/1.1 over it.
      const request: ClientRequest = httpRequest(requestOptions, (answer: IncomingMessage) =>
        resolve(toResponse(answer)),
      )
      request.once('error', (error) => {
        tunnel.destroy()
        reject(
          signal?.aborted
            ? abortError(signal)
            : new TransportError('CONNECTION_RESET', `the request through the proxy failed: ${error.message}`, {
                cause: error,
              }),
        )
      })
      request.end(body)
    })
  }
}

function toResponse(answer: IncomingMessage): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const one of value) headers.append(name, one)
    else if (value !== undefined) headers.set(name, value)
  }
  const status = answer.statusCode ?? 502
  const empty = status === 204 || status === 304 || (status >= 100 && status < 200)
  if (empty) answer.resume()
  return new Response(empty ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>), {
    status,
    statusText: answer.statusMessage ?? '',
    headers,
  })
}
