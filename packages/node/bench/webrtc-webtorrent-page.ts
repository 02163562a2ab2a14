/**
 * The WebTorrent page of `webrtc.bench.ts`: WebTorrent's own browser bundle
 * (`webtorrent/dist/webtorrent.min.js`, served beside the page as
 * `webtorrent.min.js`) in the same headless Chromium as mycel's pages. It
 * seeds a file of random bytes made in the page, or downloads a magnet over
 * WebRTC, its peers found through the WebSocket tracker the magnet names,
 * and hashes what it holds with WebCrypto's SHA-256. The download times
 * itself in the page, from `add` to the torrent's `done`.
 *
 * WebTorrent's defaults in a browser: pieces in the Origin Private File
 * System (`fsa-chunk-store`), verified with SHA-1; DHT, LSD and uTP do not
 * exist there, so its peers are WebRTC peers from trackers (and web seeds).
 */
import { expose } from '../../../test/browser/support/page.js'

/** The parts of WebTorrent's client used here. */
interface WebTorrentFile {
  length: number
  arrayBuffer(): Promise<ArrayBuffer>
}
interface WebTorrentTorrent {
  magnetURI: string
  files: WebTorrentFile[]
  numPeers: number
  on(event: 'done' | 'error' | 'warning', listener: (error?: Error | string) => void): void
}
interface WebTorrentClient {
  seed(input: File, options: Record<string, unknown>, onSeed: (torrent: WebTorrentTorrent) => void): WebTorrentTorrent
  add(magnet: string, options: Record<string, unknown>): WebTorrentTorrent
  on(event: 'error', listener: (error: Error | string) => void): void
  destroy(callback?: (error?: Error) => void): void
}
type WebTorrentClass = new (options?: Record<string, unknown>) => WebTorrentClient

let client: WebTorrentClient | undefined
/** The client's first error (WebTorrent reports some only there). */
let clientError: Error | string | undefined

async function running(): Promise<WebTorrentClient> {
  if (client !== undefined) return client
  // A URL in a variable: esbuild leaves the import to the browser, which loads the bundle served beside the page.
  const url = '/webtorrent.min.js'
  const { default: WebTorrent } = (await import(url)) as { default: WebTorrentClass }
  // No STUN server, as mycel's transport by default (see `RTC_CONFIG` of `webrtc-webtorrent.ts`).
  client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
  client.on('error', (error) => {
    clientError ??= error
  })
  return client
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}

async function sha256(torrent: WebTorrentTorrent): Promise<{ sha256: string; bytes: number }> {
  const file = torrent.files[0] as WebTorrentFile
  const whole = await file.arrayBuffer()
  return { sha256: hex(await crypto.subtle.digest('SHA-256', whole)), bytes: whole.byteLength }
}

/** Resolves with the torrent's `done`; rejects on its or the client's error. */
function finished(torrent: WebTorrentTorrent): Promise<void> {
  return new Promise((resolve, reject) => {
    torrent.on('done', () => resolve())
    torrent.on('error', (error) => reject(error instanceof Error ? error : new Error(String(error))))
    if (clientError !== undefined) reject(new Error(String(clientError)))
  })
}

expose('seed', async (length: number, tracker: string) => {
  const bytes = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536))
  const file = new File([bytes], 'webtorrent-bench.bin')
  const seeder = await running()
  const torrent = await new Promise<WebTorrentTorrent>((resolve) => seeder.seed(file, { announce: [tracker] }, resolve))
  return { magnet: torrent.magnetURI, sha256: hex(await crypto.subtle.digest('SHA-256', bytes)) }
})

expose('download', async (magnet: string) => {
  const leecher = await running()
  const started = performance.now()
  const torrent = leecher.add(magnet, {})
  await finished(torrent)
  const milliseconds = performance.now() - started
  return { ...(await sha256(torrent)), milliseconds }
})

expose('close', async () => {
  const closing = client
  client = undefined
  if (closing !== undefined) await new Promise<void>((resolve) => closing.destroy(() => resolve()))
})
