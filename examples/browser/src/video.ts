/**
 * mycel in a `<video>`: open a magnet link and play its video while it
 * downloads, seeking anywhere. The `<video src>` points under `stream/`; the
 * page's Service Worker (`stream-sw.ts`) answers its HTTP Range requests
 * from this page's node (`stream-bridge.ts`), so the pieces under the
 * player's position are fetched first and every byte played is verified.
 * Any container the browser plays works (WebM, MP4...). The page seeds what
 * it has while it stays open.
 */

import { createBrowserNode } from '@mycel/node/browser'
import type { MycelNode } from '@mycel/node/core'
import { answerStreamRequests, registerStreamWorker } from './stream-bridge.js'
import { isMedia, STREAM_FOLDER } from './stream-protocol.js'

type Manifest = NonNullable<Awaited<ReturnType<MycelNode['getManifest']>>>

const form = document.querySelector('#open') as HTMLFormElement
const player = document.querySelector('#player') as HTMLVideoElement
const progress = document.querySelector('#progress') as HTMLProgressElement
const status = document.querySelector('#status') as HTMLElement
const reads = document.querySelector('#reads') as HTMLOListElement

function say(text: string, error = false): void {
  status.textContent = text
  status.classList.toggle('error', error)
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** The node, once the worker controls the page and its requests are answered. */
const ready: Promise<MycelNode> = (async () => {
  await registerStreamWorker('stream-sw.js')
  const node = await createBrowserNode()
  answerStreamRequests(node, (answered) => {
    const item = document.createElement('li')
    item.textContent =
      answered.start === undefined
        ? `${answered.status} ${answered.path}`
        : `${answered.status} ${answered.path} bytes ${answered.start}-${answered.end}`
    item.dataset.start = String(answered.start ?? '')
    reads.append(item)
  })
  return node
})()

ready.then(
  () => {
    say('Ready.')
    status.dataset.state = 'ready'
  },
  (error: unknown) => {
    say(`Cannot start: ${error instanceof Error ? error.message : String(error)}`, true)
    status.dataset.state = 'failed'
  },
)

async function play(magnet: string, peers: string[]): Promise<void> {
  const node = await ready
  say('Looking for the share...')
  const download = node.download(magnet, { peers })
  const metadata = new Promise<Manifest>((resolve) => download.once('metadata', resolve))
  const manifest = (await node.getManifest(download.infohash)) ?? (await metadata)
  const paths = manifest.files.map((file) => (manifest.singleFile ? manifest.name : file.path.join('/')))
  const path = paths.find(isMedia) ?? paths[0]
  if (path === undefined) throw new Error('the share has no file')
  download.on('progress', (p) => {
    if (p.totalBytes === undefined || p.totalBytes === 0) return
    progress.value = p.verifiedBytes / p.totalBytes
    if (status.dataset.state === 'running') {
      say(`Playing ${path}: ${mebibytes(p.verifiedBytes)} of ${mebibytes(p.totalBytes)} verified, ${p.peers} peer(s)`)
    }
  })
  player.src = `${STREAM_FOLDER}${download.infohashHex}/${path.split('/').map(encodeURIComponent).join('/')}`
  // Muted, so that the browser lets it start without a click.
  player.play().catch(() => undefined)
  await download.done()
  progress.value = 1
  say(`Done: ${mebibytes(manifest.totalLength)} verified. Seeding while this page is open.`)
  status.dataset.state = 'done'
}

form.addEventListener('submit', (event) => {
  event.preventDefault()
  const data = new FormData(form)
  const magnet = String(data.get('magnet') ?? '').trim()
  const peers = String(data.get('peers') ?? '')
    .split(/\s+/)
    .filter((peer) => peer !== '')
  status.dataset.state = 'running'
  play(magnet, peers).catch((error: unknown) => {
    say(`Failed: ${error instanceof Error ? error.message : String(error)}`, true)
    status.dataset.state = 'failed'
  })
})
