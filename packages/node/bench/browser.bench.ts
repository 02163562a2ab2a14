/**
 * Browser download benchmark of `@mycel/node`: a Node seeder listening on
 * WebSocket, and in the same run
 *
 * 1. Node downloaders (the references: `createNode`, `node:crypto`, files),
 *    one over TCP and one over WebSocket,
 * 2. a page in headless Chromium (`createBrowserNode`: OPFS through a
 *    worker, noble's ChaCha20-Poly1305), in a fresh browser context, twice
 *    each way: pieces verified with WebCrypto's SHA-256 (the default in a
 *    page), and with noble's (the page's `crypto.subtle` hidden, as before
 *    WebCrypto was used), alternating so that a change of the machine's load
 *    falls on both,
 *
 * each downloading the same file from 127.0.0.1 (64 MiB by default).
 * Prints MiB/s of each and their ratios. Needs Debian's
 * `chromium-headless-shell` (`scripts/system-deps.sh`) or `MYCEL_CHROMIUM`.
 *
 * Run: `npx tsx packages/node/bench/browser.bench.ts` (`MYCEL_BENCH_BYTES` sets the size)
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode } from '@mycel/node'
import { launchChromium, openPage } from '../../../test/browser/support/chromium.js'

const MiB = 1024 * 1024
const BYTES = Number(process.env.MYCEL_BENCH_BYTES ?? 64 * MiB)

const dir = await mkdtemp(join(tmpdir(), 'mycel-browser-bench-'))
const seeder = await createNode({
  dataDir: join(dir, 'seeder'),
  listen: ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/mycel'],
  dht: false,
})
const browser = await launchChromium()
try {
  const source = join(dir, 'bench.bin')
  for (let offset = 0; offset < BYTES; offset += 16 * MiB) {
    await writeFile(source, randomBytes(Math.min(16 * MiB, BYTES - offset)), { flag: offset === 0 ? 'w' : 'a' })
  }
  const share = await seeder.share(source)
  const peer = seeder.addresses.find((address) => address.startsWith('ws://')) as string
  const rate = (bytes: number, milliseconds: number) => bytes / MiB / (milliseconds / 1000)

  /** A Node downloader's rate from the seeder at `address`. */
  const nodeDownload = async (address: string, name: string) => {
    const leecher = await createNode({ dataDir: join(dir, name), listen: [], dht: false })
    try {
      const started = performance.now()
      const download = leecher.download(share.magnet, { dir: join(dir, name, 'downloads'), peers: [address] })
      await download.done()
      return rate(BYTES, performance.now() - started)
    } finally {
      await leecher.close()
    }
  }
  const tcpRate = await nodeDownload(seeder.addresses.find((address) => address.startsWith('tcp://')) as string, 'tcp')
  const nodeRate = await nodeDownload(peer, 'ws')

  /** The page's rate; `noble`: its `crypto.subtle` hidden, so pieces are verified with noble's SHA-256. */
  const pageDownload = async (noble: boolean) => {
    const page = await openPage(browser, 'packages/node/bench/browser-page.ts')
    try {
      if (noble) {
        await page.page.addInitScript(() => Object.defineProperty(globalThis.crypto, 'subtle', { value: undefined }))
        await page.page.reload()
        await page.page.waitForFunction(() => (globalThis as { __mycelReady?: boolean }).__mycelReady === true)
      }
      const result = await page.call<{ milliseconds: number; storage: string; bytes: number; hash: string }>(
        'download',
        share.magnet,
        [peer],
      )
      if (result.bytes !== BYTES) throw new Error(`the page holds ${result.bytes} bytes, not ${BYTES}`)
      if (result.hash !== (noble ? '@noble/hashes' : 'WebCrypto + @noble/hashes')) {
        throw new Error(`the page verified with ${result.hash}`)
      }
      return { rate: rate(BYTES, result.milliseconds), storage: result.storage }
    } finally {
      await page.close()
    }
  }
  const runs = []
  for (let round = 0; round < 2; round++) runs.push(await pageDownload(false), await pageDownload(true))
  const webCrypto = runs.filter((_, index) => index % 2 === 0).map((run) => run.rate)
  const noble = runs.filter((_, index) => index % 2 === 1).map((run) => run.rate)
  const mean = (rates: number[]) => rates.reduce((sum, value) => sum + value, 0) / rates.length
  const figures = (rates: number[]) => `${mean(rates).toFixed(1)} MiB/s (${rates.map((r) => r.toFixed(1)).join(', ')})`
  const storage = (runs[0] as { storage: string }).storage

  console.log(`browser download over WebSocket, ${BYTES / MiB} MiB from a Node seeder on 127.0.0.1`)
  console.log(`  Node downloader over TCP (reference)                ${tcpRate.toFixed(1)} MiB/s`)
  console.log(`  Node downloader over WebSocket (reference)          ${nodeRate.toFixed(1)} MiB/s`)
  console.log(`  Chromium page, ${storage}, pieces hashed by WebCrypto  ${figures(webCrypto)}`)
  console.log(`  Chromium page, ${storage}, pieces hashed by noble      ${figures(noble)}`)
  console.log(`  page (WebCrypto) / page (noble)                     ${(mean(webCrypto) / mean(noble)).toFixed(2)}`)
  console.log(`  page (WebCrypto) / Node over WebSocket              ${(mean(webCrypto) / nodeRate).toFixed(2)}`)
  console.log('  WebTorrent: cannot run here: in a page it has no WebSocket peer wire (WebRTC and web seeds only);')
  console.log('  webrtc.bench.ts measures its browser client over WebRTC beside mycel on the same page setup')
} finally {
  await browser.close()
  await seeder.close()
  await rm(dir, { recursive: true, force: true })
}
