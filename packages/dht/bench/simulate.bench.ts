/**
 * Lookup simulation on the memory network, in virtual time: 5,000 nodes join
 * one by one (16 at a time) through a bootstrap node, then 500 random
 * `find_node` lookups run with all nodes up, and 500 more after 20% of the
 * nodes have gone (churn). A lookup succeeds when the k nodes it returns are
 * exactly the k live nodes closest to the target (computed by brute force).
 * "queries" counts the nodes a lookup asked; "datagrams" adds the second
 * datagram sent to a node silent for 1 s (lost packet or gone node).
 * Run: `npm run bench -w @mycel/dht` (options: NODES=5000 LOOKUPS=500, and
 * NODES_PER_RESPONSE=8 to answer with BEP 5's 8 nodes instead of 16).
 */
import { compareDistance, type DhtNode, idToHex, type LookupSummary } from '../src/index.js'
import { createTestnet, ManualClock, MemoryNetwork } from '../src/testing.js'
import { prng } from '../test/prng.js'

const NODES = Number(process.env.NODES ?? 5000)
const LOOKUPS = Number(process.env.LOOKUPS ?? 500)
const CONCURRENT_LOOKUPS = 25
const K = 8
const NODES_PER_RESPONSE = Number(process.env.NODES_PER_RESPONSE ?? 2 * K)

const random = prng(0x6d79636c)
const randomId = () => Uint8Array.from({ length: 20 }, () => Math.floor(random() * 256))
const gc = (globalThis as { gc?: () => void }).gc

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

function heapUsed(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

const heapBefore = heapUsed()
const clock = new ManualClock()
const network = new MemoryNetwork({ clock, latency: { min: 10, max: 100 }, random })
const ids = Array.from({ length: NODES }, randomId)
const start = performance.now()
const testnet = await createTestnet(NODES, {
  network,
  id: (index) => ids[index] as Uint8Array,
  nodeOptions: { k: K, nodesPerResponse: NODES_PER_RESPONSE },
})
const buildSeconds = (performance.now() - start) / 1000
const buildVirtual = clock.now()
const heapAfter = heapUsed()
const tableSizes = testnet.nodes.map((node) => node.stats().routingTable.nodes)

interface PhaseResult {
  churn: number
  lookups: number
  success: number
  queries: number[]
  rounds: number[]
  datagrams: number[]
  wallSeconds: number
}

async function phase(churn: number): Promise<PhaseResult> {
  const down = new Set(network.churn(churn).map((address) => `${address.host}:${address.port}`))
  const live = testnet.nodes.filter((node) => !down.has(`${node.address.host}:${node.address.port}`))
  const jobs = Array.from({ length: LOOKUPS }, () => ({
    origin: live[Math.floor(random() * live.length)] as DhtNode,
    target: randomId(),
  }))
  const results: { summary: LookupSummary; ok: boolean }[] = []
  const started = performance.now()
  let next = 0
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as (typeof jobs)[number]
      const summary = await job.origin.findNode(job.target)
      const truth = live
        .filter((node) => node !== job.origin)
        .map((node) => node.id)
        .sort((a, b) => compareDistance(a, b, job.target))
        .slice(0, K)
        .map(idToHex)
      const found = summary.closest.map((node) => idToHex(node.id))
      results.push({ summary, ok: found.length === K && found.every((id, index) => id === truth[index]) })
    }
  }
  await testnet.settle(Promise.all(Array.from({ length: CONCURRENT_LOOKUPS }, worker)), { maxTime: 24 * 3_600_000 })
  const wallSeconds = (performance.now() - started) / 1000
  network.heal()
  return {
    churn,
    lookups: results.length,
    success: results.filter((result) => result.ok).length,
    queries: results.map((result) => result.summary.queries),
    rounds: results.map((result) => result.summary.rounds),
    datagrams: results.map((result) => result.summary.datagrams),
    wallSeconds,
  }
}

const phases = [await phase(0), await phase(0.2)]
await testnet.close()

console.log(
  `@mycel/dht lookup simulation (Node ${process.version}): ${NODES} nodes, k = ${K}, alpha = 3, ` +
    `${NODES_PER_RESPONSE} nodes per answer, latency 10-100 ms, ` +
    `${LOOKUPS} find_node lookups per phase, ${CONCURRENT_LOOKUPS} at a time`,
)
console.log(
  `network built in ${buildSeconds.toFixed(1)} s wall (${(buildVirtual / 1000).toFixed(0)} s virtual); ` +
    `routing table median ${percentile(tableSizes, 50)} nodes; ` +
    (gc === undefined
      ? 'memory per node: run with --expose-gc'
      : `memory per node ${((heapAfter - heapBefore) / NODES / 1024).toFixed(1)} KiB (JS heap)`),
)
console.table(
  phases.map((result) => ({
    churn: `${result.churn * 100}%`,
    success: `${((100 * result.success) / result.lookups).toFixed(1)}% (${result.success}/${result.lookups})`,
    'queries median': percentile(result.queries, 50),
    'queries p95': percentile(result.queries, 95),
    'datagrams median': percentile(result.datagrams, 50),
    'rounds median': percentile(result.rounds, 50),
    'rounds p95': percentile(result.rounds, 95),
    'wall s': result.wallSeconds.toFixed(1),
  })),
)
const [calm, churned] = phases as [PhaseResult, PhaseResult]
console.log(
  `targets: 100% success at 0% churn: ${calm.success === calm.lookups ? 'met' : 'MISSED'}; ` +
    `>= 99% at 20% churn: ${churned.success >= 0.99 * churned.lookups ? 'met' : 'MISSED'}; ` +
    `median queries < 60: ${Math.max(percentile(calm.queries, 50), percentile(churned.queries, 50)) < 60 ? 'met' : 'MISSED'}`,
)
