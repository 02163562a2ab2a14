import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { StoreError } from '@mycel/store'
import { openSqliteStateStore } from '@mycel/store/sqlite'
import type { Context } from '../context.js'
import { ControlClient } from '../control/client.js'
import { CONTROL_SOCKET_NAME } from '../control/protocol.js'
import { explain } from '../errors.js'
import type { NodeAccess } from './access.js'
import { RemoteAccess } from './remote.js'
import { StoredAccess } from './stored.js'

/** The state database's file name inside the data folder (as `@mycel/node` names it). */
export const STATE_DB_NAME = 'state.db'

/**
 * Reaches the node of a data folder: through the control socket of the
 * process running for it, or else by opening its state database for the
 * length of one command. A folder whose database is locked but whose
 * process does not answer yet (it is starting) is asked again once.
 *
 * @param context - the command's context
 * @returns the access; close it when done
 * @throws `CliError` `DATA_DIR_BUSY` when another program holds the database and no mycel process answers
 */
export async function openNodeAccess(context: Context): Promise<NodeAccess> {
  const { dataDir } = context.options
  const socketPath = join(dataDir, CONTROL_SOCKET_NAME)
  for (let attempt = 0; ; attempt++) {
    const client = await ControlClient.connect(socketPath)
    if (client !== undefined) return new RemoteAccess(client)
    const dbPath = join(dataDir, STATE_DB_NAME)
    if (!existsSync(dbPath)) return new StoredAccess(undefined, dataDir)
    try {
      return new StoredAccess(await openSqliteStateStore(dbPath, { logger: context.logger }), dataDir)
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'DATABASE_LOCKED') || attempt >= 3) {
        throw explain(error, context.explain)
      }
      await sleep(500) // a process that is starting holds the database before its control socket is up
    }
  }
}

/**
 * Runs `body` with access to the node of the data folder, and closes it after.
 *
 * @param context - the command's context
 * @param body - what to do
 * @returns what `body` returns
 */
export async function withNodeAccess<T>(context: Context, body: (access: NodeAccess) => Promise<T>): Promise<T> {
  const access = await openNodeAccess(context)
  try {
    return await body(access)
  } finally {
    await access.close()
  }
}
