import { type Manifest, parseMagnet } from '@mycel/pieces'
import type { NodeAccess } from './access/access.js'
import { CliError } from './errors.js'
import type { ShareView } from './views.js'

/** Fewest hex digits of an infohash prefix that commands accept. */
export const MIN_PREFIX_LENGTH = 4

/**
 * Finds the share a person means: a full infohash, a magnet link, or a
 * prefix of at least 4 hex digits that only one share starts with (`ls`
 * shows 12).
 *
 * @param input - what was typed
 * @param shares - the shares of the data folder
 * @param dataDir - for the message
 * @returns the share
 * @throws {@link CliError} `USAGE` for text that is no infohash, `SHARE_NOT_FOUND`, `INFOHASH_AMBIGUOUS`
 */
export function findShare(input: string, shares: readonly ShareView[], dataDir: string): ShareView {
  const text = input.trim().toLowerCase()
  let prefix: string
  if (text.startsWith('magnet:')) {
    prefix = Buffer.from(parseMagnet(input).infohash).toString('hex')
  } else if (/^[0-9a-f]+$/.test(text) && text.length >= MIN_PREFIX_LENGTH && text.length <= 64) {
    prefix = text
  } else {
    throw CliError.usage(
      `not an infohash: ${JSON.stringify(input.slice(0, 80))}`,
      `give its hex digits (at least ${MIN_PREFIX_LENGTH}) as mycel ls shows them, or its magnet link`,
    )
  }
  const matches = shares.filter((share) => share.infohash.startsWith(prefix))
  const [first] = matches
  if (first === undefined) {
    throw new CliError('SHARE_NOT_FOUND', `no share ${prefix} in ${dataDir}`, 'see mycel ls for the shares there')
  }
  if (matches.length > 1) {
    throw new CliError(
      'INFOHASH_AMBIGUOUS',
      `${prefix} starts ${matches.length} infohashes (${matches.map((share) => share.name).join(', ')})`,
      'give more of its digits',
    )
  }
  return first
}

/**
 * Finds the share a person means (see {@link findShare}) and its manifest.
 *
 * @param access - the data folder's node
 * @param input - what was typed
 * @param dataDir - for the message
 * @param hint - what to do when the manifest has not arrived yet
 * @returns the share and its manifest
 * @throws {@link CliError} as {@link findShare}, and `SHARE_NOT_FOUND` when the metadata has not arrived
 */
export async function findShareManifest(
  access: NodeAccess,
  input: string,
  dataDir: string,
  hint: string,
): Promise<{ share: ShareView; manifest: Manifest }> {
  const share = findShare(input, await access.list(), dataDir)
  const manifest = await access.manifest(share.infohash)
  if (manifest === undefined) {
    throw new CliError('SHARE_NOT_FOUND', `the metadata of ${share.name} has not arrived yet`, hint)
  }
  return { share, manifest }
}
