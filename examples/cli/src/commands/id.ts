import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { loadOrCreateIdentity } from '@mycel/transport/node'
import type { Context } from '../context.js'

/**
 * `mycel id`: shows the peer id of the data folder's identity, creating the
 * identity first if there is none.
 *
 * @param context - the command's context
 * @returns the exit status
 */
export async function runId(context: Context): Promise<number> {
  const { dataDir } = context.options
  const path = join(dataDir, 'identity.json')
  const created = !existsSync(path)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const identity = await loadOrCreateIdentity(path)
  const peerId = identity.toString()
  if (created) context.out.note(`created a new identity in ${path}`)
  context.out.result([peerId], { peerId, path, created })
  return 0
}
