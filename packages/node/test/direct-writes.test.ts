import { constants } from 'node:fs'
import { readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode } from '../src/index.js'
import { cleanup, memoryNode, sha256, sha256File, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

const MiB = 1024 * 1024
const O_DIRECT = constants.O_DIRECT ?? 0

/** The open-file flags of every descriptor of this process open on `path` (Linux: /proc/self/fdinfo). */
async function openFlags(path: string): Promise<number[]> {
  const flags: number[] = []
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => undefined)
    if (target !== path) continue
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '')
    const match = /^flags:\s+([0-7]+)$/m.exec(info)
    if (match) flags.push(Number.parseInt(match[1] as string, 8))
  }
  return flags
}

/** Downloads a 3 MiB file in 1 MiB pieces; returns the copy's path and the flags of the leecher's descriptors on it. */
async function download(directWrites: boolean | undefined): Promise<{ flags: number[]; same: boolean }> {
  const network = createMemoryNetwork()
  const source = await tempDir()
  const target = await tempDir()
  dirs.push(source, target)
  const bytes = await writeContent(join(source, 'big.bin'), 3 * MiB + 5000, 81)
  const seeder = await memoryNode(network.transport())
  const leecher = await memoryNode(network.transport(), directWrites === undefined ? {} : { directWrites })
  nodes.push(seeder, leecher)
  const share = await seeder.share(join(source, 'big.bin'), { pieceLength: MiB })
  await leecher.download(share.magnet, { dir: target, peers: seeder.addresses }).done()
  const copy = join(target, 'big.bin')
  // the leecher's file handle pool keeps the descriptors open until the node closes
  return { flags: await openFlags(copy), same: (await sha256File(copy)) === sha256(bytes) }
}

describe.runIf(process.platform === 'linux' && O_DIRECT !== 0)('direct writes of a node (Linux)', () => {
  it('write pieces of 1 MiB through a descriptor opened with O_DIRECT by default', async () => {
    const { flags, same } = await download(undefined)
    expect(same).toBe(true)
    expect(flags.some((f) => (f & O_DIRECT) !== 0)).toBe(true) // the direct one
    expect(flags.some((f) => (f & O_DIRECT) === 0)).toBe(true) // the ordinary one (the last piece's tail)
  })

  it('write through the page cache only with directWrites: false', async () => {
    const { flags, same } = await download(false)
    expect(same).toBe(true)
    expect(flags.length).toBeGreaterThan(0)
    expect(flags.every((f) => (f & O_DIRECT) === 0)).toBe(true)
  })
})

describe('directWrites option', () => {
  it('must be a boolean', async () => {
    const dataDir = await tempDir()
    dirs.push(dataDir)
    await expect(createNode({ dataDir, dht: false, directWrites: 'yes' as never })).rejects.toThrow(TypeError)
  })
})
