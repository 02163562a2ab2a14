/**
 * The page of `webrtc.test.ts`: a browser node (`createBrowserNode`, WebRTC
 * on by default) that the Node side drives: connect to a Node peer over
 * WebSocket, share a file, download over WebRTC, list its connections.
 */

import { createBrowserNode } from '@mycel/node/browser'
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

async function sha256Of(path: string): Promise<{ sha256: string; bytes: number }> {
  const size = (await storage?.size(path)) ?? 0
  const whole = new Uint8Array(size)
  await storage?.read(path, 0, whole)
  return { sha256: hex(await crypto.subtle.digest('SHA-256', whole)), bytes: size }
}

expose('start', async (database: string) => {
  storage = await openOpfsStorage()
  const started = await createBrowserNode({ storage, state: await openIndexedDbStateStore({ database }) })
  node = started
  return { peerId: started.peerId, addresses: started.addresses }
})

expose('connect', async (address: string) => (await running().connect(address)).peerId)

expose('shareFile', async (path: string, length: number, trackers?: string[]) => {
  const bytes = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536))
  await storage?.writeFile(path, bytes)
  const share = await running().share(path, trackers === undefined ? {} : { trackers })
  return {
    magnet: share.magnet,
    infohash: share.infohashHex,
    sha256: hex(await crypto.subtle.digest('SHA-256', bytes)),
  }
})

expose('download', async (magnet: string, peers: string[]) => {
  const started = performance.now()
  const download = running().download(magnet, { peers })
  await download.done()
  const milliseconds = performance.now() - started
  return { ...(await sha256Of(download.contentPath as string)), milliseconds }
})

expose('peers', () =>
  running()
    .peers()
    .map((peer) => ({ peerId: peer.peerId, address: peer.address ?? '' })),
)

expose('close', async () => {
  await node?.close()
  await storage?.close()
})
