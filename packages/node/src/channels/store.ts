/**
 * Where channels live in the node's state store:
 *
 * - `channels` — JSON list of {@link ChannelRecord}: the channels owned and subscribed, with read keys
 *   and download policies;
 * - `channel-secret/<public key hex>` — the 32-byte Ed25519 secret key of a channel owned here;
 * - `channel-latest/<public key hex>` — the latest verified version, as a `version` gossip message
 *   with its index (what is republished and told to peers after a restart).
 * @module
 */
import type { StateStore } from '@mycel/store'
import { toHex } from '@mycel/wire'
import { decodeChannelMessage, encodeChannelMessage } from './messages.js'
import { checkPolicy, type DownloadPolicy } from './policy.js'
import type { ChannelVersion } from './version.js'

/** What the node keeps about one channel. */
export interface ChannelRecord {
  /** The public key, hex. */
  readonly publicKey: string
  /** Whether this node owns the channel (holds its secret key). */
  readonly owned: boolean
  /** The read key of a private channel, hex, when known. */
  readonly readKey?: string
  /** Whether the node subscribed (a channel owned is followed too, but is no subscription). */
  readonly subscribed: boolean
  /** The download policy of a subscription. */
  readonly policy: DownloadPolicy
}

const LIST_KEY = 'channels'
const utf8 = new TextEncoder()

/** A stored latest version with its index. */
export interface StoredVersion {
  readonly seq: number
  readonly signature: Uint8Array
  readonly value: Uint8Array
  readonly index: Uint8Array | undefined
}

/** The node's channels in its state store. @internal */
export class ChannelStore {
  constructor(private readonly state: StateStore) {}

  /** The channels recorded (records that do not parse are skipped). */
  async list(): Promise<ChannelRecord[]> {
    const bytes = await this.state.getValue(LIST_KEY)
    if (bytes === undefined) return []
    let parsed: unknown
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      return []
    }
    if (!Array.isArray(parsed)) return []
    const records: ChannelRecord[] = []
    for (const item of parsed) {
      const record = item as ChannelRecord
      if (typeof record?.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(record.publicKey)) continue
      try {
        records.push({
          publicKey: record.publicKey,
          owned: record.owned === true,
          subscribed: record.subscribed === true,
          policy: checkPolicy(record.policy),
          ...(typeof record.readKey === 'string' && /^[0-9a-f]{64}$/.test(record.readKey)
            ? { readKey: record.readKey }
            : {}),
        })
      } catch {
        // a policy that does not parse: the record is skipped
      }
    }
    return records
  }

  /** Replaces the list. */
  async save(records: readonly ChannelRecord[]): Promise<void> {
    await this.state.setValue(LIST_KEY, utf8.encode(JSON.stringify(records)))
  }

  async getSecret(publicKeyHex: string): Promise<Uint8Array | undefined> {
    return this.state.getValue(`channel-secret/${publicKeyHex}`)
  }

  async setSecret(publicKeyHex: string, secretKey: Uint8Array): Promise<void> {
    await this.state.setValue(`channel-secret/${publicKeyHex}`, secretKey)
  }

  async deleteSecret(publicKeyHex: string): Promise<void> {
    await this.state.deleteValue(`channel-secret/${publicKeyHex}`)
  }

  /** The latest version stored, or undefined (also when what is stored does not decode). */
  async getLatest(publicKeyHex: string): Promise<StoredVersion | undefined> {
    const bytes = await this.state.getValue(`channel-latest/${publicKeyHex}`)
    if (bytes === undefined) return undefined
    try {
      const message = decodeChannelMessage(bytes)
      if (message.type !== 'version') return undefined
      return { seq: message.seq, signature: message.signature, value: message.value, index: message.index }
    } catch {
      return undefined
    }
  }

  async setLatest(version: ChannelVersion, index: Uint8Array | undefined): Promise<void> {
    const message = encodeChannelMessage({
      type: 'version',
      seq: version.seq,
      signature: version.signature,
      value: version.value,
      ...(index === undefined || version.inlineIndex !== undefined ? {} : { index }),
    })
    await this.state.setValue(`channel-latest/${toHex(version.publicKey)}`, message)
  }

  async deleteLatest(publicKeyHex: string): Promise<void> {
    await this.state.deleteValue(`channel-latest/${publicKeyHex}`)
  }
}
