import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Environment variable naming the folder of a built web UI (its `index.html`), before the usual places. */
export const WEB_UI_DIR_ENV = 'MYCEL_WEB_UI_DIR'

/** Largest UI file served (the bundle is some tens of KiB; this is a bound, not a size). */
const MAX_FILE_BYTES = 8 * 1024 * 1024

/** The files the UI is made of, by extension: nothing else is served. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

/**
 * What the page may load and reach: its own scripts, styles and images,
 * the daemon's API and its WebSocket (`'self'` covers `ws:` to the same
 * host in CSP 3; the `ws://` origin of the address the page was loaded from
 * is named too, for browsers that do not), no inline script, no frames, no
 * forms posted elsewhere.
 *
 * @param host - the request's `Host` header (the page's own host and port), when it is a plain one
 * @returns the `Content-Security-Policy` header's value
 */
export function webUiCsp(host: string | undefined): string {
  const webSocket =
    host !== undefined && /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host) ? ` ws://${host}` : ''
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self'${webSocket}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * Where the built UI is looked for, first found wins: `MYCEL_WEB_UI_DIR`;
 * `web-ui/` beside the bundled CLI (`examples/cli/dist/web-ui`, a copy for
 * a CLI installed alone); `examples/web-ui/dist` of the repository, reached
 * from the bundle (`examples/cli/dist/bin.js`) or from the sources
 * (`examples/cli/src/daemon/web-ui.ts`, in tests).
 *
 * @param moduleUrl - the URL of the running module (the bundle's or this file's)
 * @param env - the environment
 * @returns folders, in the order they are tried
 */
export function webUiCandidates(moduleUrl: string = import.meta.url, env = process.env): string[] {
  const here = (relative: string) => fileURLToPath(new URL(relative, moduleUrl))
  const given = env[WEB_UI_DIR_ENV]
  return [
    ...(given === undefined || given === '' ? [] : [resolve(given)]),
    here('./web-ui/'),
    here('../../web-ui/dist/'),
    here('../../../web-ui/dist/'),
  ]
}

/**
 * The folder of the built UI: the first of {@link webUiCandidates} that holds an `index.html`.
 *
 * @param candidates - folders to try
 * @returns the folder, or undefined when the UI is not built
 */
export function findWebUi(candidates: readonly string[] = webUiCandidates()): string | undefined {
  return candidates.find((dir) => existsSync(join(dir, 'index.html')))
}

function reply(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'x-content-type-options': 'nosniff',
    ...headers,
  })
  response.end(text)
}

/**
 * The file a URL path names in the UI's folder, or undefined for one it
 * may not name: only `/` (the page) and paths of plain names
 * (`[A-Za-z0-9._-]`, no `..`, no dot file) with a known extension, resolved
 * inside the folder.
 *
 * @param dir - the UI's folder
 * @param pathname - the URL's path, still percent-encoded
 * @returns an absolute path inside `dir`
 */
export function webUiFile(dir: string, pathname: string): string | undefined {
  if (pathname === '/' || pathname === '/index.html') return join(dir, 'index.html')
  const segments = pathname.slice(1).split('/')
  const plain = segments.every((segment) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(segment) && !segment.includes('..'))
  if (!pathname.startsWith('/') || !plain) return undefined
  if (CONTENT_TYPES[extname(pathname)] === undefined) return undefined
  const root = resolve(dir)
  const file = resolve(root, ...segments)
  return file.startsWith(root + sep) ? file : undefined
}

/**
 * Serves the built web UI at `GET /` (docs/daemon.md, "The web UI"): its
 * static files, with their content types, `nosniff`, no referrer and a
 * Content-Security-Policy. The files hold no secret, so they need no
 * token: the page asks for it (or takes it from the `#token=` fragment of
 * the address the daemon prints) and sends it with every API call.
 */
export class WebUiFiles {
  /**
   * @param dir - the UI's folder; undefined when it is not built (every page is then a 404 that says so)
   */
  constructor(readonly dir: string | undefined) {}

  /**
   * Answers one request for a file of the UI.
   *
   * @param request - a request whose path is not the API's
   * @param response - its response
   * @param pathname - the URL's path
   */
  async serve(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(response, 405, 'use GET\n', { allow: 'GET, HEAD' })
      return
    }
    if (this.dir === undefined) {
      reply(response, 404, 'the web UI is not built: run npm run build in the repository (docs/daemon.md)\n')
      return
    }
    const file = webUiFile(this.dir, pathname)
    const info = file === undefined ? undefined : await stat(file).catch(() => undefined)
    if (file === undefined || info === undefined || !info.isFile() || info.size > MAX_FILE_BYTES) {
      reply(response, 404, 'not found\n')
      return
    }
    const body = await readFile(file)
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] as string,
      'content-length': String(body.length),
      'content-security-policy': webUiCsp(request.headers.host),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    })
    response.end(request.method === 'HEAD' ? undefined : body)
  }
}
