/**
 * A browser node as a full peer over WebSocket, in headless Chromium: it
 * downloads 32 MiB from a real `mycel` CLI seeder listening on `ws://`
 * (`--ws`), and a Node downloader then fetches the same share from the page
 * alone (the seeder stopped): the page uploads.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createNode } from '@mycel/node'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, Sandbox, sha256File, writeContent } from '../../examples/cli/test/helpers.js'
import { launchChromium, openPage, type TestPage } from './support/chromium.js'

const SIZE = 32 * 1024 * 1024
const sandbox = new Sandbox()
let browser: Browser
let page: TestPage
let source: string
let magnet: string
let infohash: string

beforeAll(async () => {
  await ensureBuilt()
  browser = await launchChromium()
  page = await openPage(browser, 'test/browser/entries/node-peer.ts')
  source = join(await sandbox.dir(), 'video.bin')
  await writeContent(source, SIZE, 25)
}, 300_000)

afterAll(async () => {
  await page?.call('close').catch(() => undefined)
  await page?.close()
  await browser?.close()
  await sandbox.cleanup()
})

describe('a browser node over WebSocket', () => {
  it('downloads 32 MiB from a mycel CLI seeder listening with --ws; the SHA-256 equals the source', async () => {
    const started = await page.call<{ peerId: string; storage: string }>('start')
    expect(started.storage).toBe('OPFS (worker)')
    const seeder = sandbox.start([
      'share',
      source,
      '--data-dir',
      await sandbox.dir(),
      '--host',
      '127.0.0.1',
      '--bootstrap',
      'none',
      '--ws',
      '0',
      '--json',
    ])
    const shared = await seeder.waitFor('shared')
    const seeding = await seeder.waitFor('seeding')
    magnet = String(shared.magnet)
    infohash = String(shared.infohash)
    const addresses = seeding.addresses as string[]
    const ws = addresses.find((address) => address.startsWith('ws://')) as string
    expect(ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mycel$/)
    expect(addresses.some((address) => address.startsWith('tcp://'))).toBe(true)

    const result = await page.call<{ sha256: string; bytes: number; path: string }>('download', magnet, [ws])
    expect(result.bytes).toBe(SIZE)
    expect(result.sha256).toBe(await sha256File(source))
    await seeder.stop()
  }, 120_000)

  it('reads a byte range of the file as a web ReadableStream, and a cancelled stream just ends', async () => {
    const start = 5 * 1024 * 1024 + 123
    const end = 9 * 1024 * 1024 + 45
    const expected = createHash('sha256')
      .update((await readFile(source)).subarray(start, end + 1))
      .digest('hex')
    const range = await page.call<{ sha256: string; bytes: number }>('readRange', infohash, 'video.bin', start, end)
    expect(range).toEqual({ sha256: expected, bytes: end - start + 1 })
    const cancelled = await page.call<{ firstBytes: number; doneAfterCancel: boolean }>(
      'readThenCancel',
      infohash,
      'video.bin',
    )
    expect(cancelled.firstBytes).toBeGreaterThan(0)
    expect(cancelled.doneAfterCancel).toBe(true)
  })

  it('serves a Node downloader that only the page can give the share to', async () => {
    const dataDir = await sandbox.dir()
    const node = await createNode({ dataDir, listen: ['ws://127.0.0.1:0/mycel'], dht: false })
    try {
      const address = node.addresses.find((listen) => listen.startsWith('ws://')) as string
      expect(await page.call('connect', address)).toBe(node.peerId)
      const download = node.download(magnet, { dir: join(dataDir, 'downloads') })
      await download.done()
      expect(await sha256File(download.contentPath as string)).toBe(await sha256File(source))
      expect(await page.call<number>('uploaded', infohash)).toBeGreaterThanOrEqual(SIZE)

      // A file the page writes and shares itself (hashed from OPFS, served from it in place).
      const own = await page.call<{ magnet: string; infohash: string; sha256: string }>(
        'shareFile',
        'inbox/notes.bin',
        3 * 1024 * 1024 + 17,
      )
      const second = node.download(own.magnet, { dir: join(dataDir, 'downloads') })
      await second.done()
      expect(await sha256File(second.contentPath as string)).toBe(own.sha256)
    } finally {
      await node.close()
    }
  }, 120_000)
})
