/**
 * mycel in a web page: open a magnet link, download it from Node peers over
 * WebSocket (every piece verified against the share's Merkle root), save its
 * files, and seed them to the peers the page is connected to while the page
 * stays open. Built with esbuild (`npm run build`), nothing from a CDN.
 */

import { createBrowserNode, createReadableStream } from '@mycel/node/browser'
import type { MycelNode } from '@mycel/node/core'

const form = document.querySelector('#open') as HTMLFormElement
const progress = document.querySelector('#progress') as HTMLProgressElement
const status = document.querySelector('#status') as HTMLElement
const files = document.querySelector('#files') as HTMLElement

let node: Promise<MycelNode> | undefined

function say(text: string, error = false): void {
  status.textContent = text
  status.classList.toggle('error', error)
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** A link that saves one file of the share: its verified bytes, read from the node's storage. */
async function saveLink(running: MycelNode, infohash: string, path: string): Promise<HTMLAnchorElement> {
  const blob = await new Response(createReadableStream(running, infohash, path)).blob()
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = path.slice(path.lastIndexOf('/') + 1)
  link.textContent = `Save ${path} (${mebibytes(blob.size)})`
  link.dataset.path = path
  return link
}

async function open(magnet: string, peers: string[]): Promise<void> {
  node ??= createBrowserNode()
  const running = await node
  files.replaceChildren()
  progress.value = 0
  say('Looking for the share...')
  const download = running.download(magnet, { peers })
  download.on('progress', (p) => {
    if (p.totalBytes === undefined || p.totalBytes === 0) return
    progress.value = p.verifiedBytes / p.totalBytes
    say(`${mebibytes(p.verifiedBytes)} of ${mebibytes(p.totalBytes)} verified, ${p.peers} peer(s)`)
  })
  await download.done()
  const manifest = await running.getManifest(download.infohash)
  if (manifest === undefined) throw new Error('the share has no manifest')
  progress.value = 1
  for (const file of manifest.files) {
    files.append(
      await saveLink(running, download.infohashHex, manifest.singleFile ? manifest.name : file.path.join('/')),
    )
  }
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
  open(magnet, peers).catch((error: unknown) => {
    say(`Failed: ${error instanceof Error ? error.message : String(error)}`, true)
    status.dataset.state = 'failed'
  })
})
