/**
 * The page of `node-peer.test.ts`: a browser node (`createBrowserNode`, OPFS
 * through a worker, IndexedDB state, the browser's WebSocket) that the Node
 * side drives: download from Node peers, connect to one, report uploads.
 */

import { createBrowserNode, createReadableStream } from '@mycel/node/browser'
import type { MycelNode } from '@mycel/node/core'
import { type BrowserStorage, openIndexedDbStateStore, openOpfsStorage } from '@mycel/store/browser'
import { expose } from '../support/page.js'

let node: MycelNode | undefined
let storage: BrowserStorage | undefined

function running(): MycelNode {
  if (node === undefined) throw new Error('start the node first')
  return node
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** SHA-256 (hex) of a file of the storage, read back in 4 MiB reads. */
async function sha256Of(path: string): Promise<{ sha256: string; bytes: number }> {
  const size = (await storage?.size(path)) ?? 0
  const whole = new Uint8Array(size)
  for (let offset = 0; offset < size; offset += 4 * 1024 * 1024) {
    const part = whole.subarray(offset, Math.min(size, offset + 4 * 1024 * 1024))
    await storage?.read(path, offset, part)
  }
  return { sha256: hex(await crypto.subtle.digest('SHA-256', whole)), bytes: size }
}

expose('start', async () => {
  storage = await openOpfsStorage()
  const started = await createBrowserNode({
    storage,
    state: await openIndexedDbStateStore({ database: 'node-peer-state' }),
  })
  node = started
  return { peerId: started.peerId, storage: storage.kind }
})

expose('download', async (magnet: string, peers: string[]) => {
  const download = running().download(magnet, { peers })
  await download.done()
  const path = download.contentPath as string
  return { path, ...(await sha256Of(path)) }
})

expose('connect', async (address: string) => (await running().connect(address)).peerId)

/** Reads a byte range of a file through `createReadableStream` (a `Response` consumes it). */
expose('readRange', async (infohash: string, path: string, start: number, end: number) => {
  const stream = createReadableStream(running(), infohash, path, { start, end })
  const bytes = await new Response(stream).arrayBuffer()
  return { sha256: hex(await crypto.subtle.digest('SHA-256', bytes)), bytes: bytes.byteLength }
})

/** Reads one chunk of a file, then cancels the stream: the read ends without an error. */
expose('readThenCancel', async (infohash: string, path: string) => {
  const reader = createReadableStream(running(), infohash, path).getReader()
  const first = await reader.read()
  await reader.cancel(new Error('enough'))
  const after = await reader.read()
  return { firstBytes: first.value?.length ?? 0, doneAfterCancel: after.done }
})

/** Writes `length` pseudo-random bytes to a file of the storage and shares it from the page. */
expose('shareFile', async (path: string, length: number) => {
  const bytes = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536))
  await storage?.writeFile(path, bytes)
  const share = await running().share(path)
  return {
    magnet: share.magnet,
    infohash: share.infohashHex,
    sha256: hex(await crypto.subtle.digest('SHA-256', bytes)),
  }
})

expose('uploaded', (infohash: string) => running().shareStats(infohash)?.bytesUploaded ?? 0)

expose('close', async () => {
  await node?.close()
  await storage?.close()
})
