import { setTimeout as sleep } from 'node:timers/promises'
import type { MycelNode, Share } from '@mycel/node'
import { withNodeAccess } from '../access/open.js'
import type { Context } from '../context.js'
import { CliError } from '../errors.js'
import { findShare } from '../share-lookup.js'

/** Waits between attempts while no DHT node has stored a share's announcement, in seconds. */
const RETRY_SECONDS = [10, 30, 60, 120, 300]
/** How long one announcement may take. */
const ANNOUNCE_TIMEOUT_MS = 60_000

/** How many places took an announcement: DHT nodes that stored it and trackers that answered, counted together by the node. */
function stored(places: number): string {
  return `taken by ${places} DHT node${places === 1 ? '' : 's'} or tracker${places === 1 ? '' : 's'}`
}

/**
 * Announces a share on the DHT in the background, again and again (10 s,
 * 30 s, 1 min, ... 5 min apart) until at least one DHT node stores it; the
 * node itself re-announces every 15 minutes after that.
 *
 * @param context - the command's context
 * @param node - the running node
 * @param share - what to announce
 * @param signal - stops trying
 */
export function announceUntilStored(
  context: Context,
  node: MycelNode,
  share: Pick<Share, 'infohashHex' | 'name'>,
  signal: AbortSignal,
): void {
  const { out } = context
  void (async () => {
    for (let attempt = 0; !signal.aborted; attempt++) {
      let nodes = 0
      try {
        nodes = await node.announce(share.infohashHex, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(ANNOUNCE_TIMEOUT_MS)]),
        })
      } catch {
        if (signal.aborted) return
      }
      if (nodes > 0) {
        out.note(`announced ${share.name} on the DHT (${stored(nodes)})`)
        out.event('announced', { infohash: share.infohashHex, nodes })
        return
      }
      if (attempt === 0) {
        out.warn(
          `no DHT node or tracker has taken the announcement of ${share.name} yet; trying again (check --bootstrap; peers can also connect with --peer)`,
        )
      }
      const delay = RETRY_SECONDS[Math.min(attempt, RETRY_SECONDS.length - 1)] ?? 300
      await sleep(delay * 1000, undefined, { signal }).catch(() => {})
    }
  })()
}

/**
 * `mycel announce <infohash>`: asks the running process to announce a share
 * on the DHT now.
 *
 * @param context - the command's context
 * @param input - infohash, prefix or magnet link
 * @returns the exit status
 * @throws {@link CliError} `NOT_RUNNING` without a running process, `NOT_ANNOUNCED` when no DHT node or tracker took it
 */
export async function runAnnounce(context: Context, input: string): Promise<number> {
  return withNodeAccess(context, async (access) => {
    const share = findShare(input, await access.list(), context.options.dataDir)
    const nodes = await access.announce(share.infohash)
    if (nodes === 0) {
      throw new CliError(
        'NOT_ANNOUNCED',
        `no DHT node or tracker took the announcement of ${share.name}`,
        'check the --bootstrap of the running process; peers can still connect to it with --peer',
      )
    }
    context.out.result([`announced ${share.name} (${stored(nodes)})`], {
      infohash: share.infohash,
      name: share.name,
      nodes,
    })
    return 0
  })
}
