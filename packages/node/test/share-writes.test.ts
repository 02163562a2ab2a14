import { join } from 'node:path'
import { MemoryStateStore, type StateStore } from '@mycel/store'
import { openSqliteStateStore } from '@mycel/store/sqlite'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode } from '../src/index.js'
import { contentStampsKey } from '../src/state-keys.js'
import { cleanup, memoryNode, sha256File, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
/** Stores the test opened: a node given one does not close it. */
const stores: StateStore[] = []
afterEach(async () => {
  await Promise.allSettled(nodes.map((node) => node.close()))
  await Promise.allSettled(stores.splice(0).map((store) => store.close()))
  await cleanup(nodes.splice(0), dirs.splice(0))
})

const WRITES = ['putSeed', 'putManifest', 'addShare', 'updateShare', 'removeShare', 'setBitfield', 'setValue'] as const

/** The store, counting the calls of its write methods (the counts are reset by the caller). */
function counted(state: StateStore): { state: StateStore; calls: Map<string, number> } {
  const calls = new Map<string, number>()
  const proxy = new Proxy(state, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof value !== 'function' || !(WRITES as readonly PropertyKey[]).includes(key)) return value
      return (...args: unknown[]) => {
        calls.set(String(key), (calls.get(String(key)) ?? 0) + 1)
        return value.apply(receiver, args)
      }
    },
  })
  return { state: proxy, calls }
}

async function files(count: number): Promise<string[]> {
  const source = await tempDir()
  dirs.push(source)
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const path = join(source, `${i}.bin`)
      await writeContent(path, 64 * 1024 + i, 10 + i)
      return path
    }),
  )
}

describe('what share() writes to the state store', () => {
  it('records each share in one write (putSeed) on the SQLite store, and every share is served', async () => {
    const dataDir = await tempDir()
    dirs.push(dataDir)
    const sqlite = await openSqliteStateStore(join(dataDir, 'state.db'))
    stores.push(sqlite)
    const { state, calls } = counted(sqlite)
    const network = createMemoryNetwork()
    const seeder = await memoryNode(network.transport(), { state })
    nodes.push(seeder)
    const paths = await files(3)
    calls.clear()
    const shares = []
    for (const path of paths) shares.push(await seeder.share(path))
    expect(Object.fromEntries(calls)).toEqual({ putSeed: 3 })

    // what the one write held: the record, every piece, the files' stamps
    for (const share of shares) {
      expect(await state.getShare(share.infohash)).toMatchObject({ role: 'seed', status: 'complete' })
      expect((await state.getBitfield(share.infohash))?.isComplete()).toBe(true)
      const stamps = JSON.parse(new TextDecoder().decode(await state.getValue(contentStampsKey(share.infohashHex))))
      expect(stamps).toHaveLength(1)
      expect(stamps[0][0]).toBe(share.manifest.totalLength)
    }

    const leecher = await memoryNode(network.transport())
    nodes.push(leecher)
    const target = await tempDir()
    dirs.push(target)
    const downloads = shares.map((share) => leecher.download(share.magnet, { dir: target, peers: seeder.addresses }))
    await Promise.all(downloads.map((download) => download.done()))
    for (const [i, download] of downloads.entries()) {
      expect(await sha256File(download.contentPath as string)).toBe(await sha256File(paths[i] as string))
    }
  })

  it('makes the writes one by one on a store without putSeed, to the same records', async () => {
    const { state, calls } = counted(new MemoryStateStore())
    const seeder = await memoryNode(createMemoryNetwork().transport(), { state })
    nodes.push(seeder)
    const [path] = await files(1)
    calls.clear()
    const share = await seeder.share(path as string)
    expect(calls.get('putSeed')).toBeUndefined()
    expect(calls.get('setValue')).toBe(1)
    expect(await state.getShare(share.infohash)).toMatchObject({ role: 'seed', status: 'complete' })
    expect((await state.getBitfield(share.infohash))?.isComplete()).toBe(true)
    expect(await state.getValue(contentStampsKey(share.infohashHex))).toBeDefined()
  })
})
