import { join } from 'node:path'
import * as vitest from 'vitest'
import { openSqliteStateStore, type SqliteStateStore } from '../src/sqlite.js'
import { stateStoreCompliance } from '../src/testing.js'
import { removeTempDirs, tempDir } from './helpers.js'

stateStoreCompliance(vitest, 'SqliteStateStore', {
  create: async ({ now, maxPeers }) =>
    openSqliteStateStore(join(await tempDir(), 'state.db'), maxPeers === undefined ? { now } : { now, maxPeers }),
  reopen: async (store, { now }) => {
    await store.close()
    return openSqliteStateStore((store as SqliteStateStore).path, { now })
  },
  cleanup: removeTempDirs,
})

stateStoreCompliance(vitest, 'SqliteStateStore in memory', {
  create: async ({ now, maxPeers }) =>
    openSqliteStateStore(':memory:', maxPeers === undefined ? { now } : { now, maxPeers }),
})
