/**
 * The `mycel-tracker` command: `serve` (the default) runs the tracker until
 * SIGINT or SIGTERM; `whitelist add|rm|ls` edits the registered infohashes
 * (a running tracker picks the change up within its flush interval);
 * `stats` prints the stored totals.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { toHex } from '@mycel/wire'
import { Command, CommanderError, Option } from 'commander'
import packageJson from '../package.json' with { type: 'json' }
import { AccountStore } from './accounts/store.js'
import {
  DEFAULT_API_PORT,
  DEFAULT_PORT,
  type ListenAddress,
  parseListenAddress,
  type TrackerOptions,
} from './config.js'
import type { RegisteredInfohash } from './core/registry.js'
import { COUNTER_NAMES } from './core/stats.js'
import { TrackerError } from './errors.js'
import type { LogLevel } from './log.js'
import { infohashEntries, torrentEntries } from './registration.js'
import { openStorage } from './storage/open.js'
import type { TrackerStorage } from './storage/storage.js'
import { createTracker } from './tracker.js'

/** The command's version, from its package.json. */
export const VERSION: string = packageJson.version

/** Exit status of a command used wrongly. */
const EXIT_USAGE = 2

/** The default database: `~/.mycel/tracker.db`. */
function defaultDatabase(): string {
  return join(homedir(), '.mycel', 'tracker.db')
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

function integerOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new TrackerError('CONFIG_INVALID', `${name} must be a non-negative integer, got ${JSON.stringify(value)}`)
  }
  return number
}

function addresses(values: string[] | undefined): readonly ListenAddress[] | undefined {
  if (values === undefined) return undefined
  if (values.length === 1 && values[0] === 'none') return []
  return values.map((value) => parseListenAddress(value))
}

function formatUrl(scheme: 'http' | 'udp' | 'ws', address: ListenAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host
  return `${scheme}://${host}:${address.port}/announce`
}

interface ServeOptions {
  database: string
  http?: string[]
  udp?: string[]
  ws?: string[]
  mode: string
  accounts?: boolean
  api?: string[]
  publicUrl?: string
  interval?: string
  minInterval?: string
  peerTtlFactor?: string
  maxSwarms?: string
  maxPeers?: string
  maxPeersPerSwarm?: string
  maxPeersPerAddress?: string
  rateLimit?: string
  rateBurst?: string
  trustProxy?: boolean
  flushInterval?: string
  json?: boolean
  debug?: boolean
  quiet?: boolean
}

/** The tracker options a `serve` command line gives. */
export function serveOptions(options: ServeOptions): TrackerOptions {
  if (options.mode !== 'open' && options.mode !== 'whitelist' && options.mode !== 'private') {
    throw new TrackerError(
      'CONFIG_INVALID',
      `--mode must be open, whitelist or private, got ${JSON.stringify(options.mode)}`,
    )
  }
  // Private mode is a tracker with accounts: --mode private implies --accounts.
  const accounts = options.accounts === true || options.mode === 'private'
  const api = addresses(options.api)
  if (options.publicUrl !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(options.publicUrl)) {
    throw new TrackerError(
      'CONFIG_INVALID',
      `--public-url must be http(s)://host[:port], got ${JSON.stringify(options.publicUrl)}`,
    )
  }
  const limits = {
    maxSwarms: integerOption(options.maxSwarms, '--max-swarms'),
    maxPeers: integerOption(options.maxPeers, '--max-peers'),
    maxPeersPerSwarm: integerOption(options.maxPeersPerSwarm, '--max-peers-per-swarm'),
    maxPeersPerAddress: integerOption(options.maxPeersPerAddress, '--max-peers-per-address'),
  }
  const perSecond = integerOption(options.rateLimit, '--rate-limit')
  const burst = integerOption(options.rateBurst, '--rate-burst')
  const interval = integerOption(options.interval, '--interval')
  const minInterval = integerOption(options.minInterval, '--min-interval')
  const flushSeconds = integerOption(options.flushInterval, '--flush-interval')
  const factor = options.peerTtlFactor === undefined ? undefined : Number(options.peerTtlFactor)
  const http = addresses(options.http)
  const udp = addresses(options.udp)
  const ws = addresses(options.ws)
  return {
    database: options.database,
    mode: options.mode,
    ...(accounts ? { accounts: true } : {}),
    ...(api !== undefined ? { api } : {}),
    ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
    ...(http !== undefined ? { http } : {}),
    ...(udp !== undefined ? { udp } : {}),
    ...(ws !== undefined ? { ws } : {}),
    ...(interval !== undefined ? { interval } : {}),
    ...(minInterval !== undefined ? { minInterval } : {}),
    ...(factor !== undefined ? { peerTtlFactor: factor } : {}),
    limits: Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)),
    rateLimit:
      perSecond === 0
        ? false
        : { ...(perSecond !== undefined ? { perSecond } : {}), ...(burst !== undefined ? { burst } : {}) },
    trustProxy: options.trustProxy === true,
    ...(flushSeconds !== undefined ? { flushIntervalMs: Math.max(1, flushSeconds) * 1000 } : {}),
  }
}

function logTo(debug: boolean, quiet: boolean): (level: LogLevel, message: string) => void {
  return (level, message) => {
    if (level === 'debug' && !debug) return
    if (level === 'info' && quiet) return
    process.stderr.write(`mycel-tracker: ${level === 'info' ? '' : `${level}: `}${message}\n`)
  }
}

async function serve(options: ServeOptions): Promise<number> {
  const log = logTo(options.debug === true, options.quiet === true)
  const tracker = await createTracker({ ...serveOptions(options), log })
  const urls = [
    ...tracker.http.map((address) => formatUrl('http', address)),
    ...tracker.udp.map((address) => formatUrl('udp', address)),
    ...tracker.ws.map((address) => formatUrl('ws', address)),
  ]
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ http: tracker.http, udp: tracker.udp, ws: tracker.ws, api: tracker.api, storage: tracker.storage.kind })}\n`,
    )
  } else {
    process.stdout.write(`mycel-tracker ${VERSION}: ${options.mode} tracker on ${tracker.storage.kind}\n`)
    for (const url of urls) process.stdout.write(`announce  ${url}\n`)
    for (const address of tracker.api) {
      const host = address.host.includes(':') ? `[${address.host}]` : address.host
      process.stdout.write(`web/API   http://${host}:${address.port}/ (JSON API under /api/v1)\n`)
    }
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  log('info', 'stopping: writing the last batch')
  await tracker.close()
  return 0
}

async function withStorage<T>(database: string, work: (storage: TrackerStorage) => Promise<T>): Promise<T> {
  const storage = await openStorage(database)
  try {
    return await work(storage)
  } finally {
    await storage.close()
  }
}

async function whitelistAdd(items: string[], options: { database: string; json?: boolean }): Promise<number> {
  const addedAt = Math.floor(Date.now() / 1000)
  const added: Array<{ name?: string; infohashes: string[] }> = []
  const entries: RegisteredInfohash[] = []
  for (const item of items) {
    if (/^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/.test(item)) {
      const these = infohashEntries(item, addedAt)
      entries.push(...these)
      added.push({ infohashes: these.map((entry) => toHex(entry.infohash)) })
    } else {
      const bytes = await readFile(item).catch((err: NodeJS.ErrnoException) => {
        throw new TrackerError('TORRENT_INVALID', `${item}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
      })
      const torrent = torrentEntries(bytes, addedAt)
      entries.push(...torrent.entries)
      added.push({ name: torrent.name, infohashes: torrent.entries.map((entry) => toHex(entry.infohash)) })
    }
  }
  await withStorage(options.database, (storage) => storage.register(entries))
  for (const item of added) {
    process.stdout.write(
      options.json
        ? `${JSON.stringify(item)}\n`
        : `registered ${item.name ?? ''}${item.name ? ': ' : ''}${item.infohashes.join(' ')}\n`,
    )
  }
  return 0
}

async function whitelistRemove(items: string[], options: { database: string; json?: boolean }): Promise<number> {
  const infohashes = items.map((item) => infohashEntries(item, 0)[0]?.infohash as Uint8Array)
  const removed = await withStorage(options.database, (storage) => storage.unregister(infohashes))
  process.stdout.write(options.json ? `${JSON.stringify({ removed })}\n` : `removed ${removed} registered infohashes\n`)
  return removed > 0 ? 0 : 1
}

async function whitelistList(options: { database: string; json?: boolean }): Promise<number> {
  const entries = await withStorage(options.database, (storage) => storage.registered())
  for (const entry of entries) {
    const row = {
      infohash: toHex(entry.infohash),
      swarm: toHex(entry.swarm),
      name: entry.name ?? null,
      addedAt: new Date(entry.addedAt * 1000).toISOString(),
    }
    process.stdout.write(
      options.json
        ? `${JSON.stringify(row)}\n`
        : `${row.infohash}  ${row.swarm === row.infohash ? '' : `(swarm ${row.swarm}) `}${row.name ?? ''}\n`,
    )
  }
  return 0
}

async function userRole(name: string, role: string, options: { database: string }): Promise<number> {
  if (role !== 'user' && role !== 'admin') {
    throw new TrackerError('CONFIG_INVALID', `the role is user or admin, got ${JSON.stringify(role)}`)
  }
  const found = await withStorage(options.database, (storage) =>
    new AccountStore(storage.sql).setRole(name.trim().toLowerCase(), role),
  )
  if (!found) {
    process.stderr.write(`mycel-tracker: no account named ${JSON.stringify(name)}\n`)
    return 1
  }
  process.stdout.write(`${name.trim().toLowerCase()} is now ${role === 'admin' ? 'an admin' : 'a user'}\n`)
  return 0
}

async function storedStats(options: { database: string; json?: boolean }): Promise<number> {
  const counters = await withStorage(options.database, (storage) => storage.counters())
  const totals = Object.fromEntries(COUNTER_NAMES.map((name) => [name, counters.get(name) ?? 0]))
  if (options.json) process.stdout.write(`${JSON.stringify(totals)}\n`)
  else for (const [name, value] of Object.entries(totals)) process.stdout.write(`${name.padEnd(16)} ${value}\n`)
  return 0
}

function databaseOption(): Option {
  return new Option('--database <file|url>', 'SQLite file or postgres:// URL')
    .env('MYCEL_TRACKER_DATABASE')
    .default(defaultDatabase(), '~/.mycel/tracker.db')
}

function buildProgram(state: { run?: Promise<number> }): Command {
  const program = new Command('mycel-tracker')
    .description('A BitTorrent tracker (HTTP and UDP, BEP 3/7/15/23/48) for stock clients and mycel nodes.')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(`mycel-tracker: ${text.replace(/^error: /, '').trim()} (see mycel-tracker --help)\n`),
    })
  program
    .command('serve', { isDefault: true })
    .description('run the tracker until SIGINT or SIGTERM')
    .addOption(databaseOption())
    .option('--http <host:port>', `HTTP address, repeatable, or "none" (default [::]:${DEFAULT_PORT})`, collect)
    .option('--udp <host:port>', `UDP address, repeatable, or "none" (default [::]:${DEFAULT_PORT})`, collect)
    .option('--ws <host:port>', 'WebSocket (WebRTC signalling) address, repeatable (default none)', collect)
    .addOption(
      new Option(
        '--mode <mode>',
        'open: any infohash; whitelist: registered ones only; private: registered ones, with a passkey (implies --accounts)',
      ).default('open'),
    )
    .option('--accounts', 'accounts, the catalogue, credits, the JSON API and the web page')
    .option(
      '--api <host:port>',
      `JSON API and web page address, repeatable (default [::]:${DEFAULT_API_PORT})`,
      collect,
    )
    .option('--public-url <url>', 'the HTTP base users announce to (http(s)://host[:port]), for their passkey URLs')
    .option('--interval <seconds>', 'announce interval clients are told (default 1800)')
    .option('--min-interval <seconds>', 'minimum announce interval (default 60)')
    .option('--peer-ttl-factor <n>', 'drop a peer after interval times this without an announce (default 2)')
    .option('--max-swarms <n>', 'swarms in memory (default 1000000)')
    .option('--max-peers <n>', 'peers in all swarms (default 2000000)')
    .option('--max-peers-per-swarm <n>', 'peers in one swarm (default 200000)')
    .option('--max-peers-per-address <n>', 'peer entries of one IP address, or IPv6 /64 (default 10000)')
    .option('--rate-limit <n>', 'requests per second per address, 0 for no limit (default 50)')
    .option('--rate-burst <n>', 'requests at once per address (default 200)')
    .option('--trust-proxy', 'take client addresses from X-Forwarded-For (only behind a reverse proxy)')
    .option('--flush-interval <seconds>', 'seconds between writes to the database (default 5)')
    .option('--json', 'print the listen addresses as one JSON line')
    .option('--debug', 'log every refused request and why')
    .option('-q, --quiet', 'log warnings and errors only')
    .action((options: ServeOptions) => {
      state.run = serve(options)
    })
  const whitelist = program.command('whitelist').description('the registered infohashes (the whitelist)')
  whitelist
    .command('add')
    .description('register .torrent files (v1, v2, hybrid) or infohashes (40 or 64 hex digits)')
    .argument('<torrent-or-infohash...>')
    .addOption(databaseOption())
    .option('--json', 'one JSON line per item')
    .action((items: string[], options: { database: string; json?: boolean }) => {
      state.run = whitelistAdd(items, options)
    })
  whitelist
    .command('rm')
    .description('remove registered infohashes (a hybrid torrent goes whole)')
    .argument('<infohash...>')
    .addOption(databaseOption())
    .option('--json', 'print a JSON line')
    .action((items: string[], options: { database: string; json?: boolean }) => {
      state.run = whitelistRemove(items, options)
    })
  whitelist
    .command('ls')
    .description('list the registered infohashes')
    .addOption(databaseOption())
    .option('--json', 'one JSON line per infohash')
    .action((options: { database: string; json?: boolean }) => {
      state.run = whitelistList(options)
    })
  program
    .command('user')
    .description('accounts (with --accounts or --mode private)')
    .command('role')
    .description('make an account an admin, or a user again')
    .argument('<name>')
    .argument('<role>', 'admin or user')
    .addOption(databaseOption())
    .action((name: string, role: string, options: { database: string }) => {
      state.run = userRole(name, role, options)
    })
  program
    .command('stats')
    .description('print the totals stored in the database')
    .addOption(databaseOption())
    .option('--json', 'print one JSON line')
    .action((options: { database: string; json?: boolean }) => {
      state.run = storedStats(options)
    })
  return program
}

/**
 * Runs the command line.
 *
 * @param argv - `process.argv`
 * @returns the exit status
 */
export async function main(argv: readonly string[]): Promise<number> {
  const state: { run?: Promise<number> } = {}
  try {
    await buildProgram(state).parseAsync([...argv])
    return await (state.run ?? Promise.resolve(0))
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE
    if (err instanceof TrackerError) {
      process.stderr.write(`mycel-tracker: ${err.message}\n`)
      return err.code === 'CONFIG_INVALID' || err.code === 'DATABASE_URL_INVALID' ? EXIT_USAGE : 1
    }
    throw err
  }
}
