/**
 * The JSON API (`/api/v1/...`) and the small web page of a tracker with
 * accounts, on `node:http` at its own address (the announce server reads
 * only bodiless GETs; the API takes bodies). Every refusal is an
 * `AccountError` answered as `{ "error": { "code", "message" } }` with its
 * status; a bug is a 500 without detail. Request bodies are bounded, and
 * nothing here ever writes a password or its hash (to the log or a reply).
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Accounts, Caller } from '../accounts/accounts.js'
import { AccountError } from '../accounts/errors.js'
import type { ReceiptBook } from '../accounts/receipts.js'
import type { ReportBook } from '../accounts/reports.js'
import type { User } from '../accounts/store.js'
import { peerAddress } from '../address.js'
import type { Catalogue } from '../catalogue/catalogue.js'
import { personalMagnet, personalTorrent } from '../catalogue/personal-torrent.js'
import { MAX_UPLOAD_BYTES } from '../catalogue/upload.js'
import { TrackerError } from '../errors.js'
import type { Logger } from '../log.js'
import { webPage } from './page.js'

/** Largest JSON body, in bytes. */
export const MAX_JSON_BODY = 64 * 1024

/** Where the API listens. */
export interface ApiAddress {
  readonly host: string
  readonly port: number
}

/** The parts the API serves. */
export interface ApiParts {
  readonly accounts: Accounts
  readonly catalogue: Catalogue
  readonly receipts: ReceiptBook
  readonly reports: ReportBook
  /** The announce URL of a passkey, seen from a request (its Host header when no public URL is set). */
  announceUrl(passkey: string, host: string | undefined): string
  /** Forget a passkey's cached authorization (after a rotation or revocation). */
  forgetPasskey(passkey: string | null): void
  readonly trustProxy: boolean
  readonly log: Logger
}

type Json = Record<string, unknown>

/** A user as the API shows it: never the password hash. */
export function publicUser(user: User, own: boolean): Json {
  return {
    name: user.name,
    role: user.role,
    createdAt: new Date(user.createdAt * 1000).toISOString(),
    credits: user.credits,
    reputation: user.reputation,
    verified: { uploaded: user.verifiedUploaded, downloaded: user.verifiedDownloaded },
    selfReported: { uploaded: user.uploaded, downloaded: user.downloaded, seedingSeconds: user.seedingSeconds },
    ...(own
      ? {
          passkey: user.passkey,
          peerKey: user.peerKey === null ? null : Buffer.from(user.peerKey).toString('hex'),
        }
      : {}),
  }
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: Uint8Array | string,
    readonly type = 'application/json',
    readonly headers: Record<string, string> = {},
  ) {}
}

function json(status: number, value: unknown): Reply {
  return new Reply(status, JSON.stringify(value))
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN)
  if (declared > limit) throw new AccountError('BODY_TOO_LARGE', `a body here has at most ${limit} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > limit) throw new AccountError('BODY_TOO_LARGE', `a body here has at most ${limit} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

async function readJson(request: IncomingMessage): Promise<Json> {
  const body = await readBody(request, MAX_JSON_BODY)
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object')
    return value as Json
  } catch {
    throw new AccountError('REQUEST_INVALID', 'the body must be a JSON object')
  }
}

function bearer(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const match = /^Bearer ([A-Za-z0-9_.-]{1,1024})$/.exec(header)
  return match?.[1]
}

/** The JSON API server. */
export class ApiServer {
  private server: Server | undefined
  private closing: Promise<void> | undefined

  /** @param parts - what it serves */
  constructor(private readonly parts: ApiParts) {}

  /**
   * Starts listening.
   *
   * @param host - address to bind
   * @param port - port (0 for a free one)
   * @returns where it listens
   * @throws {@link TrackerError} `LISTEN_FAILED`
   */
  listen(host: string, port: number): Promise<ApiAddress> {
    const server = createServer((request, response) => {
      this.handle(request, response)
    })
    server.headersTimeout = 10_000
    server.requestTimeout = 60_000
    server.maxHeadersCount = 64
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', (err) =>
        reject(new TrackerError('LISTEN_FAILED', `API ${host}:${port}: ${err.message}`, { cause: err })),
      )
      server.listen({ host, port, ipv6Only: false }, () => {
        const bound = server.address()
        if (bound === null || typeof bound === 'string') return reject(new TrackerError('LISTEN_FAILED', 'no address'))
        resolve({ host: bound.address, port: bound.port })
      })
    })
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.route(request).then(
      (reply) => this.send(response, reply),
      (err: unknown) => {
        if (err instanceof AccountError) {
          const headers: Record<string, string> =
            err.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(err.retryAfterSeconds) }
          this.send(
            response,
            new Reply(
              err.status,
              JSON.stringify({ error: { code: err.code, message: err.message } }),
              'application/json',
              headers,
            ),
          )
          return
        }
        this.parts.log('error', `API ${request.method} ${request.url?.split('?')[0]}: ${(err as Error).message}`)
        this.send(response, json(500, { error: { code: 'INTERNAL', message: 'internal error' } }))
      },
    )
  }

  private send(response: ServerResponse, reply: Reply): void {
    if (response.headersSent) return
    response.writeHead(reply.status, {
      'Content-Type': reply.type,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...reply.headers,
    })
    response.end(reply.body)
  }

  private address(request: IncomingMessage): string {
    const socket = peerAddress(request.socket.remoteAddress ?? '')
    if (this.parts.trustProxy) {
      const header = request.headers['x-forwarded-for']
      const last =
        typeof header === 'string' ? peerAddress(header.slice(header.lastIndexOf(',') + 1).trim()) : undefined
      if (last !== undefined) return last.limitKey
    }
    return socket?.limitKey ?? 'unknown'
  }

  private caller(request: IncomingMessage): Promise<Caller> {
    return this.parts.accounts.authenticate(bearer(request))
  }

  private async route(request: IncomingMessage): Promise<Reply> {
    const url = new URL(request.url ?? '/', 'http://tracker')
    const path = url.pathname
    const method = request.method ?? 'GET'
    const { accounts, catalogue } = this.parts
    if (path === '/' && method === 'GET') return new Reply(200, webPage(), 'text/html; charset=utf-8')
    if (!path.startsWith('/api/v1/')) throw new AccountError('NOT_FOUND', 'no such path')
    const route = `${method} ${path.slice('/api/v1'.length)}`
    const torrentPath = /^\/torrents\/([0-9a-fA-F]{40}|[0-9a-fA-F]{64})(\/torrent|\/magnet)?$/.exec(
      path.slice('/api/v1'.length),
    )
    switch (route) {
      case 'POST /accounts': {
        const body = await readJson(request)
        const session = await accounts.register(body.name, body.password, this.address(request))
        return json(201, { token: session.token, expiresAt: session.expiresAt, user: publicUser(session.user, true) })
      }
      case 'POST /sessions': {
        const body = await readJson(request)
        const session = await accounts.login(body.name, body.password, this.address(request))
        return json(201, { token: session.token, expiresAt: session.expiresAt, user: publicUser(session.user, true) })
      }
      case 'DELETE /sessions/current': {
        await accounts.logout(await this.caller(request))
        return new Reply(204, '')
      }
      case 'GET /me': {
        const caller = await this.caller(request)
        const user = publicUser(caller.user, true)
        const announce =
          caller.user.passkey === null ? null : this.parts.announceUrl(caller.user.passkey, request.headers.host)
        return json(200, { ...user, announce })
      }
      case 'PUT /me/password': {
        const caller = await this.caller(request)
        const body = await readJson(request)
        const session = await accounts.changePassword(caller, body.current, body.password)
        return json(200, { token: session.token, expiresAt: session.expiresAt })
      }
      case 'DELETE /me': {
        const caller = await this.caller(request)
        const body = await readJson(request)
        await accounts.deleteAccount(caller, body.password)
        this.parts.forgetPasskey(caller.user.passkey)
        return new Reply(204, '')
      }
      case 'POST /me/passkey': {
        const caller = await this.caller(request)
        const passkey = await accounts.rotatePasskey(caller)
        this.parts.forgetPasskey(caller.user.passkey)
        return json(200, { passkey, announce: this.parts.announceUrl(passkey, request.headers.host) })
      }
      case 'DELETE /me/passkey': {
        const caller = await this.caller(request)
        await accounts.revokePasskey(caller)
        this.parts.forgetPasskey(caller.user.passkey)
        return new Reply(204, '')
      }
      case 'PUT /me/peer-key': {
        const caller = await this.caller(request)
        const body = await readJson(request)
        const key = typeof body.peerKey === 'string' && /^[0-9a-f]{64}$/i.test(body.peerKey) ? body.peerKey : undefined
        if (key === undefined && body.peerKey !== null) {
          throw new AccountError('REQUEST_INVALID', 'peerKey must be 64 hex digits (an Ed25519 public key) or null')
        }
        await accounts.store.setPeerKey(
          caller.user.id,
          key === undefined ? null : new Uint8Array(Buffer.from(key, 'hex')),
        )
        return new Reply(204, '')
      }
      case 'POST /receipts': {
        await this.caller(request) // any logged-in user may hand receipts in: each is signed by its downloader
        const body = await readJson(request)
        return json(200, await this.parts.receipts.submit(body.receipts))
      }
      case 'POST /reports': {
        const caller = await this.caller(request)
        return json(200, await this.parts.reports.report(caller, await readJson(request)))
      }
      case 'PUT /users/role': {
        const caller = await this.caller(request)
        const body = await readJson(request)
        await accounts.setRole(caller, body.name, body.role)
        return new Reply(204, '')
      }
      case 'GET /torrents': {
        const limit = url.searchParams.get('limit')
        const offset = url.searchParams.get('offset')
        const sort = url.searchParams.get('sort')
        const entries = await catalogue.list({
          query: (url.searchParams.get('q') ?? '').slice(0, 1024),
          ...(sort !== null ? { sort: sort as 'date' } : {}),
          ...(limit !== null ? { limit: Number(limit) } : {}),
          ...(offset !== null ? { offset: Number(offset) } : {}),
        })
        return json(200, { torrents: entries })
      }
      case 'POST /torrents': {
        const caller = await this.caller(request)
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim()
        const kind =
          type === 'application/x-mycel-manifest'
            ? 'manifest'
            : type === 'application/x-bittorrent'
              ? 'torrent'
              : undefined
        if (kind === undefined) {
          throw new AccountError(
            'REQUEST_INVALID',
            'Content-Type must be application/x-bittorrent or application/x-mycel-manifest',
          )
        }
        const entry = await catalogue.add(await readBody(request, MAX_UPLOAD_BYTES), kind, caller)
        this.parts.log('info', `${caller.user.name} listed ${entry.name} (${entry.infohash})`)
        return json(201, { torrent: entry })
      }
    }
    if (torrentPath !== null) {
      const infohash = (torrentPath[1] as string).toLowerCase()
      const what = torrentPath[2]
      if (method === 'GET' && what === undefined) {
        const entry = await catalogue.entry(infohash)
        if (entry === undefined) throw new AccountError('NOT_FOUND', 'no such entry in the catalogue')
        return json(200, { torrent: entry })
      }
      if (method === 'DELETE' && what === undefined) {
        await catalogue.remove(infohash, await this.caller(request))
        return new Reply(204, '')
      }
      if (method === 'GET') {
        const caller = await this.caller(request)
        if (caller.user.passkey === null)
          throw new AccountError('FORBIDDEN', 'your passkey is revoked: make a new one first')
        const record = await catalogue.record(infohash)
        if (record === undefined) throw new AccountError('NOT_FOUND', 'no such entry in the catalogue')
        const announce = this.parts.announceUrl(caller.user.passkey, request.headers.host)
        if (what === '/magnet') return json(200, { magnet: personalMagnet(record, announce) })
        const file = `${record.name.replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 100) || 'share'}.torrent`
        return new Reply(200, personalTorrent(record, announce), 'application/x-bittorrent', {
          'Content-Disposition': `attachment; filename="${file.replace(/"/g, '')}"`,
        })
      }
    }
    throw new AccountError('NOT_FOUND', 'no such path or method')
  }

  /** Stops listening and closes connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      if (this.server === undefined) return resolve()
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
    return this.closing
  }
}
