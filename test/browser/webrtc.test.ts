/**
 * WebRTC data channels in headless Chromium: two pages with no Node peer
 * holding the data between them (one seeds, the other downloads over a
 * data channel, signalled through a Node node both reach over WebSocket,
 * which has not the share), and a Node seeder (node-datachannel) to a page.
 * What arrives is checked by its SHA-256.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, type MycelNode } from '@mycel/node'
import { MemoryStateStore } from '@mycel/store'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, openPage, type TestPage } from './support/chromium.js'

let browser: Browser
let seederPage: TestPage
let leecherPage: TestPage
let relay: MycelNode
let relayAddress: string
let leecherId: string
const nodes: MycelNode[] = []
const dirs: string[] = []

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mycel-webrtc-'))
  dirs.push(dir)
  return dir
}

/** Resolves once `node` has `count` connections whose `hello` arrived (their protocols are open). */
async function helloed(node: MycelNode, count: number): Promise<void> {
  const ready = () => node.peers().filter((peer) => peer.agent !== undefined).length >= count
  while (!ready()) await new Promise<void>((resolve) => node.once('peer-connected', () => resolve()))
}

beforeAll(async () => {
  browser = await launchChromium()
  ;[seederPage, leecherPage] = await Promise.all([
    openPage(browser, 'test/browser/entries/webrtc.ts'),
    openPage(browser, 'test/browser/entries/webrtc.ts'),
  ])
  // The middle node: WebSocket for the pages, no WebRTC of its own, never the share.
  relay = await createNode({
    dataDir: await tempDir(),
    listen: ['ws://127.0.0.1:0/mycel', 'tcp://127.0.0.1:0'],
    dht: false,
    state: new MemoryStateStore(),
  })
  nodes.push(relay)
  relayAddress = relay.addresses.find((address) => address.startsWith('ws://')) as string
}, 120_000)

afterAll(async () => {
  for (const page of [seederPage, leecherPage]) {
    await page?.call('close').catch(() => undefined)
    await page?.close()
  }
  await browser?.close()
  await Promise.allSettled(nodes.map((node) => node.close()))
  await Promise.allSettled(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('WebRTC in Chromium', () => {
  it('moves a share from one page to another over a data channel, found and signalled through a Node peer without it', async () => {
    const seeder = await seederPage.call<{ peerId: string; addresses: string[] }>('start', 'webrtc-seeder')
    const leecher = await leecherPage.call<{ peerId: string; addresses: string[] }>('start', 'webrtc-leecher')
    leecherId = leecher.peerId
    expect(seeder.addresses).toEqual([`webrtc://${seeder.peerId}`])
    expect(await seederPage.call('connect', relayAddress)).toBe(relay.peerId)
    expect(await leecherPage.call('connect', relayAddress)).toBe(relay.peerId)
    await helloed(relay, 2)

    const shared = await seederPage.call<{ magnet: string; infohash: string; sha256: string }>(
      'shareFile',
      'inbox/clip.bin',
      6 * 1024 * 1024 + 321,
    )
    // No peer given: the page finds the seeder through the middle node (signal/1 join and peers).
    const got = await leecherPage.call<{ sha256: string; bytes: number }>('download', shared.magnet, [])
    expect(got).toMatchObject({ sha256: shared.sha256, bytes: 6 * 1024 * 1024 + 321 })
    const leecherPeers = await leecherPage.call<Array<{ peerId: string; address: string }>>('peers')
    expect(leecherPeers).toContainEqual({ peerId: seeder.peerId, address: `webrtc://${seeder.peerId}` })
    // The middle node carried signalling only: no share, no payload.
    expect(relay.getShare(shared.infohash)).toBeUndefined()
    expect(relay.peers().every((peer) => peer.bytesReceived === 0 && peer.bytesSent === 0)).toBe(true)
  }, 120_000)

  it('downloads from a Node seeder over WebRTC (node-datachannel), signalled through the same Node peer', async () => {
    const dataDir = await tempDir()
    const seeder = await createNode({
      dataDir,
      listen: ['tcp://127.0.0.1:0'],
      dht: false,
      state: new MemoryStateStore(),
      webrtc: {},
    })
    nodes.push(seeder)
    const source = join(dataDir, 'movie.bin')
    const bytes = new Uint8Array(5 * 1024 * 1024 + 77)
    for (let offset = 0; offset < bytes.length; offset += 65536) {
      crypto.getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + 65536)))
    }
    await writeFile(source, bytes)
    const share = await seeder.share(source)
    await seeder.connect(relay.addresses.find((address) => address.startsWith('tcp://')) as string)
    await helloed(relay, 3)
    const got = await leecherPage.call<{ sha256: string; bytes: number }>('download', share.magnet, [
      `webrtc://${seeder.peerId}`,
    ])
    expect(got).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length })
    // The page dialled the seeder over WebRTC: the seeder sees it at its webrtc:// address.
    expect(seeder.peers()).toContainEqual(
      expect.objectContaining({ peerId: leecherId, address: `webrtc://${leecherId}`, outbound: false }),
    )
  }, 120_000)

  it('serves a Node downloader that dials the page over WebRTC (the page answers the offer)', async () => {
    const dataDir = await tempDir()
    const downloader = await createNode({
      dataDir,
      listen: ['tcp://127.0.0.1:0'],
      dht: false,
      state: new MemoryStateStore(),
      webrtc: {},
    })
    nodes.push(downloader)
    await downloader.connect(relay.addresses.find((address) => address.startsWith('tcp://')) as string)
    await helloed(relay, 4)
    const shared = await seederPage.call<{ magnet: string; sha256: string }>(
      'shareFile',
      'inbox/for-node.bin',
      3 * 1024 * 1024 + 9,
    )
    const download = downloader.download(shared.magnet, { dir: join(dataDir, 'downloads') })
    await download.done()
    const bytes = await readFile(download.contentPath as string)
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(shared.sha256)
    expect(downloader.peers().some((peer) => peer.address?.startsWith('webrtc://') === true && peer.outbound)).toBe(
      true,
    )
  }, 120_000)
})
