import { withNodeAccess } from '../access/open.js'
import type { Context } from '../context.js'
import { findShare } from '../share-lookup.js'

/**
 * `mycel rm <infohash>`: makes the data folder forget a share or download
 * (it is no longer seeded or resumed); its files stay where they are.
 *
 * @param context - the command's context
 * @param input - infohash, prefix or magnet link
 * @returns the exit status
 */
export async function runRm(context: Context, input: string): Promise<number> {
  return withNodeAccess(context, async (access) => {
    const share = findShare(input, await access.list(), context.options.dataDir)
    await access.remove(share.infohash)
    context.out.result([`forgot ${share.name} (its files stay in ${share.path})`], {
      removed: share.infohash,
      name: share.name,
      path: share.path,
    })
    return 0
  })
}
