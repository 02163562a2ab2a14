import type { DhtNode } from '@mycel/dht'
import { createUdpDhtNode } from '@mycel/dht/udp'
import type { Context } from '../context.js'
import { CliError, explain } from '../errors.js'
import { Lifetime } from '../lifetime.js'
import { ProgressView, progressModeOf } from '../progress.js'

/** The port `mycel dht` binds without `--port`: the usual Mainline DHT port. */
export const DEFAULT_DHT_PORT = 6881

/**
 * `mycel dht`: a DHT-only node that serves until Ctrl-C, as the bootstrap
 * node of a local network (the demo and the tests run one). It joins other
 * nodes only when `--bootstrap` is given.
 *
 * @param context - the command's context
 * @returns the exit status: 0 after a clean stop
 */
export async function runDht(context: Context): Promise<number> {
  const { out, options } = context
  if (options.proxy !== undefined) {
    throw CliError.usage('mycel dht cannot run with --proxy', 'the DHT speaks UDP, which cannot go through a proxy')
  }
  const port = options.port ?? DEFAULT_DHT_PORT
  const bootstrap = options.bootstrapGiven ? options.bootstrap : []
  const lifetime = new Lifetime()
  let dht: DhtNode
  try {
    dht = await createUdpDhtNode({ host: options.host, port, bootstrap, logger: context.logger })
  } catch (error) {
    lifetime.dispose()
    throw explain(error, { ...context.explain, port })
  }
  try {
    if (bootstrap.length > 0) void dht.bootstrap({ signal: lifetime.signal }).catch(() => {})
    const { host, port: bound } = dht.address
    const address = host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`
    const id = dht.stats().id
    out.result([`DHT node listening on udp://${address} (node id ${id})`], {
      event: 'listening',
      address,
      host,
      port: bound,
      id,
    })
    out.note(`others join with --bootstrap ${address}; press Ctrl-C to stop`)
    const view = new ProgressView(out, progressModeOf(out), { lineIntervalMs: 60_000, lifetime })
    const draw = () => {
      const stats = dht.stats()
      view.update({
        label: 'DHT node',
        done: 0,
        total: undefined,
        extra: `${stats.routingTable.nodes} nodes in the routing table, ${stats.storage.peers} peers stored, ${stats.queries.received} queries answered`,
      })
    }
    draw()
    const timer = setInterval(draw, 1000)
    await lifetime.stopped()
    clearInterval(timer)
    draw()
    view.finish()
    out.note('stopping...')
    return 0
  } finally {
    await dht.close()
    lifetime.dispose()
    out.event('stopped', {})
  }
}
