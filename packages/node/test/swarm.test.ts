import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode as CoreNode } from '../src/core.js'
import type { MycelNode } from '../src/index.js'
import { createTestnet, type NodeTestnet } from '../src/testing.js'
import { cleanup, contentBytes, memoryNode, sha256, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
let net: NodeTestnet | undefined
afterEach(async () => {
  await net?.close()
  net = undefined
  await cleanup(nodes.splice(0), dirs.splice(0))
})

describe('swarms', () => {
  it('1 seeder and 10 leechers all complete, and leechers upload to each other', async () => {
    net = await createTestnet(0, { dht: false })
    // A slow seeder makes the leechers trade pieces among themselves.
    const seeder = await net.add({ limits: { uploadRate: 2 * 1024 * 1024 } })
    const bytes = contentBytes(4 * 1024 * 1024, 7)
    net.content(seeder).put('/share/album.bin', bytes)
    const share = await seeder.share('/share/album.bin', { pieceLength: 64 * 1024 })
    const leechers: CoreNode[] = []
    for (let i = 0; i < 10; i++) leechers.push(await net.add())
    const downloads = leechers.map((node) => node.download(share.magnet, { peers: [net?.address(seeder) as string] }))
    await Promise.all(downloads.map((download) => download.done()))
    for (const leecher of leechers) {
      expect(sha256(net.content(leecher).get('/downloads/album.bin') as Uint8Array)).toBe(sha256(bytes))
    }
    const leecherUploads = leechers.reduce((total, node) => total + node.stats().bytesUploaded, 0)
    const seederUploads = seeder.stats().bytesUploaded
    expect(leecherUploads).toBeGreaterThan(0)
    // Without leecher uploads the seeder would have sent ten copies.
    expect(seederUploads).toBeLessThan(10 * bytes.length)
  }, 60_000)

  it('shares a folder with nested folders and an empty file', async () => {
    const network = createMemoryNetwork()
    const root = await tempDir()
    const target = await tempDir()
    dirs.push(root, target)
    const folder = join(root, 'photos')
    await mkdir(join(folder, '2025', 'summer'), { recursive: true })
    const files: Record<string, Uint8Array> = {
      'readme.txt': new TextEncoder().encode('holiday photos\n'),
      '2025/a.jpg': await writeContent(join(folder, '2025', 'a.jpg'), 300_000, 2),
      '2025/summer/b.jpg': await writeContent(join(folder, '2025', 'summer', 'b.jpg'), 1_000_001, 3),
      'empty.txt': new Uint8Array(0),
    }
    await writeFile(join(folder, 'readme.txt'), files['readme.txt'] as Uint8Array)
    await writeFile(join(folder, 'empty.txt'), new Uint8Array(0))
    const seeder = await memoryNode(network.transport())
    const leecher = await memoryNode(network.transport())
    nodes.push(seeder, leecher)
    const share = await seeder.share(folder)
    expect(share.manifest.files.map((f) => f.path.join('/')).sort()).toEqual(Object.keys(files).sort())
    await leecher.download(share.magnet, { dir: target, peers: seeder.addresses }).done()
    for (const [path, bytes] of Object.entries(files)) {
      expect(sha256(await readFile(join(target, 'photos', path)))).toBe(sha256(bytes))
    }
  })
})
