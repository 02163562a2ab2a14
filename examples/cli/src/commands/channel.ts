import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ChannelInfo, type ChannelUpdate, isChannelLink, parsePolicy } from '@mycel/node'
import { parseMagnet } from '@mycel/pieces'
import type { Context } from '../context.js'
import {
  type ChannelOperation,
  type ChannelResult,
  type EntryInput,
  runChannelOperation,
} from '../control/channel-handlers.js'
import { ControlClient } from '../control/client.js'
import { CONTROL_SOCKET_NAME } from '../control/protocol.js'
import { CliError } from '../errors.js'
import { formatBytes, parseSize } from '../format.js'
import { Lifetime } from '../lifetime.js'
import { seedUntilStopped } from '../seeding.js'
import { openNodeSession } from '../session.js'
import { withSession } from './private.js'

/** How long an operation through the running process may take (a publish waits for its DHT put). */
const REMOTE_TIMEOUT_MS = 60_000

/**
 * Runs a channel operation: through the process running for the data
 * folder (its node serves the channels), or on a node of this process for
 * the length of the command.
 */
async function operate(context: Context, operation: ChannelOperation): Promise<ChannelResult> {
  const client = await ControlClient.connect(join(context.options.dataDir, CONTROL_SOCKET_NAME))
  if (client !== undefined) {
    return (await client.call('channel', operation, { timeoutMs: REMOTE_TIMEOUT_MS })) as ChannelResult
  }
  let result: ChannelResult = {}
  await withSession(context, async (session) => {
    result = await runChannelOperation(session.node, operation)
    return 0
  })
  return result
}

/** The lines and JSON of channels. */
function printChannels(context: Context, channels: readonly ChannelInfo[], event: string, stored?: number): void {
  context.out.result(
    () =>
      channels.flatMap((channel) => [
        `${channel.title ?? '(untitled)'}${channel.private ? '  (private)' : ''}${channel.readable ? '' : '  (unreadable: no read key)'}`,
        `  key      ${channel.publicKey}`,
        `  link     ${channel.link}`,
        `  version  ${channel.seq === undefined ? 'none yet' : new Date(channel.seq).toISOString()}, ${channel.entries.length} entr${channel.entries.length === 1 ? 'y' : 'ies'}`,
        ...(channel.subscribed ? [`  policy   ${policyText(channel.policy)}`] : []),
        ...channel.entries.map(
          (entry) => `    ${entry.infohash.slice(0, 12)}  ${formatBytes(entry.size).padStart(10)}  ${entry.name}`,
        ),
      ]),
    { event, channels, ...(stored === undefined ? {} : { dhtNodes: stored }) },
  )
  if (stored !== undefined && context.options.bootstrap.length > 0) {
    context.out.note(
      stored > 0
        ? `put in the DHT at ${stored} node${stored === 1 ? '' : 's'}`
        : 'no DHT node stored it yet (a running node tries again)',
    )
  }
}

function policyText(policy: ChannelInfo['policy']): string {
  switch (policy.type) {
    case 'match':
      return `match:${policy.text}`
    case 'max-size':
      return `max-size:${policy.bytes}`
    default:
      return policy.type
  }
}

/**
 * `mycel channel create <title> [--private]`: makes a channel (a new key
 * kept in the data folder) and prints its link.
 */
export async function runChannelCreate(
  context: Context,
  title: string,
  options: { private?: boolean },
): Promise<number> {
  const result = await operate(context, { op: 'create', title, private: options.private === true })
  printChannels(context, result.channels ?? [], 'channel-created', result.stored)
  if (options.private === true) context.out.note('the link carries the read key: give it only to those who may read')
  return 0
}

/** Options of `mycel channel publish`. */
export interface PublishOptions {
  name?: string
  size?: string
  text?: string
}

/**
 * `mycel channel publish <channel> <share...>`: lists shares in a channel
 * owned here (name and size from the share's manifest, or `--name` and
 * `--size`) and publishes the new version.
 */
export async function runChannelPublish(
  context: Context,
  channel: string,
  shares: string[],
  options: PublishOptions,
): Promise<number> {
  const size = options.size === undefined ? undefined : parseSize(options.size)
  if (options.size !== undefined && size === undefined) throw CliError.usage(`not a size: ${options.size}`)
  if ((options.name !== undefined || size !== undefined) && shares.length > 1) {
    throw CliError.usage('--name and --size describe one share: publish others separately')
  }
  const entries: EntryInput[] = shares.map((share) => ({
    infohash: infohashOf(share),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(size === undefined ? {} : { size }),
    ...(options.text === undefined ? {} : { text: options.text }),
  }))
  const result = await operate(context, { op: 'publish', channel, entries })
  printChannels(context, result.channels ?? [], 'channel-published', result.stored)
  return 0
}

/** `mycel channel unpublish <channel> <share...>`: removes shares from a channel owned here. */
export async function runChannelUnpublish(context: Context, channel: string, shares: string[]): Promise<number> {
  const result = await operate(context, { op: 'unpublish', channel, infohashes: shares.map(infohashOf) })
  printChannels(context, result.channels ?? [], 'channel-published', result.stored)
  return 0
}

/** `mycel channel ls`: the channels owned in the data folder. */
export async function runChannelLs(context: Context): Promise<number> {
  const result = await operate(context, { op: 'list' })
  printChannels(context, result.channels ?? [], 'channels')
  return 0
}

/** `mycel subscriptions`: the channels subscribed to. */
export async function runSubscriptions(context: Context): Promise<number> {
  const result = await operate(context, { op: 'subscriptions' })
  printChannels(context, result.channels ?? [], 'subscriptions')
  return 0
}

/** `mycel channel export-key <channel> [-o file]`: the channel's secret key, to back up or move. */
export async function runChannelExportKey(
  context: Context,
  channel: string,
  options: { output?: string },
): Promise<number> {
  const { key } = await operate(context, { op: 'export-key', channel })
  if (key === undefined) throw new CliError('INTERNAL', 'no key came back')
  if (options.output !== undefined) {
    await writeFile(options.output, `${key}\n`, { mode: 0o600, flag: 'wx' })
    context.out.result([`wrote the key to ${options.output}`], { event: 'key-exported', path: options.output })
  } else {
    context.out.result([key], { event: 'key-exported', key: JSON.parse(key) as unknown })
  }
  context.out.note('whoever holds this key can publish in the channel: keep it secret')
  return 0
}

/** `mycel channel import-key <file>`: owns a channel whose key was exported elsewhere. */
export async function runChannelImportKey(context: Context, file: string): Promise<number> {
  const text = (await readFile(file, 'utf8')).trim()
  const result = await operate(context, { op: 'import-key', text })
  printChannels(context, result.channels ?? [], 'channel-imported')
  return 0
}

/** Options of `mycel subscribe`. */
export interface SubscribeOptions {
  auto?: string
  /** Seconds between DHT polls (0: none); default the node's. */
  poll?: string
}

/**
 * `mycel subscribe <link> [--auto ...]`: subscribes, then (unless a
 * process runs for the data folder, which takes the subscription) follows
 * the channel until Ctrl-C, printing each update and new entry, and
 * downloading new entries by policy.
 */
export async function runSubscribe(context: Context, link: string, options: SubscribeOptions): Promise<number> {
  if (!isChannelLink(link))
    throw CliError.usage('not a channel link', 'give mycel://channel/<key> as its publisher printed it')
  const policy = options.auto ?? 'none'
  try {
    parsePolicy(policy)
  } catch (error) {
    throw CliError.usage(error instanceof Error ? error.message : String(error))
  }
  const poll = options.poll === undefined ? undefined : Number(options.poll)
  if (poll !== undefined && !(Number.isFinite(poll) && poll >= 0))
    throw CliError.usage('--poll takes seconds (0: none)')
  const client = await ControlClient.connect(join(context.options.dataDir, CONTROL_SOCKET_NAME))
  if (client !== undefined) {
    const result = (await client.call(
      'channel',
      { op: 'subscribe', link, policy },
      { timeoutMs: REMOTE_TIMEOUT_MS },
    )) as ChannelResult
    printChannels(context, result.channels ?? [], 'subscribed')
    context.out.note('the running mycel process follows it')
    return 0
  }
  const lifetime = new Lifetime()
  try {
    const session = await openNodeSession(
      context,
      lifetime,
      poll === undefined ? {} : { node: { channels: { pollInterval: poll * 1000 } } },
    )
    try {
      const { node } = session
      const onUpdate = (update: ChannelUpdate) => {
        context.out.event('channel-update', { ...update, receivedAt: Date.now() })
        context.out.note(
          `channel ${update.publicKey.slice(0, 12)}: version ${new Date(update.seq).toISOString()} from ${update.source}${update.entries === undefined ? ' (unreadable: no read key)' : `, ${update.entries.length} entries`}`,
        )
      }
      node.channels.on('update', onUpdate)
      node.channels.on('republished', (publicKey, seq, nodes) => {
        context.out.event('channel-republished', { publicKey, seq, dhtNodes: nodes })
      })
      node.channels.on('entry-added', (publicKey, entry) => {
        context.out.event('entry-added', { publicKey, entry })
        context.out.note(
          `new in ${publicKey.slice(0, 12)}: ${entry.name} (${formatBytes(entry.size)}) ${entry.infohash}`,
        )
      })
      const result = await runChannelOperation(node, { op: 'subscribe', link, policy })
      printChannels(context, result.channels ?? [], 'subscribed')
      await seedUntilStopped(context, session, lifetime)
      return 0
    } catch (error) {
      if (lifetime.signalName !== undefined) throw lifetime.interruption('stopped while subscribing')
      throw error
    } finally {
      await session.close()
    }
  } finally {
    lifetime.dispose()
  }
}

/** The infohash of a share argument: 64 hex digits or a magnet link. */
function infohashOf(share: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(share)) return share.toLowerCase()
  try {
    return Buffer.from(parseMagnet(share).infohash).toString('hex')
  } catch {
    throw CliError.usage(`not an infohash or magnet link: ${JSON.stringify(share.slice(0, 80))}`)
  }
}
