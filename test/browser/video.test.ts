/**
 * The video example (`examples/browser/video.html`) in headless Chromium: a
 * `mycel` CLI seeder shares a WebM video over WebSocket, throttled so that
 * the download takes many seconds; the page opens the magnet link and its
 * `<video>` plays it through the page's Service Worker, which answers the
 * player's HTTP Range requests from the page's node. The video starts
 * playing, seeks to the middle and plays from there while the download is
 * still running: the pieces under the seek point were fetched first. The
 * video is made by the browser in the test (WebCodecs VP8, muxed to a
 * seekable WebM): nothing large is kept in the repository.
 */
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, Sandbox } from '../../examples/cli/test/helpers.js'
import { bundleEntry, launchChromium, openPage, type TestPage } from './support/chromium.js'

/** Seconds of video, and its encoder's bitrate: about 3.5 MiB (noise compresses badly). */
const SECONDS = 20
const BITRATE = 1_000_000
/** The seeder's upload limit: the whole download takes about 14 s, the start and the seek need far less. */
const UPLOAD_LIMIT = '256KiB'

const sandbox = new Sandbox()
let browser: Browser
let player: TestPage
let source: Buffer
let magnet: string
let infohash: string

beforeAll(async () => {
  await ensureBuilt()
  browser = await launchChromium()
  const maker = await openPage(browser, 'test/browser/entries/video-source.ts')
  try {
    expect(await maker.call('codecs')).toEqual({ plays: 'probably', encodes: true })
    const made = await maker.call<{ base64: string }>('makeVideo', SECONDS, BITRATE)
    source = Buffer.from(made.base64, 'base64')
  } finally {
    await maker.close()
  }
  const html = await readFile(new URL('../../examples/browser/video.html', import.meta.url), 'utf8')
  player = await openPage(browser, 'examples/browser/src/video.ts', {
    html,
    scriptName: 'video.js',
    scripts: { 'stream-sw.js': await bundleEntry('examples/browser/src/stream-sw.ts') },
  })
  await player.page.waitForSelector('#status[data-state=ready], #status[data-state=failed]', { timeout: 60_000 })
  expect(await player.page.textContent('#status')).toBe('Ready.')
}, 300_000)

afterAll(async () => {
  await player?.close()
  await browser?.close()
  await sandbox.cleanup()
})

describe('the video example', () => {
  it('plays a video from a magnet link, seeks to the middle and plays from there before the download completes', async () => {
    const file = join(await sandbox.dir(), 'clip.webm')
    await writeFile(file, source)
    const seeder = sandbox.start([
      'share',
      file,
      '--data-dir',
      await sandbox.dir(),
      '--host',
      '127.0.0.1',
      '--bootstrap',
      'none',
      '--ws',
      '0',
      '--upload-limit',
      UPLOAD_LIMIT,
      '--json',
    ])
    const shared = await seeder.waitFor('shared')
    const seeding = await seeder.waitFor('seeding')
    magnet = String(shared.magnet)
    infohash = String(shared.infohash)
    const ws = (seeding.addresses as string[]).find((address) => address.startsWith('ws://')) as string

    const { page } = player
    await page.fill('input[name=magnet]', magnet)
    await page.fill('input[name=peers]', ws)
    await page.click('button[type=submit]')
    await page.waitForFunction(
      () => (document.querySelector('#player') as HTMLVideoElement).currentTime > 0.5,
      undefined,
      { timeout: 60_000 },
    )
    const middle = await page.evaluate(() => {
      const video = document.querySelector('#player') as HTMLVideoElement
      video.addEventListener(
        'seeked',
        () => {
          ;(globalThis as { seeked?: unknown }).seeked = {
            time: video.currentTime,
            progress: (document.querySelector('#progress') as HTMLProgressElement).value,
            state: (document.querySelector('#status') as HTMLElement).dataset.state,
          }
        },
        { once: true },
      )
      video.currentTime = video.duration / 2
      return video.duration / 2
    })
    expect(middle).toBe(SECONDS / 2)
    const seeked = (await (
      await page.waitForFunction(() => (globalThis as { seeked?: unknown }).seeked, undefined, { timeout: 60_000 })
    ).jsonValue()) as { time: number; progress: number; state: string }
    // Still downloading when the player had the frames at the middle: they were fetched first.
    expect(seeked.state).toBe('running')
    expect(seeked.progress).toBeLessThan(1)
    expect(seeked.time).toBeGreaterThanOrEqual(middle - 1)
    await page.waitForFunction(
      (from) => (document.querySelector('#player') as HTMLVideoElement).currentTime > from + 0.5,
      seeked.time,
      { timeout: 60_000 },
    )
    // The player asked for the middle of the file with a Range request, and was answered 206 from there.
    const starts = await page.$$eval('#reads li', (items) =>
      items.map((item) => ({ text: item.textContent ?? '', start: Number(item.dataset.start) })),
    )
    expect(starts[0]?.text).toMatch(/^206 clip\.webm bytes 0-\d+$/)
    expect(starts.some((read) => read.start > source.length / 4 && read.text.startsWith('206 '))).toBe(true)

    await page.waitForSelector('#status[data-state=done], #status[data-state=failed]', { timeout: 90_000 })
    expect(await page.textContent('#status')).toMatch(/^Done: 3\.\d MiB verified\. Seeding while this page is open\.$/)
    expect(await page.evaluate(() => (document.querySelector('#player') as HTMLVideoElement).error)).toBeNull()
    await seeder.stop()
  }, 180_000)

  it("answers Range requests with the file's verified bytes, and refuses a range past its end", async () => {
    const answers = await player.page.evaluate(
      async ({ url, size }) => {
        const hex = (bytes: ArrayBuffer) =>
          [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
        const ask = async (range?: string) => {
          const response = await fetch(url, range === undefined ? {} : { headers: { range } })
          const body = await response.arrayBuffer()
          return {
            status: response.status,
            contentRange: response.headers.get('content-range'),
            type: response.headers.get('content-type'),
            bytes: body.byteLength,
            sha256: hex(await crypto.subtle.digest('SHA-256', body)),
          }
        }
        return {
          whole: await ask(),
          middle: await ask('bytes=1000000-1999999'),
          suffix: await ask('bytes=-1000'),
          past: await ask(`bytes=${size}-`),
        }
      },
      { url: `${player.url}stream/${infohash}/clip.webm`, size: source.length },
    )
    const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
    const size = source.length
    expect(answers.whole).toEqual({
      status: 200,
      contentRange: null,
      type: 'video/webm',
      bytes: size,
      sha256: sha256(source),
    })
    expect(answers.middle).toEqual({
      status: 206,
      contentRange: `bytes 1000000-1999999/${size}`,
      type: 'video/webm',
      bytes: 1_000_000,
      sha256: sha256(source.subarray(1_000_000, 2_000_000)),
    })
    expect(answers.suffix).toMatchObject({
      status: 206,
      contentRange: `bytes ${size - 1000}-${size - 1}/${size}`,
      sha256: sha256(source.subarray(size - 1000)),
    })
    expect(answers.past).toMatchObject({ status: 416, contentRange: `bytes */${size}` })
  }, 60_000)
})
