/**
 * The page of `browser.bench.ts`: a browser node (OPFS through a worker,
 * IndexedDB state, the browser's WebSocket) that downloads a share and says
 * how long it took, timed in the page, and which hash provider verified it.
 */
import { createBrowserNode } from '@mycel/node/browser'
import { getDefaultHashProvider } from '@mycel/pieces'
import { openIndexedDbStateStore, openOpfsStorage } from '@mycel/store/browser'
import { expose } from '../../../test/browser/support/page.js'

expose('download', async (magnet: string, peers: string[]) => {
  const storage = await openOpfsStorage()
  const node = await createBrowserNode({ storage, state: await openIndexedDbStateStore({ database: 'bench-state' }) })
  try {
    const started = performance.now()
    const download = node.download(magnet, { peers })
    await download.done()
    const milliseconds = performance.now() - started
    return {
      milliseconds,
      storage: storage.kind,
      bytes: (await storage.size(download.contentPath as string)) ?? 0,
      hash: getDefaultHashProvider().name,
    }
  } finally {
    await node.close()
    await storage.close()
  }
})
