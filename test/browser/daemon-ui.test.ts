/**
 * The daemon's web UI in headless Chromium: a real `mycel daemon` process
 * serves the built UI (examples/web-ui) and a real `mycel share` process
 * seeds a file. The page refuses to work without the token, takes it from
 * the `#token=` address the daemon prints, adds the seeder's magnet link
 * through its form, shows the progress reach 100% (from the daemon's
 * WebSocket notifications), and the downloaded file has the source's
 * SHA-256; a share added through the RPC appears without a reload.
 *
 * Screenshots go to `MYCEL_SCREENSHOTS` when set (docs/images/daemon-*.png
 * are copies), else to the test's temporary folder.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, startDaemon, type TestDaemon } from '../../examples/cli/test/daemon-helpers.js'
import { type Background, ensureBuilt, Sandbox, sha256File, writeContent } from '../../examples/cli/test/helpers.js'
import { launchChromium } from './support/chromium.js'

const SIZE = 6 * 1024 * 1024 + 4321
/** An HTTP tracker URL where nothing listens (port 9, discard). */
const DEAD_TRACKER = 'http://127.0.0.1:9/announce'

/** Where the screenshots go, when set (a test run never writes into the repository on its own). */
const SCREENSHOTS_ENV = 'MYCEL_SCREENSHOTS'
const sandbox = new Sandbox()
let browser: Browser
let daemon: TestDaemon
let seeder: Background
let source: string
let magnet: string
let infohash: string
let seederAddress: string
let screenshots: string
const contexts: BrowserContext[] = []

/** A new tab (its own sessionStorage) whose page errors fail the test. */
async function newTab(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } })
  contexts.push(context)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.stack ?? error.message))
  return { page, errors }
}

/** Saves a screenshot and checks it is a PNG. */
async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(screenshots, `daemon-${name}.png`)
  await page.screenshot({ path })
  const bytes = await readFile(path)
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG')
}

beforeAll(async () => {
  // builds the CLI and, as its dev dependency, the web UI it copies beside bin.js
  await ensureBuilt()
  browser = await launchChromium()
  screenshots = process.env[SCREENSHOTS_ENV] ?? (await sandbox.dir('mycel-ui-screenshots-'))
  const files = await sandbox.dir()
  source = join(files, 'video.bin')
  await writeContent(source, SIZE, 31)
  // a download limit makes the download last some seconds, so that the page shows it on its way
  daemon = await startDaemon(sandbox, await sandbox.dir(), ['--download-limit', '1MiB'])
  seeder = sandbox.start([
    'share',
    source,
    '--data-dir',
    await sandbox.dir(),
    '--host',
    '127.0.0.1',
    '--bootstrap',
    'none',
    '--json',
  ])
  const shared = await seeder.waitFor('shared')
  const seeding = await seeder.waitFor('seeding')
  infohash = String(shared.infohash)
  seederAddress = (seeding.addresses as string[])[0] as string
  // No DHT here: the link names the seeder as a peer (x.pe), as a link handed over on a LAN would.
  // the seeder's address, and a tracker where nothing listens (the share's trackers show how its announce went)
  magnet = `${String(shared.magnet)}&x.pe=${encodeURIComponent(seederAddress.replace('tcp://', ''))}&tr=${encodeURIComponent(DEAD_TRACKER)}`
}, 300_000)

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined)
  await browser?.close()
  await sandbox.cleanup()
})

describe('the daemon web UI', () => {
  it('serves the page without the token in it, and refuses to work without the token', async () => {
    const page = await fetch(`${daemon.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).not.toContain(daemon.token)

    const { page: tab, errors } = await newTab()
    await tab.goto(`${daemon.url}/`)
    await tab.waitForSelector('form[name=login]')
    expect(await tab.locator('nav').count()).toBe(0)
    // the page's own origin, no token: the API refuses it
    const status = await tab.evaluate(async () => {
      const response = await fetch('/rpc', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'list' }),
      })
      return { status: response.status, code: ((await response.json()) as { error: { data: { code: string } } }).error }
    })
    expect(status).toMatchObject({ status: 401, code: { data: { code: 'UNAUTHORIZED' } } })
    // a wrong token is refused, forgotten, and the form says so
    await tab.fill('form[name=login] input[name=token]', 'f'.repeat(64))
    await tab.click('form[name=login] button[type=submit]')
    await tab.waitForSelector('#login-problem')
    expect(await tab.textContent('#login-problem')).toBe('The daemon refused this token.')
    expect(await tab.evaluate(() => sessionStorage.length)).toBe(0)
    await screenshot(tab, 'login')
    // the right one, typed, opens the console
    await tab.fill('form[name=login] input[name=token]', daemon.token)
    await tab.click('form[name=login] button[type=submit]')
    await tab.waitForSelector('#link[data-state=open]')
    expect(errors).toEqual([])
  }, 60_000)

  it('adds the seeder magnet through the page, shows progress to 100%, and the file has the source SHA-256', async () => {
    const { page, errors } = await newTab()
    await page.goto(`${daemon.url}/#token=${daemon.token}`)
    // the WebSocket of notifications is open (the CSP lets the page reach its daemon)
    await page.waitForSelector('#link[data-state=open]', { timeout: 30_000 })
    // the token left the address bar for this tab's sessionStorage
    expect(await page.evaluate(() => location.hash)).toBe('')
    expect(await page.evaluate(() => sessionStorage.getItem('mycel.daemon.token'))).toBe(daemon.token)

    await page.fill('form[name=add] input[name=magnet]', magnet)
    await page.click('form[name=add] button[type=submit]')
    const row = `tr[data-infohash="${infohash}"]`
    await page.waitForSelector(row, { timeout: 30_000 })
    await page.click(`${row} button.link`)
    // on its way: the progress notifications move the share's percentage and its file's, without a reload
    await page.waitForFunction(
      (selector) => {
        const percent = document.querySelector(`${selector} .percent`)?.getAttribute('data-percent')
        const file = document.querySelector('.detail tr[data-path="video.bin"] .percent')?.textContent
        const partial = (text: string | null | undefined) => text != null && /^[1-9]\d?%$/.test(text)
        const rate = document.querySelector('.speed .down')?.textContent
        return partial(percent) && partial(file) && rate !== undefined && !rate?.endsWith(' 0 B/s')
      },
      row,
      { timeout: 60_000 },
    )
    await screenshot(page, 'shares')
    await page.waitForSelector(`${row} .percent[data-percent="100%"]`, { timeout: 120_000 })
    // the file's own progress, from the piece bitfield (`pieces`)
    await page.waitForFunction(
      () => document.querySelector('.detail tr[data-path="video.bin"] .percent')?.textContent === '100%',
      undefined,
      { timeout: 30_000 },
    )
    const downloaded = join(daemon.dataDir, 'downloads', 'video.bin')
    expect(await sha256File(downloaded)).toBe(await sha256File(source))
    expect(await page.locator('canvas.piece-map').count()).toBe(1)
    // the tracker of the magnet, and its failed announce
    await page.waitForFunction(
      (url) => /failed/.test(document.querySelector(`.detail table.trackers tr[data-url="${url}"]`)?.textContent ?? ''),
      DEAD_TRACKER,
      { timeout: 30_000 },
    )
    expect(errors).toEqual([])
  }, 180_000)

  it('shows a share added through the RPC without a reload (a WebSocket notification)', async () => {
    const { page, errors } = await newTab()
    await page.goto(`${daemon.url}/#token=${daemon.token}`)
    await page.waitForSelector('#link[data-state=open]', { timeout: 30_000 })
    await page.evaluate(() => {
      ;(globalThis as { __sameDocument?: boolean }).__sameDocument = true
    })
    const path = join(await sandbox.dir(), 'notes.bin')
    await writeContent(path, 100_000, 7)
    const shared = await call<{ infohash: string }>(daemon, 'share', { path })
    await page.waitForSelector(`tr[data-infohash="${shared.infohash}"]`, { timeout: 30_000 })
    expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true)

    // a private share made through its form, listed with its readers
    await page.click('button[data-tab=private]')
    const secret = join(await sandbox.dir(), 'diary.bin')
    await writeContent(secret, 50_000, 9)
    await page.fill('form[name=private] input[name=path]', secret)
    await page.click('form[name=private] button[type=submit]')
    await page.waitForSelector('.private-list li', { timeout: 30_000 })
    expect(await page.textContent('.private-list')).toContain('diary.bin')
    expect(await page.textContent('p.made')).toMatch(/^diary\.bin: mycel:\/\//)

    // a channel made through its form
    await page.click('button[data-tab=channels]')
    await page.fill('form[name=create-channel] input[name=title]', 'Holiday videos')
    await page.click('form[name=create-channel] button[type=submit]')
    await page.waitForSelector('.channel-list li[data-channel]', { timeout: 30_000 })
    expect(await page.textContent('.channel-list')).toContain('Holiday videos')

    // the peers the node knows, and the settings it runs with
    await page.click('button[data-tab=peers]')
    await page.waitForSelector('section.peers')
    await screenshot(page, 'peers')
    await page.click('button[data-tab=settings]')
    await page.waitForSelector('section.settings dl')
    const settings = await page.textContent('section.settings')
    expect(settings).toContain(daemon.peerAddress)
    expect(settings).toContain('1.0 MiB/s')
    expect(errors).toEqual([])
  }, 60_000)

  it('uploads the files dropped on the page to the daemon, which keeps them in its uploads folder and shares them', async () => {
    const { page, errors } = await newTab()
    await page.goto(`${daemon.url}/#token=${daemon.token}`)
    await page.waitForSelector('#link[data-state=open]', { timeout: 30_000 })
    // a drop of a file (not a .torrent), as a file manager makes it
    const dataTransfer = await page.evaluateHandle(() => {
      const bytes = new Uint8Array(300_000)
      for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 7 + 3) & 255
      const transfer = new DataTransfer()
      transfer.items.add(new File([bytes], 'dropped notes.bin'))
      transfer.items.add(new File(['a second file, dropped with the first'], 'second.txt'))
      return transfer
    })
    await page.dispatchEvent('section.add', 'drop', { dataTransfer })
    await page.waitForFunction(
      () =>
        /^shared 2 files: dropped notes\.bin, second\.txt/.test(
          document.querySelector('section.add .note')?.textContent ?? '',
        ),
      undefined,
      { timeout: 30_000 },
    )
    const expected = new Uint8Array(300_000)
    for (let index = 0; index < expected.length; index++) expected[index] = (index * 7 + 3) & 255
    const kept = join(daemon.dataDir, 'downloads', 'uploads', 'dropped notes.bin')
    expect(new Uint8Array(await readFile(kept))).toEqual(expected)
    const shares = await call<{ name: string; role: string; path: string }[]>(daemon, 'list')
    expect(shares.find((share) => share.path === kept)).toMatchObject({ name: 'dropped notes.bin', role: 'seed' })
    const second = join(daemon.dataDir, 'downloads', 'uploads', 'second.txt')
    expect(await readFile(second, 'utf8')).toBe('a second file, dropped with the first')
    expect(shares.find((share) => share.path === second)).toMatchObject({ name: 'second.txt', role: 'seed' })
    expect(errors).toEqual([])
  }, 60_000)
})
