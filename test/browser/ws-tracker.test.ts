/**
 * A page and a Node seeder, then two pages, that share nothing but a real
 * `mycel-tracker --ws` process (no DHT, no address of each other, no
 * middle peer): the downloading page's offers go through the tracker, the
 * seeder answers, and the page downloads over WebRTC. What arrives is
 * checked by its SHA-256.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, type MycelNode } from '@mycel/node'
import { parseMagnet } from '@mycel/pieces'
import { MemoryStateStore } from '@mycel/store'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../support/tracker-process.js'
import { launchChromium, openPage, type TestPage } from './support/chromium.js'

let browser: Browser
let page: TestPage
let seederPage: TestPage
let tracker: TrackerProcess
const nodes: MycelNode[] = []
const dirs: string[] = []

beforeAll(async () => {
  await ensureTrackerBuilt()
  tracker = await startTracker(['--ws', '127.0.0.1:0'])
  browser = await launchChromium()
  ;[page, seederPage] = await Promise.all([
    openPage(browser, 'test/browser/entries/webrtc.ts'),
    openPage(browser, 'test/browser/entries/webrtc.ts'),
  ])
}, 600_000)

afterAll(async () => {
  for (const each of [page, seederPage]) {
    await each?.call('close').catch(() => undefined)
    await each?.close()
  }
  await browser?.close()
  await Promise.allSettled(nodes.map((node) => node.close()))
  await Promise.allSettled(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  await tracker?.stop()
})

describe('a ws:// tracker in Chromium', () => {
  it('a page holding a magnet whose only tr is a ws:// tracker downloads from a Node seeder over WebRTC', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mycel-ws-tracker-'))
    dirs.push(dataDir)
    const url = tracker.ws as string
    const seeder = await createNode({ dataDir, listen: [], dht: false, state: new MemoryStateStore(), webrtc: {} })
    nodes.push(seeder)
    const source = join(dataDir, 'movie.bin')
    const bytes = new Uint8Array(3 * 1024 * 1024 + 41)
    for (let offset = 0; offset < bytes.length; offset += 65536) {
      crypto.getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + 65536)))
    }
    await writeFile(source, bytes)
    const share = await seeder.share(source, { trackers: [url] })
    expect(parseMagnet(share.magnet).trackers).toEqual([url])
    expect(await seeder.announce(share.infohash)).toBe(1)
    await page.call('start', 'ws-tracker-leecher')
    const got = await page.call<{ sha256: string; bytes: number }>('download', share.magnet, [])
    expect(got).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length })
    const peers = await page.call<Array<{ peerId: string; address: string }>>('peers')
    const toSeeder = peers.filter((peer) => peer.peerId === seeder.peerId)
    expect(toSeeder.map((peer) => peer.address.startsWith('webrtc-offer://'))).toEqual([true])
  }, 180_000)

  it('two pages with no Node peer between them: one seeds, the other downloads over WebRTC, signalled by the tracker', async () => {
    const url = tracker.ws as string
    const seeder = await seederPage.call<{ peerId: string }>('start', 'ws-tracker-seeder')
    const shared = await seederPage.call<{ magnet: string; sha256: string }>(
      'shareFile',
      'inbox/page-to-page.bin',
      2 * 1024 * 1024 + 5,
      [url],
    )
    expect(parseMagnet(shared.magnet).trackers).toEqual([url])
    // The leecher page (started by the test before) has the magnet only.
    const got = await page.call<{ sha256: string; bytes: number }>('download', shared.magnet, [])
    expect(got).toMatchObject({ sha256: shared.sha256, bytes: 2 * 1024 * 1024 + 5 })
    const peers = await page.call<Array<{ peerId: string; address: string }>>('peers')
    const toSeeder = peers.filter((peer) => peer.peerId === seeder.peerId)
    expect(toSeeder.map((peer) => peer.address.startsWith('webrtc-offer://'))).toEqual([true])
  }, 180_000)
})
