import type { StateStore } from '@mycel/store'
import packageJson from '../../package.json' with { type: 'json' }
import type { NodeAccess } from '../access/access.js'
import { parsePieceLength } from '../context.js'
import { channelControlHandler } from '../control/channel-handlers.js'
import { controlHandlers } from '../control/handlers.js'
import { CliError } from '../errors.js'
import {
  absolutePath,
  infohash,
  optionalAbsolutePath,
  optionalFlag,
  optionalText,
  optionalTextList,
  type Params,
} from './params.js'
import { readPieces } from './pieces.js'
import { DAEMON_API_VERSION } from './protocol.js'
import type { RpcMethod } from './rpc.js'
import type { DaemonShares, PrivateRequest } from './shares.js'
import type { DaemonUploads } from './uploads.js'

/** What the methods act on. */
export interface MethodContext {
  /** The node, as the short commands see it (the control socket serves the same). */
  access: NodeAccess
  /** What the daemon does to shares. */
  shares: DaemonShares
  /** Stops the daemon (after the answer is sent). */
  shutdown: () => void
  /** The node's state store (verified pieces, known peers). */
  state: StateStore
  /** What the daemon runs with, for `settings`. */
  settings: () => Promise<SettingsView>
  /** Files dropped on the web UI, received in chunks (`upload.*`); none: those methods fail. */
  uploads?: DaemonUploads
}

/** What `settings` answers: how the daemon and its node were started (read-only while it runs). */
export interface SettingsView {
  dataDir: string
  downloadDir: string
  /** Bytes per second, 0 for none. */
  uploadLimit: number
  downloadLimit: number
  /** Where the node accepts peers. */
  addresses: string[]
  /** The HTTP API, `http://host:port`. */
  api: string
  /** DHT nodes it joined through; empty without a DHT. */
  bootstrap: string[]
  proxy: string | null
  /** Trackers where this data folder has an account (`mycel account login`). */
  trackerAccounts: { api: string; announce: string }[]
}

function peerAddresses(params: Params): string[] | undefined {
  return optionalTextList(params, 'peers')?.map((peer) => {
    const address = peer.includes('://') ? peer : `tcp://${peer}`
    if (!/^[a-z]+:\/\/.+:\d+$/.test(address)) throw CliError.usage(`a peer is host:port, not ${JSON.stringify(peer)}`)
    return address
  })
}

function torrentBytes(params: Params): Uint8Array | undefined {
  const base64 = optionalText(params, 'torrent')
  if (base64 === undefined) return undefined
  if (!/^[A-Za-z0-9+/=\s]*$/.test(base64)) throw CliError.usage('torrent must be the base64 of a .torrent file')
  return Buffer.from(base64, 'base64')
}

function uploadsOf(context: MethodContext): DaemonUploads {
  if (context.uploads === undefined) throw CliError.usage('this daemon takes no uploads')
  return context.uploads
}

function text(params: Params, name: string): string {
  const value = optionalText(params, name)
  if (value === undefined) throw CliError.usage(`needs ${name}`)
  return value
}

function privateRequest(params: Params): PrivateRequest {
  const link = optionalText(params, 'link')
  if (link === undefined) throw CliError.usage('needs a mycel:// link')
  const dir = optionalAbsolutePath(params, 'dir')
  const peers = peerAddresses(params)
  return { link, ...(dir === undefined ? {} : { dir }), ...(peers === undefined ? {} : { peers }) }
}

/**
 * The daemon's JSON-RPC methods (docs/daemon.md): those of the control
 * socket (`hello`, `status`, `peers`, `list`, `search`, `manifest`,
 * `announce`, `remove`, `channel`), the very same handlers, and what only a daemon
 * does: `share`, `share.private`, `add`, `get.private`, `seed.blind`, `files`,
 * `pieces`, `stop`, `start`, `verify`, `trackers`, `readers`, `readers.set`,
 * `settings`, `upload.begin`, `upload.finish`, `upload.abort`, `shutdown`.
 *
 * @param context - the node, the shares, the way to stop
 * @returns the methods by name
 */
export function daemonMethods(context: MethodContext): Record<string, RpcMethod> {
  const { shares } = context
  const control = controlHandlers(context.access)
  const methods: Record<string, RpcMethod> = {
    ...control,
    channel: channelControlHandler(shares.node),
    hello: async () => ({
      ...((await control.hello({})) as object),
      api: DAEMON_API_VERSION,
      version: packageJson.version,
      methods: Object.keys(methods).sort(),
    }),
    stats: control.status,
    share: async (params) => {
      const pieceLength = optionalText(params, 'pieceLength')
      const trackers = optionalTextList(params, 'trackers')
      return shares.share(absolutePath(params, 'path'), {
        ...(pieceLength === undefined ? {} : { pieceLength: parsePieceLength(pieceLength) }),
        ...(trackers === undefined ? {} : { trackers }),
      })
    },
    'share.private': async (params) => {
      const readers = optionalTextList(params, 'readers')
      const link = optionalFlag(params, 'link')
      const pieceLength = optionalText(params, 'pieceLength')
      return shares.sharePrivate(absolutePath(params, 'path'), {
        ...(pieceLength === undefined ? {} : { pieceLength: parsePieceLength(pieceLength) }),
        ...(readers === undefined ? {} : { readers }),
        ...(link === undefined ? {} : { link }),
      })
    },
    add: async (params) => {
      const link = optionalText(params, 'link')
      const torrent = torrentBytes(params)
      const dir = optionalAbsolutePath(params, 'dir')
      const peers = peerAddresses(params)
      const trackers = optionalTextList(params, 'trackers')
      const files = optionalTextList(params, 'files')
      const verifyExisting = optionalFlag(params, 'verifyExisting')
      return shares.add({
        ...(verifyExisting === undefined ? {} : { verifyExisting }),
        ...(link === undefined ? {} : { link }),
        ...(torrent === undefined ? {} : { torrent }),
        ...(dir === undefined ? {} : { dir }),
        ...(peers === undefined ? {} : { peers }),
        ...(trackers === undefined ? {} : { trackers }),
        ...(files === undefined ? {} : { files }),
      })
    },
    'get.private': async (params) => shares.getPrivate(privateRequest(params)),
    'seed.blind': async (params) => shares.seedBlind(privateRequest(params)),
    'upload.begin': async (params) => {
      const name = optionalText(params, 'name')
      const size = params.size
      if (name === undefined || typeof size !== 'number') throw CliError.usage('upload.begin needs name and size')
      return uploadsOf(context).begin(name, size)
    },
    'upload.finish': async (params) => {
      const path = await uploadsOf(context).finish(text(params, 'id'))
      const trackers = optionalTextList(params, 'trackers')
      return { ...(await shares.share(path, trackers === undefined ? {} : { trackers })), uploaded: path }
    },
    'upload.abort': async (params) => {
      await uploadsOf(context).abort(text(params, 'id'))
      return null
    },
    files: async (params) => {
      const hex = infohash(params)
      const manifest = await context.access.manifest(hex)
      if (manifest === undefined) return null
      const selected = shares.node.getDownload(hex)?.files
      return manifest.files.map((file) => {
        const path = manifest.singleFile ? manifest.name : file.path.join('/')
        return { path, length: file.length, wanted: selected === undefined || selected.includes(path) }
      })
    },
    pieces: (params) => readPieces(context.state, infohash(params)),
    settings: () => context.settings(),
    stop: async (params) => {
      await shares.stop(infohash(params))
      return null
    },
    start: async (params) => {
      await shares.start(infohash(params))
      return null
    },
    verify: (params) => shares.verify(infohash(params)),
    trackers: async (params) => {
      const hex = infohash(params)
      await shares.record(hex)
      const trackers = shares.node.trackerStatus(hex).map((status) => ({
        url: status.url,
        tier: status.tier,
        lastAnnounce: status.lastAnnounce ?? null,
        retryAt: status.retryAt ?? null,
      }))
      return { infohash: hex, trackers }
    },
    readers: async (params) => {
      const share = await shares.node.private.get(infohash(params))
      if (share === undefined) throw new CliError('SHARE_NOT_FOUND', 'no private share made here with that infohash')
      return { infohash: share.infohashHex, name: share.name, readers: [...share.readers], blindLink: share.blindLink }
    },
    'readers.set': (params) => shares.setReaders(infohash(params), optionalTextList(params, 'readers') ?? []),
    shutdown: async (params) => {
      if (optionalFlag(params, 'confirm') !== true) throw CliError.usage('shutdown needs {"confirm": true}')
      setImmediate(context.shutdown)
      return null
    },
  }
  return methods
}
