import { join } from 'node:path'
import { MemoryStateStore, type ShareUpdate, type StateOptions } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode } from '../src/index.js'
import { cleanup, memoryNode, tempDir, writeContent } from './helpers.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled)
  await cleanup(nodes.splice(0), dirs.splice(0))
})

/** A state store that fails one kind of write, as a full or broken disk would. */
class FailingState extends MemoryStateStore {
  constructor(private readonly failing: (what: 'flush' | ShareUpdate) => boolean) {
    super()
  }

  override async flush(options?: StateOptions): Promise<void> {
    if (this.failing('flush')) throw new Error('flush failed: disk is gone')
    return super.flush(options)
  }

  override async updateShare(infohash: Uint8Array, update: ShareUpdate, options?: StateOptions) {
    if (this.failing(update)) throw new Error('update failed: disk is gone')
    return super.updateShare(infohash, update, options)
  }
}

const CASES: { what: string; failing: (what: 'flush' | ShareUpdate) => boolean; message: string }[] = [
  { what: 'the flush at completion', failing: (what) => what === 'flush', message: 'flush failed' },
  {
    what: 'recording the completion',
    failing: (what) => what !== 'flush' && what.status === 'complete',
    message: 'update failed',
  },
  {
    what: 'recording the name once the manifest arrives',
    failing: (what) => what !== 'flush' && what.name !== undefined,
    message: 'update failed',
  },
]

describe('a state store that fails while a download ends', () => {
  for (const { what, failing, message } of CASES) {
    it(`rejects done() when ${what} fails, with nothing unhandled`, async () => {
      process.on('unhandledRejection', onUnhandled)
      const network = createMemoryNetwork()
      const source = await tempDir()
      const target = await tempDir()
      dirs.push(source, target)
      await writeContent(join(source, 'a.bin'), 200_000, 51)
      const seeder = await memoryNode(network.transport())
      const leecher = await memoryNode(network.transport(), { state: new FailingState(failing) })
      nodes.push(seeder, leecher)
      const share = await seeder.share(join(source, 'a.bin'))
      const errors: unknown[] = []
      leecher.on('download-error', (_infohash, error) => errors.push(error))
      const download = leecher.download(share.magnet, { dir: target, peers: seeder.addresses })
      await expect(download.done()).rejects.toThrow(message)
      expect(errors).toHaveLength(1)
      await new Promise((resolve) => setImmediate(resolve)) // an unhandled rejection is reported by now
      expect(unhandled).toEqual([])
    })
  }
})
