/**
 * Browser download benchmark of `@mycel/node`: a Node seeder listening on
 * WebSocket, and in the same run
 *
 * 1. Node downloaders (the references: `createNode`, `node:crypto`, files),
 *    one over TCP and one over WebSocket,
 * 2. a page in headless Chromium (`createBrowserNode`: noble crypto, OPFS
 *    through a worker), in a fresh browser context,
 *
 * each downloading the same file from 127.0.0.1 (64 MiB by default).
 * Prints MiB/s of each and their ratio. Needs Debian's
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

  const page = await openPage(browser, 'packages/node/bench/browser-page.ts')
  const result = await page.call<{ milliseconds: number; storage: string; bytes: number }>('download', share.magnet, [
    peer,
  ])
  await page.close()
  if (result.bytes !== BYTES) throw new Error(`the page holds ${result.bytes} bytes, not ${BYTES}`)
  const pageRate = rate(BYTES, result.milliseconds)

  console.log(`browser download over WebSocket, ${BYTES / MiB} MiB from a Node seeder on 127.0.0.1`)
  console.log(`  Node downloader over TCP (reference)                     ${tcpRate.toFixed(1)} MiB/s`)
  console.log(`  Node downloader over WebSocket (reference)               ${nodeRate.toFixed(1)} MiB/s`)
  console.log(`  Chromium page over WebSocket (noble, ${result.storage})  ${pageRate.toFixed(1)} MiB/s`)
  console.log(`  page / Node over WebSocket                               ${(pageRate / nodeRate).toFixed(2)}`)
} finally {
  await browser.close()
  await seeder.close()
  await rm(dir, { recursive: true, force: true })
}
