import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseHostPort } from '@mycel/dht'
import { NodeError, parseOnionAddress } from '@mycel/node'
import { TransportError } from '@mycel/transport'
import { parseProxyUrl } from '@mycel/transport/socks'
import type { Logger } from '@mycel/wire/log'
import { CliError, type ExplainContext } from './errors.js'
import { parseSize } from './format.js'
import { createCliLogger, readDebugComponents } from './logging.js'
import { Output } from './output.js'

/**
 * The public Mainline DHT routers that BitTorrent clients join through: the
 * default of `--bootstrap`, so that `mycel` works on the internet as it is.
 */
export const PUBLIC_BOOTSTRAP = [
  'router.bittorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'router.utorrent.com:6881',
  'dht.libtorrent.org:25401',
] as const

/** The global options every command takes, checked. */
export interface GlobalOptions {
  /** The node's folder: identity, state database, control socket, default downloads. */
  dataDir: string
  /** TCP port to accept peers on, also the DHT's UDP port; undefined = a free port each. */
  port: number | undefined
  /** `--ws`: port to accept peers over WebSocket on (browsers), 0 = a free one; undefined = no WebSocket listener. */
  wsPort: number | undefined
  /** Address to listen on (TCP and UDP). */
  host: string
  /** DHT nodes to join through. */
  bootstrap: string[]
  /** Whether `--bootstrap` was given (the `dht` command joins a network only then). */
  bootstrapGiven: boolean
  /** Upload and download limits of the node, bytes per second, 0 = none. */
  uploadLimit: number
  downloadLimit: number
  json: boolean
  quiet: boolean
  /** `--debug`: stack traces of errors, and the log of every mycel component on stderr. */
  debug: boolean
  /** `MYCEL_DEBUG`: the components whose log is shown (with or without `--debug`); undefined for none chosen. */
  debugComponents: string | undefined
  /** `--proxy`: the SOCKS5 proxy every connection goes through (no DHT then); undefined for none. */
  proxy: string | undefined
  /** `--onion`: the onion address of this node's Tor onion service, `tcp://<name>.onion:<port>`. */
  onion: string | undefined
  /** `--anonymous`: no agent in hello, a fresh identity for this run. */
  anonymous: boolean
}

/** What every command runs with. */
export interface Context {
  readonly options: GlobalOptions
  readonly out: Output
  /** What error explanations may mention. */
  readonly explain: ExplainContext
  /** Where the node, DHT and stores log: stderr, by component (see {@link createCliLogger}). */
  readonly logger: Logger
}

/** The options as commander hands them over (all optional, all text or flags). */
export interface RawGlobalOptions {
  dataDir?: string
  port?: string
  ws?: string
  host?: string
  bootstrap?: string
  uploadLimit?: string
  downloadLimit?: string
  json?: boolean
  quiet?: boolean
  debug?: boolean
  proxy?: string
  onion?: string
  anonymous?: boolean
}

/**
 * Reads a port number.
 *
 * @param text - the option's text
 * @param name - the option, for the message
 * @returns 0-65535
 * @throws {@link CliError} `USAGE`
 */
export function parsePort(text: string, name = '--port'): number {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) > 65535) {
    throw CliError.usage(`${name} must be a port number (0-65535), not ${JSON.stringify(text)}`)
  }
  return Number(text)
}

/**
 * Reads a `--bootstrap` list: `host:port` pairs separated by commas, or
 * `none` for no bootstrap node at all.
 *
 * @param text - the option's text
 * @returns the addresses
 * @throws {@link CliError} `USAGE` for an entry that is not `host:port`
 */
export function parseBootstrap(text: string): string[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (entries.length === 1 && entries[0]?.toLowerCase() === 'none') return []
  for (const entry of entries) {
    try {
      parseHostPort(entry)
    } catch {
      throw CliError.usage(
        `bad --bootstrap address ${JSON.stringify(entry)}`,
        'give host:port pairs separated by commas',
      )
    }
  }
  return entries
}

function parseRate(text: string | undefined, name: string): number {
  if (text === undefined) return 0
  const bytes = parseSize(text)
  if (bytes === undefined)
    throw CliError.usage(`${name} must be a rate such as 500k or 2MiB, not ${JSON.stringify(text)}`)
  return bytes
}

/**
 * Checks the global options and fills in defaults: data folder `~/.mycel`
 * (or `MYCEL_DATA_DIR`), every interface (127.0.0.1 with `--proxy`), a free
 * port, the public bootstrap routers.
 *
 * @param raw - what commander parsed
 * @param env - the environment (`MYCEL_DEBUG`)
 * @returns the options
 * @throws {@link CliError} `USAGE` for a bad value
 */
export function resolveGlobalOptions(
  raw: RawGlobalOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): GlobalOptions {
  const proxy = raw.proxy?.trim() || undefined
  if (proxy !== undefined) {
    try {
      parseProxyUrl(proxy)
    } catch (error) {
      if (!(error instanceof TransportError)) throw error
      throw CliError.usage(
        `bad --proxy: ${error.message}`,
        'give socks5://[user:pass@]host:port, Tor is socks5://127.0.0.1:9050',
      )
    }
    if (raw.bootstrap !== undefined) {
      throw CliError.usage(
        '--bootstrap cannot be used with --proxy',
        'the DHT speaks UDP, which cannot go through a proxy',
      )
    }
  }
  let onion: string | undefined
  if (raw.onion !== undefined) {
    if (proxy === undefined) {
      throw CliError.usage(
        '--onion needs --proxy',
        'without a proxy, the dials of this node would tie the onion service to its IP address',
      )
    }
    try {
      onion = parseOnionAddress(raw.onion)
    } catch (error) {
      if (!(error instanceof NodeError)) throw error
      throw CliError.usage(`bad --onion: ${error.message}`, 'give <56 characters>.onion:<port> of your onion service')
    }
  }
  // Behind a proxy, peers arrive through the local Tor (an onion service): listen on loopback only.
  const host = raw.host?.trim() || (proxy === undefined ? '0.0.0.0' : '127.0.0.1')
  return {
    dataDir: resolve(raw.dataDir ?? join(homedir(), '.mycel')),
    port: raw.port === undefined ? undefined : parsePort(raw.port),
    wsPort: raw.ws === undefined ? undefined : parsePort(raw.ws, '--ws'),
    host,
    bootstrap: raw.bootstrap === undefined ? [...PUBLIC_BOOTSTRAP] : parseBootstrap(raw.bootstrap),
    bootstrapGiven: raw.bootstrap !== undefined,
    uploadLimit: parseRate(raw.uploadLimit, '--upload-limit'),
    downloadLimit: parseRate(raw.downloadLimit, '--download-limit'),
    json: raw.json === true,
    quiet: raw.quiet === true,
    debug: raw.debug === true,
    debugComponents: readDebugComponents(env.MYCEL_DEBUG),
    proxy,
    onion,
    anonymous: raw.anonymous === true,
  }
}

/**
 * Builds a command's context from its global options.
 *
 * @param options - checked options
 * @param streams - where to write (the process's own by default)
 * @returns the context
 */
export function createContext(
  options: GlobalOptions,
  streams: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process,
): Context {
  const out = new Output({ stdout: streams.stdout, stderr: streams.stderr, json: options.json, quiet: options.quiet })
  return {
    options,
    out,
    explain: { dataDir: options.dataDir, port: options.port, host: options.host },
    logger: createCliLogger({ debug: options.debug, components: options.debugComponents }, (line) => out.log(line)),
  }
}

/**
 * The listen address of a node for the options: `tcp://host:port`.
 *
 * @param options - host and port
 * @returns the transport address
 */
export function listenAddress(options: Pick<GlobalOptions, 'host' | 'port'>): string {
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return `tcp://${host}:${options.port ?? 0}`
}

/** The path of the WebSocket listener: `ws://host:port/mycel`. */
export const WEBSOCKET_PATH = '/mycel'

/**
 * The listen addresses of a node for the options: `tcp://host:port`, and
 * `ws://host:port/mycel` with `--ws` (the node tells peers both in its hello).
 *
 * @param options - host, port and WebSocket port
 * @returns the transport addresses
 */
export function listenAddresses(options: Pick<GlobalOptions, 'host' | 'port' | 'wsPort'>): string[] {
  const tcp = listenAddress(options)
  if (options.wsPort === undefined) return [tcp]
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return [tcp, `ws://${host}:${options.wsPort}${WEBSOCKET_PATH}`]
}

/**
 * Reads `--piece-length`: a power of two from 16 KiB to 16 MiB, such as `256k` or `1MiB` (`k` and `M` read as KiB and MiB here).
 *
 * @param text - the option's text
 * @returns bytes
 * @throws {@link CliError} `USAGE`
 */
export function parsePieceLength(text: string): number {
  const bytes = parseSize(text.replace(/^(\d+)\s*([kmg])$/i, '$1$2iB'))
  if (bytes === undefined || bytes < 16 * 1024 || bytes > 16 * 1024 * 1024 || (bytes & (bytes - 1)) !== 0) {
    throw CliError.usage(`--piece-length must be a power of two from 16KiB to 16MiB, not ${JSON.stringify(text)}`)
  }
  return bytes
}
