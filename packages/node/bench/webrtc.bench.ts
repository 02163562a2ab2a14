/**
 * WebRTC benchmark of `@mycel/node`: downloads over WebRTC data channels
 * signalled through a Node node that has not the share, and in the same run
 * the references over TCP and WebSocket, and WebTorrent where it can run:
 *
 * 1. Node to Node (`node-datachannel`), beside a Node downloader over TCP,
 * 2. Chromium page to Chromium page (two browser contexts), beside a page
 *    downloading from the Node seeder over WebSocket,
 * 3. WebTorrent's browser bundle in the same Chromium: page to page over
 *    WebRTC through a local WebSocket tracker, and from WebTorrent in Node
 *    (its WebRTC from the same `node-datachannel`) to a page,
 *
 * each the same size from 127.0.0.1 (32 MiB by default). Prints MiB/s, the
 * ratios mycel / WebTorrent, and the CPU seconds of this process (Node
 * peers and the orchestrator; the pages' CPU is Chromium's, not counted).
 * Every page's copy is hashed with SHA-256 in the page and compared with the
 * source. Needs Debian's `chromium-headless-shell` (`scripts/system-deps.sh`)
 * or `MYCEL_CHROMIUM`, and `node-datachannel` (a dev dependency); WebTorrent
 * is installed at bench time (`webtorrent-install.ts`).
 *
 * Run: `npx tsx packages/node/bench/webrtc.bench.ts`
 * (`MYCEL_BENCH_BYTES` sets the size; `MYCEL_BENCH_ONLY=node` runs the Node
 * cases only, `node-rtc` the Node-to-Node WebRTC download only, `MYCEL_BENCH_ROUNDS` repeats them, alternating TCP and WebRTC)
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, type MycelNode, type NodeOptions } from '@mycel/node'
import type { Browser } from 'playwright-core'
import { launchChromium, openPage } from '../../../test/browser/support/chromium.js'
import { openWebTorrentPage, seedWithNodeWebTorrent, startTracker } from './webrtc-webtorrent.js'
import { installWebTorrent } from './webtorrent-install.js'

const MiB = 1024 * 1024
const BYTES = Number(process.env.MYCEL_BENCH_BYTES ?? 32 * MiB)
const ONLY_NODE = process.env.MYCEL_BENCH_ONLY === 'node' || process.env.MYCEL_BENCH_ONLY === 'node-rtc'
/** Only the Node-to-Node WebRTC download (to profile it). */
const ONLY_RTC = process.env.MYCEL_BENCH_ONLY === 'node-rtc'
const ROUNDS = Number(process.env.MYCEL_BENCH_ROUNDS ?? 1)
/** How long a WebTorrent download may take before it counts as failed. */
const WEBTORRENT_TIMEOUT_MS = 300_000

interface PageCopy {
  milliseconds: number
  bytes: number
  sha256: string
}

const dir = await mkdtemp(join(tmpdir(), 'mycel-webrtc-bench-'))
const nodes: MycelNode[] = []
const node = async (name: string, options: Partial<NodeOptions> = {}): Promise<MycelNode> => {
  const made = await createNode({ dataDir: join(dir, name), listen: ['tcp://127.0.0.1:0'], dht: false, ...options })
  nodes.push(made)
  return made
}
const address = (of: MycelNode, scheme: string) => of.addresses.find((a) => a.startsWith(`${scheme}://`)) as string
const rate = (milliseconds: number) => BYTES / MiB / (milliseconds / 1000)
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1e6
}
/** Resolves once `of` has a connection to `peerId` whose `hello` arrived. */
const helloed = async (of: MycelNode, peerId: string): Promise<void> => {
  const ready = () => of.peers().some((peer) => peer.peerId === peerId && peer.agent !== undefined)
  while (!ready()) await new Promise<void>((resolve) => of.once('peer-connected', () => resolve()))
}
const sha256OfFile = async (path: string): Promise<string> => {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
/** Checks a page's copy against the source's hash. */
const verified = (what: string, copy: PageCopy, sha256: string): PageCopy => {
  if (copy.bytes !== BYTES) throw new Error(`${what}: the page holds ${copy.bytes} bytes, not ${BYTES}`)
  if (copy.sha256 !== sha256) throw new Error(`${what}: the page's copy hashes to ${copy.sha256}, not ${sha256}`)
  return copy
}
const withTimeout = <T>(what: string, promise: Promise<T>, ms: number): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms / 1000} s`)), ms)
  })
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer))
}
const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''

let browser: Browser | undefined
try {
  const relay = await node('relay', { listen: ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/mycel'] })
  const seeder = await node('seeder', { listen: ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/mycel'], webrtc: {} })
  await seeder.connect(address(relay, 'tcp'))
  const source = join(dir, 'bench.bin')
  for (let offset = 0; offset < BYTES; offset += 16 * MiB) {
    await writeFile(source, randomBytes(Math.min(16 * MiB, BYTES - offset)), { flag: offset === 0 ? 'w' : 'a' })
  }
  const sourceSha256 = await sha256OfFile(source)
  const share = await seeder.share(source)

  let leechers = 0
  const nodeDownload = async (peers: string[], options: Partial<NodeOptions> = {}) => {
    const name = `leecher-${leechers++}`
    const leecher = await node(name, options)
    if (options.webrtc !== undefined) {
      await leecher.connect(address(relay, 'tcp'))
      await helloed(relay, leecher.peerId)
    }
    const cpu = process.cpuUsage()
    const started = performance.now()
    const download = leecher.download(share.magnet, { dir: join(dir, name, 'downloads'), peers })
    await download.done()
    const took = performance.now() - started
    const cpuUsed = cpuSeconds(cpu)
    if ((await sha256OfFile(download.contentPath as string)) !== sourceSha256) throw new Error(`${name}: bad copy`)
    await leecher.close()
    return { rate: rate(took), cpu: cpuUsed }
  }
  const tcp: Array<{ rate: number; cpu: number }> = []
  const rtc: Array<{ rate: number; cpu: number }> = []
  for (let round = 0; round < ROUNDS; round++) {
    if (!ONLY_RTC) tcp.push(await nodeDownload([address(seeder, 'tcp')], { webrtc: false }))
    rtc.push(await nodeDownload([`webrtc://${seeder.peerId}`], { webrtc: {} }))
  }
  const runs = (list: Array<{ rate: number; cpu: number }>) =>
    list.map((run) => `${run.rate.toFixed(1)} MiB/s ${run.cpu.toFixed(2)} s CPU`).join(', ')

  console.log(`WebRTC downloads of ${BYTES / MiB} MiB on 127.0.0.1, signalled through a Node node without the share`)
  console.log('  (CPU: seconds of this process during the download, seeder and leecher together)')
  console.log(`  Node to Node over TCP (reference)                  ${runs(tcp)}`)
  console.log(`  Node to Node over WebRTC (node-datachannel)        ${runs(rtc)}`)
  if (!ONLY_NODE) await pageCases({ relay, seeder, magnet: share.magnet, source, sourceSha256 })
} finally {
  await browser?.close()
  await Promise.allSettled(nodes.map((made) => made.close()))
  await rm(dir, { recursive: true, force: true })
}

/** mycel's pages and WebTorrent's, from the Node seeder and from each other. */
async function pageCases(setup: {
  relay: MycelNode
  seeder: MycelNode
  magnet: string
  source: string
  sourceSha256: string
}): Promise<void> {
  const { relay, seeder, magnet, source, sourceSha256 } = setup
  browser = await launchChromium()
  const seederPage = await openPage(browser, 'test/browser/entries/webrtc.ts')
  const leecherPage = await openPage(browser, 'test/browser/entries/webrtc.ts')
  const pageSeeder = await seederPage.call<{ peerId: string }>('start', 'bench-seeder')
  await leecherPage.call('start', 'bench-leecher')
  const wsRelay = address(relay, 'ws')
  await seederPage.call('connect', wsRelay)
  await leecherPage.call('connect', wsRelay)
  const pageWs = verified(
    'mycel page from Node over WebSocket',
    await leecherPage.call<PageCopy>('download', magnet, [address(seeder, 'ws')]),
    sourceSha256,
  )
  const rtcPage = await openPage(browser, 'test/browser/entries/webrtc.ts')
  await rtcPage.call('start', 'bench-rtc-leecher')
  await rtcPage.call('connect', wsRelay)
  const nodePageRtc = verified(
    'mycel page from Node over WebRTC',
    await rtcPage.call<PageCopy>('download', magnet, [`webrtc://${seeder.peerId}`]),
    sourceSha256,
  )
  await rtcPage.call('close')
  await rtcPage.close()
  const pageShare = await seederPage.call<{ magnet: string; sha256: string }>(
    'shareFile',
    'inbox/page-bench.bin',
    BYTES,
  )
  const pageRtc = verified(
    'mycel page to page over WebRTC',
    await leecherPage.call<PageCopy>('download', pageShare.magnet, [`webrtc://${pageSeeder.peerId}`]),
    pageShare.sha256,
  )
  await Promise.all([seederPage.call('close'), leecherPage.call('close')])
  await Promise.all([seederPage.close(), leecherPage.close()])

  // WebTorrent: its browser bundle in the same Chromium, peers through a local WebSocket tracker.
  const webTorrent = await installWebTorrent()
  const tracker = await startTracker(webTorrent.dir)
  const wtResults: Record<'pages' | 'node', PageCopy | string> = { pages: 'not run', node: 'not run' }
  try {
    const wtSeederPage = await openWebTorrentPage(browser, webTorrent.dir)
    const wtLeecherPage = await openWebTorrentPage(browser, webTorrent.dir)
    try {
      const seeded = await wtSeederPage.call<{ magnet: string; sha256: string }>('seed', BYTES, tracker.url)
      wtResults.pages = verified(
        'WebTorrent page to page',
        await withTimeout(
          'WebTorrent page to page',
          wtLeecherPage.call<PageCopy>('download', seeded.magnet),
          WEBTORRENT_TIMEOUT_MS,
        ),
        seeded.sha256,
      )
    } catch (error) {
      wtResults.pages = reason(error)
    } finally {
      await Promise.allSettled([wtSeederPage.call('close'), wtLeecherPage.call('close')])
      await Promise.allSettled([wtSeederPage.close(), wtLeecherPage.close()])
    }
    const wtPage = await openWebTorrentPage(browser, webTorrent.dir)
    let wtSeeder: { magnet: string; close(): Promise<void> } | undefined
    try {
      wtSeeder = await seedWithNodeWebTorrent(webTorrent.dir, source, tracker.url)
      wtResults.node = verified(
        'WebTorrent Node to page',
        await withTimeout(
          'WebTorrent Node to page',
          wtPage.call<PageCopy>('download', wtSeeder.magnet),
          WEBTORRENT_TIMEOUT_MS,
        ),
        sourceSha256,
      )
    } catch (error) {
      wtResults.node = reason(error)
    } finally {
      await Promise.allSettled([wtPage.call('close')])
      await wtPage.close()
      await wtSeeder?.close()
    }
  } finally {
    await tracker.close()
  }

  const line = (label: string, copy: PageCopy | string, mycel?: PageCopy) => {
    if (typeof copy === 'string') return `  ${label.padEnd(51)}cannot run: ${copy}`
    const ratio =
      mycel === undefined ? '' : `   mycel / WebTorrent ${(copy.milliseconds / mycel.milliseconds).toFixed(2)}`
    return `  ${label.padEnd(51)}${rate(copy.milliseconds).toFixed(1)} MiB/s${ratio}`
  }
  console.log('Pages in headless Chromium, each copy hashed (SHA-256) in the page and compared with the source')
  console.log(line('mycel: Node seeder to page over WebSocket', pageWs))
  console.log(line('mycel: Node seeder to page over WebRTC', nodePageRtc))
  console.log(line('mycel: page to page over WebRTC', pageRtc))
  console.log(line(`WebTorrent ${webTorrent.version}: page to page over WebRTC`, wtResults.pages, pageRtc))
  console.log(line(`WebTorrent ${webTorrent.version}: Node seeder to page over WebRTC`, wtResults.node, nodePageRtc))
  console.log('  (WebTorrent in a page has no WebSocket peer wire: WebRTC and web seeds only)')
}
