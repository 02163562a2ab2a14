/**
 * examples/browser in headless Chromium: the page, bundled from its sources
 * with its own HTML, opens a magnet link of a Node seeder listening on
 * WebSocket, shows progress, and offers the verified file to save; the saved
 * bytes are the source's.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, type MycelNode } from '@mycel/node'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchChromium, openPage, type TestPage } from './support/chromium.js'

const SIZE = 6 * 1024 * 1024 + 321
let dir: string
let browser: Browser
let page: TestPage
let seeder: MycelNode
let source: Buffer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mycel-example-browser-'))
  source = randomBytes(SIZE)
  await writeFile(join(dir, 'clip.bin'), source)
  seeder = await createNode({ dataDir: join(dir, 'seeder'), listen: ['ws://127.0.0.1:0/mycel'], dht: false })
  browser = await launchChromium()
  const html = await readFile(new URL('../../examples/browser/index.html', import.meta.url), 'utf8')
  page = await openPage(browser, 'examples/browser/src/main.ts', { html, scriptName: 'main.js' })
}, 60_000)

afterAll(async () => {
  await page?.close()
  await browser?.close()
  await seeder?.close()
  await rm(dir, { recursive: true, force: true })
})

it('opens a magnet link, shows progress, and saves the verified file', async () => {
  const share = await seeder.share(join(dir, 'clip.bin'))
  const peer = seeder.addresses.find((address) => address.startsWith('ws://')) as string
  const { page: tab } = page
  await tab.fill('input[name=magnet]', share.magnet)
  await tab.fill('input[name=peers]', peer)
  await tab.click('button[type=submit]')
  await tab.waitForSelector('#status[data-state=done], #status[data-state=failed]', { timeout: 60_000 })
  expect(await tab.textContent('#status')).toMatch(/^Done: 6\.0 MiB verified\. Seeding while this page is open\.$/)
  expect(await tab.getAttribute('#progress', 'value')).toBe('1')
  const saved = await tab.evaluate(async () => {
    const link = document.querySelector('#files a') as HTMLAnchorElement
    const bytes = await (await fetch(link.href)).arrayBuffer()
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
    return {
      name: link.download,
      bytes: bytes.byteLength,
      sha256: [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join(''),
    }
  })
  expect(saved).toEqual({ name: 'clip.bin', bytes: SIZE, sha256: createHash('sha256').update(source).digest('hex') })
}, 90_000)
