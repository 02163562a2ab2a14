/**
 * What a subscription downloads by itself when a version adds entries.
 * @module
 */
import type { ChannelEntry } from './index-format.js'

/**
 * A subscription's download policy: every new entry (`all`), none (`none`,
 * the default), those whose name or text holds a text (case-insensitive),
 * or those of at most a size in bytes.
 */
export type DownloadPolicy =
  | { readonly type: 'all' }
  | { readonly type: 'none' }
  | { readonly type: 'match'; readonly text: string }
  | { readonly type: 'max-size'; readonly bytes: number }

/**
 * Checks a policy an app or a stored subscription gives.
 * @param policy - the policy (undefined: `none`)
 * @returns the policy
 * @throws TypeError for anything else
 */
export function checkPolicy(policy: unknown): DownloadPolicy {
  if (policy === undefined) return { type: 'none' }
  const value = policy as DownloadPolicy
  if (typeof value === 'object' && value !== null) {
    if (value.type === 'all' || value.type === 'none') return { type: value.type }
    if (value.type === 'match' && typeof value.text === 'string' && value.text !== '' && value.text.length <= 256) {
      return { type: 'match', text: value.text }
    }
    if (value.type === 'max-size' && Number.isSafeInteger(value.bytes) && value.bytes >= 0) {
      return { type: 'max-size', bytes: value.bytes }
    }
  }
  throw new TypeError('a download policy is all, none, match (text of 1 to 256 characters) or max-size (bytes)')
}

/**
 * Reads a policy as the CLI writes it: `all`, `none`, `match:<text>`, `max-size:<bytes>`.
 * @param text - the text
 * @returns the policy
 * @throws TypeError for other text
 */
export function parsePolicy(text: string): DownloadPolicy {
  if (text === 'all' || text === 'none') return { type: text }
  if (text.startsWith('match:')) return checkPolicy({ type: 'match', text: text.slice('match:'.length) })
  if (text.startsWith('max-size:')) {
    const digits = text.slice('max-size:'.length)
    if (/^\d{1,15}$/.test(digits)) return { type: 'max-size', bytes: Number(digits) }
  }
  throw new TypeError(`not a download policy: ${JSON.stringify(text)} (all, none, match:<text> or max-size:<bytes>)`)
}

/**
 * Whether a policy downloads an entry.
 * @param policy - the policy
 * @param entry - a new entry
 * @returns whether to download it
 */
export function policyWants(policy: DownloadPolicy, entry: ChannelEntry): boolean {
  switch (policy.type) {
    case 'all':
      return true
    case 'none':
      return false
    case 'match': {
      const needle = policy.text.toLowerCase()
      return entry.name.toLowerCase().includes(needle) || (entry.text?.toLowerCase().includes(needle) ?? false)
    }
    case 'max-size':
      return entry.size <= policy.bytes
  }
}
