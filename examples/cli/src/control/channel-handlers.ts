import { type ChannelEntry, type ChannelInfo, type MycelNode, parsePolicy } from '@mycel/node'
import { CliError } from '../errors.js'
import type { ControlHandler } from './server.js'

/** How long a publish waits for the DHT put of its version before it answers. */
const PUT_TIMEOUT_MS = 30_000

/** What `channel publish` gives for one share: the infohash, and what the node does not know of it. */
export interface EntryInput {
  infohash: string
  name?: string
  size?: number
  text?: string
}

/** A channel command's operation, run by a node here or in the running process. */
export type ChannelOperation =
  | { op: 'create'; title: string; private: boolean }
  | { op: 'publish'; channel: string; entries: EntryInput[] }
  | { op: 'unpublish'; channel: string; infohashes: string[] }
  | { op: 'list' }
  | { op: 'subscriptions' }
  | { op: 'subscribe'; link: string; policy: string }
  | { op: 'unsubscribe'; channel: string }
  | { op: 'export-key'; channel: string }
  | { op: 'import-key'; text: string }

/** What an operation answers: the channels it changed or lists, the DHT nodes its version reached, an exported key. */
export interface ChannelResult {
  channels?: ChannelInfo[]
  stored?: number
  key?: string
}

/**
 * Fills an entry from the share's manifest when the node knows it.
 * @throws `CliError` `USAGE` for a share the node does not know without `--name` and `--size`
 */
async function entryOf(node: MycelNode, input: EntryInput): Promise<ChannelEntry> {
  const infohash = String(input.infohash).toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(infohash)) throw CliError.usage(`not an infohash: ${JSON.stringify(input.infohash)}`)
  const manifest = input.name === undefined || input.size === undefined ? await node.getManifest(infohash) : undefined
  const name = input.name ?? manifest?.name
  const size = input.size ?? manifest?.totalLength
  if (name === undefined || size === undefined) {
    throw CliError.usage(
      `this data folder does not know the share ${infohash.slice(0, 12)}`,
      'give --name and --size, or publish a share this data folder made or downloaded',
    )
  }
  return {
    infohash,
    name,
    size,
    time: Math.floor(Date.now() / 1000),
    ...(input.text === undefined ? {} : { text: input.text }),
  }
}

/** Waits for the DHT put of a channel's latest version, at most {@link PUT_TIMEOUT_MS}. */
async function putNow(node: MycelNode, channel: string): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(0), PUT_TIMEOUT_MS)
  })
  try {
    return await Promise.race([node.channels.republish(channel), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs a channel operation on a node.
 * @param node - the node of the data folder
 * @param operation - what to do
 * @returns its result
 * @throws the node's `NodeError` (`CHANNEL_*`), `CliError` `USAGE`
 */
export async function runChannelOperation(node: MycelNode, operation: ChannelOperation): Promise<ChannelResult> {
  const { channels } = node
  switch (operation.op) {
    case 'create': {
      const channel = await channels.create({ title: operation.title, private: operation.private })
      return { channels: [channel], stored: await putNow(node, channel.publicKey) }
    }
    case 'publish': {
      const entries = []
      for (const input of operation.entries) entries.push(await entryOf(node, input))
      const channel = await channels.publish(operation.channel, entries)
      return { channels: [channel], stored: await putNow(node, channel.publicKey) }
    }
    case 'unpublish': {
      const channel = await channels.unpublish(operation.channel, operation.infohashes)
      return { channels: [channel], stored: await putNow(node, channel.publicKey) }
    }
    case 'list':
      return { channels: await channels.list() }
    case 'subscriptions':
      return { channels: await channels.subscriptions() }
    case 'subscribe':
      return { channels: [await channels.subscribe(operation.link, { policy: parsePolicy(operation.policy) })] }
    case 'unsubscribe':
      await channels.unsubscribe(operation.channel)
      return {}
    case 'export-key':
      return { key: await channels.exportKey(operation.channel) }
    case 'import-key':
      return { channels: [await channels.importKey(operation.text)] }
  }
}

/**
 * The `channel` control method of a running process: the channel commands
 * run beside it go through its node (its data folder is busy).
 * @param node - the node of this process
 * @returns the handler
 */
export function channelControlHandler(node: MycelNode): ControlHandler {
  return async (params) => runChannelOperation(node, checkOperation(params))
}

/** The fields each operation takes, and their types (a request of the control socket or the daemon's API). */
const FIELDS: Record<ChannelOperation['op'], Record<string, 'string' | 'boolean' | 'strings' | 'entries'>> = {
  create: { title: 'string', private: 'boolean' },
  publish: { channel: 'string', entries: 'entries' },
  unpublish: { channel: 'string', infohashes: 'strings' },
  list: {},
  subscriptions: {},
  subscribe: { link: 'string', policy: 'string' },
  unsubscribe: { channel: 'string' },
  'export-key': { channel: 'string' },
  'import-key': { text: 'string' },
}

const isEntry = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false
  const { infohash, name, size, text } = value as Record<string, unknown>
  return (
    typeof infohash === 'string' &&
    (name === undefined || typeof name === 'string') &&
    (size === undefined || (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0)) &&
    (text === undefined || typeof text === 'string')
  )
}

/**
 * Checks that a request is a channel operation with fields of the right types.
 * @throws `CliError` `USAGE` naming the operation or field that is wrong
 */
function checkOperation(params: Record<string, unknown>): ChannelOperation {
  const op = params.op
  if (typeof op !== 'string' || !Object.hasOwn(FIELDS, op)) throw CliError.usage('unknown channel operation')
  for (const [field, kind] of Object.entries(FIELDS[op as ChannelOperation['op']])) {
    const value = params[field]
    const ok =
      kind === 'strings'
        ? Array.isArray(value) && value.length <= 10_000 && value.every((item) => typeof item === 'string')
        : kind === 'entries'
          ? Array.isArray(value) && value.length <= 10_000 && value.every(isEntry)
          : typeof value === kind
    if (!ok)
      throw CliError.usage(`channel ${op}: ${field} must be ${kind === 'entries' ? 'a list of entries' : `a ${kind}`}`)
  }
  return params as unknown as ChannelOperation
}
