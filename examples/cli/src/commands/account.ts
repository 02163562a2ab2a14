import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AGENT } from '@mycel/node'
import { encodeTorrent } from '@mycel/pieces'
import { loadOrCreateIdentity } from '@mycel/transport/node'
import { toHex } from '@mycel/wire'
import type { Command } from 'commander'
import { withNodeAccess } from '../access/open.js'
import type { Context } from '../context.js'
import { findShareManifest } from '../share-lookup.js'
import { callTracker, chooseTracker, readPassword, requireSession, storeSession } from '../tracker-account.js'

/** Options of the account commands. */
interface TrackerOption {
  tracker?: string
}

/** How commands are attached to the program (the program's `action` wrapper). */
export type ActionOf = (
  run: (context: Context, ...args: never[]) => Promise<number>,
) => (...args: unknown[]) => Promise<void>

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

async function enter(
  context: Context,
  path: '/accounts' | '/sessions',
  name: string,
  options: TrackerOption & { passwordStdin?: boolean },
): Promise<number> {
  const { base } = await chooseTracker(context.options.dataDir, options.tracker)
  const password = await readPassword(options.passwordStdin === true)
  const answer = await callTracker(base, 'POST', path, { json: { name, password } })
  const token = String(answer.json.token)
  const expiresAt = Number(answer.json.expiresAt)
  const user = answer.json.user as { name: string; role: string }
  // The data folder's peer id goes to the account: receipts name accounts by it, and the node signs its announces with it.
  const peerKey = await bindPeerKey(context, base, token)
  const me = (await callTracker(base, 'GET', '/me', { token })).json
  const announce = typeof me.announce === 'string' ? me.announce : undefined
  await storeSession(context.options.dataDir, base, {
    name: user.name,
    token,
    expiresAt,
    ...(announce === undefined ? {} : { announce }),
    ...(peerKey === undefined ? {} : { peerKey }),
  })
  context.out.result(
    [
      `${path === '/accounts' ? 'registered and logged in' : 'logged in'} as ${user.name} (${user.role}) at ${base}`,
      `your announce URL: ${String(me.announce)}`,
      ...(peerKey === undefined
        ? []
        : [
            "this data folder's peer id is bound to the account: mycel share and get hand the tracker your receipts, " +
              'report peers that send corrupt data, and sign announces to its plain /announce URL',
          ]),
    ],
    {
      tracker: base,
      name: user.name,
      role: user.role,
      announce: me.announce,
      expiresAt,
      peerKeyBound: peerKey !== undefined,
    },
  )
  return 0
}

/**
 * Binds the data folder's identity (its Ed25519 key) to the account. A key
 * the tracker refuses (bound to another account) is said and left.
 * @returns the key (hex) when it is bound
 */
async function bindPeerKey(context: Context, base: string, token: string): Promise<string | undefined> {
  if (context.options.anonymous) return undefined // a fresh identity per session: nothing to bind
  const { dataDir } = context.options
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const identity = await loadOrCreateIdentity(join(dataDir, 'identity.json'))
  const peerKey = toHex(identity.peerId)
  try {
    await callTracker(base, 'PUT', '/me/peer-key', { token, json: { peerKey } })
    return peerKey
  } catch (error) {
    context.out.warn(
      `the peer id of this data folder could not be bound to the account: ${(error as Error).message}; ` +
        'the node will not hand in receipts nor sign announces for it',
    )
    return undefined
  }
}

/** `mycel account logout`: ends the session at the tracker and forgets it here. */
async function logout(context: Context, options: TrackerOption): Promise<number> {
  const { base, session } = await chooseTracker(context.options.dataDir, options.tracker)
  if (session !== undefined) {
    await callTracker(base, 'DELETE', '/sessions/current', { token: session.token }).catch(() => undefined)
  }
  await storeSession(context.options.dataDir, base, undefined)
  context.out.result([`logged out of ${base}`], { tracker: base, loggedOut: true })
  return 0
}

/** `mycel credits`: the account's credits, reputation and counters. */
async function credits(context: Context, options: TrackerOption): Promise<number> {
  const { base, session } = await chooseTracker(context.options.dataDir, options.tracker)
  const me = (await callTracker(base, 'GET', '/me', { token: requireSession(base, session).token })).json
  const verified = me.verified as { uploaded: number; downloaded: number }
  const reported = me.selfReported as { uploaded: number; downloaded: number; seedingSeconds: number }
  context.out.result(
    [
      `${String(me.name)} at ${base}`,
      `credits     ${String(me.credits)} bytes`,
      `reputation  ${String(me.reputation)}`,
      `verified    up ${size(verified.uploaded)}, down ${size(verified.downloaded)} (from receipts)`,
      `reported    up ${size(reported.uploaded)}, down ${size(reported.downloaded)}, seeding ${Math.floor(reported.seedingSeconds / 3600)} h (self-reported by clients)`,
    ],
    { tracker: base, name: me.name, credits: me.credits, reputation: me.reputation, verified, selfReported: reported },
  )
  return 0
}

/** `mycel browse [query]`: the tracker's catalogue. */
async function browse(
  context: Context,
  words: string[],
  options: TrackerOption & { sort?: string; limit?: string },
): Promise<number> {
  const { base } = await chooseTracker(context.options.dataDir, options.tracker)
  const query = new URLSearchParams({ q: words.join(' ') })
  if (options.sort !== undefined) query.set('sort', options.sort)
  if (options.limit !== undefined) query.set('limit', options.limit)
  const entries = (await callTracker(base, 'GET', `/torrents?${query}`)).json.torrents as Array<
    Record<string, unknown> & { name: string; size: number; seeders: number; leechers: number; completed: number }
  >
  context.out.result(
    () =>
      entries.length === 0
        ? ['nothing found']
        : entries.map(
            (entry) =>
              `${String(entry.infohashV2 ?? entry.infohash)}  ${size(entry.size).padStart(10)}  ${entry.seeders} seeders, ${entry.leechers} leechers, ${entry.completed} done  ${entry.name}  (by ${String(entry.uploader ?? '-')})`,
          ),
    { tracker: base, torrents: entries },
  )
  return 0
}

/** `mycel publish <infohash>`: lists a share of the data folder in the tracker's catalogue (its v2 .torrent). */
async function publish(context: Context, input: string, options: TrackerOption): Promise<number> {
  const { base, session } = await chooseTracker(context.options.dataDir, options.tracker)
  const token = requireSession(base, session).token
  const torrent = await withNodeAccess(context, async (access) => {
    const { manifest } = await findShareManifest(
      access,
      input,
      context.options.dataDir,
      'wait until mycel get has found a peer, then publish again',
    )
    return encodeTorrent(manifest, { createdBy: AGENT })
  })
  const entry = (await callTracker(base, 'POST', '/torrents', { token, body: torrent.bytes })).json.torrent as {
    name: string
    infohash: string
  }
  const me = (await callTracker(base, 'GET', '/me', { token })).json
  context.out.result([`listed ${entry.name} at ${base}`, `seed it with the announce URL ${String(me.announce)}`], {
    tracker: base,
    torrent: entry,
    announce: me.announce,
  })
  return 0
}

/**
 * Adds `account register|login|logout`, `browse`, `publish` and `credits`.
 *
 * @param program - the `mycel` program
 * @param action - its action wrapper (context, exit status)
 */
export function addTrackerAccountCommands(program: Command, action: ActionOf): void {
  const tracker = '--tracker <url>'
  const trackerHelp = "the tracker's web address (http://host:6970); default: the one you are logged in to"
  const account = program.command('account').description('your account at a mycel-tracker (private trackers)')
  for (const [command, path, description] of [
    ['register', '/accounts', 'create an account and log in'],
    ['login', '/sessions', 'log in (the session lasts an hour)'],
  ] as const) {
    account
      .command(command)
      .description(description)
      .argument('<name>', 'account name')
      .requiredOption(tracker, "the tracker's web address (http://host:6970)")
      .option(
        '--password-stdin',
        'read the password from the first line of standard input (else MYCEL_TRACKER_PASSWORD)',
      )
      .action(
        action((context, name: string, options: TrackerOption & { passwordStdin?: boolean }) =>
          enter(context, path, name, options),
        ),
      )
  }
  account
    .command('logout')
    .description('end the session')
    .option(tracker, trackerHelp)
    .action(action((context, options: TrackerOption) => logout(context, options)))
  program
    .command('browse')
    .description("list or search a tracker's catalogue")
    .argument('[words...]', 'words the names must have (prefixes)')
    .option(tracker, trackerHelp)
    .option('--sort <order>', 'date (newest first, the default) or seeders')
    .option('--limit <n>', 'entries (1 to 100, default 50)')
    .action(
      action((context, words: string[], options: TrackerOption & { sort?: string; limit?: string }) =>
        browse(context, words, options),
      ),
    )
  program
    .command('publish')
    .description("list a share of this data folder in a tracker's catalogue")
    .argument('<infohash>', 'infohash, a prefix of it as mycel ls shows, or a magnet link')
    .option(tracker, trackerHelp)
    .action(action((context, input: string, options: TrackerOption) => publish(context, input, options)))
  program
    .command('credits')
    .description('your credits, reputation and transfer counters at a tracker')
    .option(tracker, trackerHelp)
    .action(action((context, options: TrackerOption) => credits(context, options)))
}
