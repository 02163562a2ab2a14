import { withNodeAccess } from '../access/open.js'
import type { Context } from '../context.js'
import { formatBytes, formatDuration, formatRate, table } from '../format.js'
import type { StatusView } from '../views.js'

function statusLines(status: StatusView): string[] {
  const shares = status.shares
  const [complete, incomplete] = status.running ? ['seeding', 'downloading'] : ['complete', 'incomplete']
  const shareText = `${shares.total} (${shares.complete} ${complete}, ${shares.incomplete} ${incomplete}, ${shares.paused} paused, ${shares.error} in error)`
  const lines: [string, string][] = [['data folder', status.dataDir]]
  lines.push(['peer id', status.peerId ?? '(none yet: mycel id creates one)'])
  if (!status.running) {
    lines.push(['process', 'not running (mycel share or mycel get starts one)'])
    lines.push(['shares', shareText])
    lines.push(['uploaded', `${formatBytes(status.totalUploaded)} in all`])
    lines.push(['downloaded', `${formatBytes(status.totalDownloaded)} in all`])
    lines.push([
      'DHT',
      status.savedDhtNodes === null ? 'no saved routing table' : `${status.savedDhtNodes} nodes saved at the last stop`,
    ])
    return lines.map(([key, value]) => `${key.padEnd(12)}${value}`)
  }
  const uptime = status.startedAt === null ? '?' : formatDuration((Date.now() - Date.parse(status.startedAt)) / 1000)
  lines.push(['process', `running, pid ${status.pid}, up ${uptime}`])
  lines.push(['listening', status.addresses.join(', ') || '-'])
  lines.push(['connections', String(status.connections)])
  lines.push(['shares', shareText])
  const moved = (run: number, rate: number, total: number) =>
    `${formatBytes(run)} this run (${formatRate(rate)} now), ${formatBytes(total)} in all`
  lines.push(['uploaded', moved(status.bytesUploaded, status.uploadRate, status.totalUploaded)])
  lines.push(['downloaded', moved(status.bytesDownloaded, status.downloadRate, status.totalDownloaded)])
  const dht = status.dht
  lines.push([
    'DHT',
    dht === null
      ? 'off'
      : `${dht.address}, routing table ${dht.nodes} nodes (${dht.good} good, ${dht.questionable} questionable) in ${dht.buckets} buckets, ${dht.storedPeers} peers stored for others${dht.externalAddress === null ? '' : `, seen as ${dht.externalAddress}`}`,
  ])
  return lines.map(([key, value]) => `${key.padEnd(12)}${value}`)
}

/**
 * `mycel status`: the health of the data folder's node: peer id, process,
 * listen addresses, connections, shares, bytes up and down, DHT routing
 * table. Without a running process, what the state knows.
 *
 * @param context - the command's context
 * @returns the exit status
 */
export async function runStatus(context: Context): Promise<number> {
  return withNodeAccess(context, async (access) => {
    const status = await access.status()
    context.out.result(() => statusLines(status), status)
    return 0
  })
}

/**
 * `mycel peers`: the peers connected to the running process; without one,
 * says so and lists the peers the state remembers (scores, bans).
 *
 * @param context - the command's context
 * @returns the exit status
 */
export async function runPeers(context: Context): Promise<number> {
  return withNodeAccess(context, async (access) => {
    const peers = await access.peers()
    context.out.result(() => {
      if (!peers.running) {
        const lines = [`no mycel process is running for ${context.options.dataDir}, so no peer is connected`]
        if (peers.known.length === 0) return [...lines, 'no peers remembered yet']
        return [
          ...lines,
          'peers remembered from earlier runs:',
          ...table(
            ['PEER ID', 'SCORE', 'BANNED UNTIL'],
            peers.known.map((peer) => [peer.peerId, String(peer.score), peer.bannedUntil ?? '-']),
          ),
        ]
      }
      if (peers.connected.length === 0) return ['no peers connected']
      return table(
        ['PEER ID', 'DIR', 'ADDRESS', 'AGENT', 'RECEIVED', 'SENT'],
        peers.connected.map((peer) => [
          peer.peerId,
          peer.direction,
          peer.address ?? '-',
          peer.agent ?? '-',
          formatBytes(peer.bytesReceived),
          formatBytes(peer.bytesSent),
        ]),
      )
    }, peers)
    return 0
  })
}
