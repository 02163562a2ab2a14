/**
 * WebRTC benchmark of `@mycel/node`: downloads over WebRTC data channels
 * signalled through a Node node that has not the share, and in the same run
 * the references over TCP and WebSocket:
 *
 * 1. Node to Node (`node-datachannel`), beside a Node downloader over TCP,
 * 2. Chromium page to Chromium page (two browser contexts), beside a page
 *    downloading from the Node seeder over WebSocket,
 *
 * each the same size from 127.0.0.1 (32 MiB by default). Prints MiB/s.
 * Needs Debian's `chromium-headless-shell` (`scripts/system-deps.sh`) or
 * `MYCEL_CHROMIUM`, and `node-datachannel` (a dev dependency).
 *
 * Run: `npx tsx packages/node/bench/webrtc.bench.ts` (`MYCEL_BENCH_BYTES` sets the size)
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, type MycelNode, type NodeOptions } from '@mycel/node'
import { launchChromium, openPage } from '../../../test/browser/support/chromium.js'

const MiB = 1024 * 1024
const BYTES = Number(process.env.MYCEL_BENCH_BYTES ?? 32 * MiB)

const dir = await mkdtemp(join(tmpdir(), 'mycel-webrtc-bench-'))
const nodes: MycelNode[] = []
const node = async (name: string, options: Partial<NodeOptions> = {}): Promise<MycelNode> => {
  const made = await createNode({ dataDir: join(dir, name), listen: ['tcp://127.0.0.1:0'], dht: false, ...options })
  nodes.push(made)
  return made
}
const address = (of: MycelNode, scheme: string) => of.addresses.find((a) => a.startsWith(`${scheme}://`)) as string
const rate = (milliseconds: number) => BYTES / MiB / (milliseconds / 1000)
/** Resolves once `of` has `count` connections whose `hello` arrived. */
const helloed = async (of: MycelNode, count: number): Promise<void> => {
  const ready = () => of.peers().filter((peer) => peer.agent !== undefined).length >= count
  while (!ready()) await new Promise<void>((resolve) => of.once('peer-connected', () => resolve()))
}

const browser = await launchChromium()
try {
  const relay = await node('relay', { listen: ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/mycel'] })
  const seeder = await node('seeder', { listen: ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/mycel'], webrtc: {} })
  await seeder.connect(address(relay, 'tcp'))
  const source = join(dir, 'bench.bin')
  for (let offset = 0; offset < BYTES; offset += 16 * MiB) {
    await writeFile(source, randomBytes(Math.min(16 * MiB, BYTES - offset)), { flag: offset === 0 ? 'w' : 'a' })
  }
  const share = await seeder.share(source)

  const nodeDownload = async (name: string, peers: string[], options: Partial<NodeOptions> = {}) => {
    const leecher = await node(name, options)
    if (options.webrtc !== undefined) {
      await leecher.connect(address(relay, 'tcp'))
      await helloed(relay, 2)
    }
    const started = performance.now()
    await leecher.download(share.magnet, { dir: join(dir, name, 'downloads'), peers }).done()
    const took = performance.now() - started
    await leecher.close()
    return rate(took)
  }
  const tcpRate = await nodeDownload('tcp', [address(seeder, 'tcp')], { webrtc: false })
  const nodeRtcRate = await nodeDownload('rtc', [`webrtc://${seeder.peerId}`], { webrtc: {} })

  const seederPage = await openPage(browser, 'test/browser/entries/webrtc.ts')
  const leecherPage = await openPage(browser, 'test/browser/entries/webrtc.ts')
  const pageSeeder = await seederPage.call<{ peerId: string }>('start', 'bench-seeder')
  await leecherPage.call('start', 'bench-leecher')
  const wsRelay = address(relay, 'ws')
  await seederPage.call('connect', wsRelay)
  await leecherPage.call('connect', wsRelay)
  const pageWs = await leecherPage.call<{ milliseconds: number; bytes: number }>('download', share.magnet, [
    address(seeder, 'ws'),
  ])
  const pageShare = await seederPage.call<{ magnet: string }>('shareFile', 'inbox/page-bench.bin', BYTES)
  const pageRtc = await leecherPage.call<{ milliseconds: number; bytes: number }>('download', pageShare.magnet, [
    `webrtc://${pageSeeder.peerId}`,
  ])
  for (const got of [pageWs, pageRtc]) if (got.bytes !== BYTES) throw new Error(`the page holds ${got.bytes} bytes`)
  await Promise.all([seederPage.call('close'), leecherPage.call('close')])
  await Promise.all([seederPage.close(), leecherPage.close()])

  console.log(`WebRTC downloads of ${BYTES / MiB} MiB on 127.0.0.1, signalled through a Node node without the share`)
  console.log(`  Node to Node over TCP (reference)                  ${tcpRate.toFixed(1)} MiB/s`)
  console.log(`  Node to Node over WebRTC (node-datachannel)        ${nodeRtcRate.toFixed(1)} MiB/s`)
  console.log(`  Node seeder to page over WebSocket (reference)     ${rate(pageWs.milliseconds).toFixed(1)} MiB/s`)
  console.log(`  page to page over WebRTC (Chromium)                ${rate(pageRtc.milliseconds).toFixed(1)} MiB/s`)
} finally {
  await browser.close()
  await Promise.allSettled(nodes.map((made) => made.close()))
  await rm(dir, { recursive: true, force: true })
}
