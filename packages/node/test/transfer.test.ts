import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode } from '../src/index.js'
import { cleanup, memoryNode, sha256, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

describe('transfer between two nodes', () => {
  it('downloads a shared file by magnet and direct address, verified', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    const target = await tempDir()
    dirs.push(source, target)
    const bytes = await writeContent(join(source, 'movie.bin'), 3 * 1024 * 1024 + 12345)
    const seeder = await memoryNode(network.transport())
    const leecher = await memoryNode(network.transport())
    nodes.push(seeder, leecher)
    const share = await seeder.share(join(source, 'movie.bin'), { pieceLength: 256 * 1024 })
    const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses })
    const progress = await download.done()
    expect(progress.verifiedBytes).toBe(bytes.length)
    expect(progress.piecesVerified).toBe(share.manifest.pieceCount)
    expect(sha256(await readFile(join(target, 'movie.bin')))).toBe(sha256(bytes))
  })
})
