/**
 * How `NodeOptions.trackerAccounts` are wired into a node: the receipts
 * protocol (the app's, or one made with the node's identity), the announce
 * signer of the accounts that sign their announces, and once the node is
 * built, the {@link TrackerAccounts} that watch its receipts and bans.
 * @internal
 * @module
 */

import type { StateStore } from '@mycel/store'
import { type Identity, parsePeerId } from '@mycel/transport'
import { fromHex, signAnnounceKey } from '@mycel/wire'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import type { Logger } from '@mycel/wire/log'
import type { Clock } from '../clock.js'
import { loadShareTrackers } from '../discovery/share-trackers.js'
import {
  checkTrackerAccount,
  originOf,
  TrackerAccountApi,
  type TrackerAccountOptions,
} from '../discovery/tracker/account-api.js'
import type { AnnounceSigner, FetchFunction } from '../discovery/tracker/settings.js'
import { parseTrackerList, type TrackerList, tierUrls } from '../discovery/tracker/tiers.js'
import type { NodeEvents, PeerFault } from '../events.js'
import type { ConnectionProtocol } from '../peer/protocols.js'
import type { TypedEmitter } from '../typed-emitter.js'
import { ReceiptsProtocol } from './receipts-protocol.js'
import { TrackerAccounts } from './tracker-accounts.js'

/** What the accounts need from the node being assembled. */
export interface AccountWiringInput {
  readonly accounts: readonly TrackerAccountOptions[] | undefined
  readonly identity: Identity
  readonly protocols: readonly ConnectionProtocol[]
  readonly fetch: FetchFunction | undefined
  readonly state: StateStore
  /** The node's trackers (of every share). */
  readonly trackers: TrackerList
  readonly logger: Logger
  readonly clock: Clock
}

/** The parts the accounts add. */
export interface AccountWiring {
  /** The node's protocols, with a `ReceiptsProtocol` when there are accounts. */
  readonly protocols: readonly ConnectionProtocol[]
  /** Signs announces to the trackers of accounts with `signAnnounces`; none without. */
  readonly signer: AnnounceSigner | undefined
  /** Starts watching the node's receipts and bans; undefined without accounts. */
  attach(node: TypedEmitter<NodeEvents>): TrackerAccounts | undefined
}

/**
 * Checks `NodeOptions.trackerAccounts` (before anything is opened).
 * @throws TypeError for something that is not a list of accounts with http(s) URLs and a token
 */
export function checkTrackerAccounts(accounts: unknown): void {
  if (accounts === undefined) return
  if (!Array.isArray(accounts)) throw new TypeError('trackerAccounts must be an array')
  for (const account of accounts) checkTrackerAccount(account as TrackerAccountOptions)
}

/**
 * Checks the accounts and makes their parts.
 * @throws TypeError for accounts that are not a list of `TrackerAccountOptions`
 */
export function wireTrackerAccounts(input: AccountWiringInput): AccountWiring {
  const { accounts } = input
  checkTrackerAccounts(accounts)
  const fetch = input.fetch ?? (globalThis.fetch as FetchFunction | undefined)
  if ((accounts ?? []).length === 0 || fetch === undefined) {
    return { protocols: input.protocols, signer: undefined, attach: () => undefined }
  }
  const apis = (accounts as TrackerAccountOptions[]).map((account) => new TrackerAccountApi(account, fetch))
  const own = input.protocols.find((protocol): protocol is ReceiptsProtocol => protocol instanceof ReceiptsProtocol)
  const secretKey = input.identity.exportSecretKey()
  const receipts = own ?? new ReceiptsProtocol({ secretKey })
  const signing = new Set(apis.filter((api) => api.account.signAnnounces === true).map((api) => api.announceOrigin))
  const crypto = getDefaultCrypto()
  const signer: AnnounceSigner | undefined =
    signing.size === 0
      ? undefined
      : {
          signs: (url) => signing.has(originOf(url) ?? '') && new URL(url).pathname === '/announce',
          key: (infohash) => signAnnounceKey(secretKey, infohash, Math.floor(Date.now() / 60_000), crypto),
        }
  const nodeTrackers = tierUrls(parseTrackerList(input.trackers).tiers).flat()
  return {
    protocols: own === undefined ? [...input.protocols, receipts] : input.protocols,
    signer,
    attach(node) {
      let stopWatching = (): void => {}
      const onBanned = (peerId: string, _reason: string, _peer: unknown, infohash: string | undefined): void => {
        if (infohash === undefined) return
        let key: Uint8Array
        try {
          key = parsePeerId(peerId)
        } catch {
          return // a key of another wire: no mycel account can have bound it
        }
        const share = fromHex(infohash)
        if (share !== undefined) tracked.banned(key, share)
      }
      // A peer disconnected for failing a download's requests: only those faults name a share.
      const onPenalised = (fault: PeerFault): void => {
        if (!fault.disconnected || fault.infohash === undefined) return
        let key: Uint8Array
        try {
          key = parsePeerId(fault.peerId)
        } catch {
          return
        }
        const share = fromHex(fault.infohash)
        if (share !== undefined) tracked.failed(key, share)
      }
      const tracked = new TrackerAccounts({
        apis,
        trackersOf: async (infohashHex) => [
          ...nodeTrackers,
          ...(await loadShareTrackers(input.state, infohashHex)).flat(),
        ],
        log: input.logger.forComponent('mycel:tracker'),
        clock: input.clock,
        crypto,
        detach: () => {
          stopWatching()
          node.off('peer-banned', onBanned)
          node.off('peer-penalised', onPenalised)
        },
      })
      // A finished download signs what is left under the receipt step at once (its uploaders hand it in).
      const onDone = (): void => receipts.flush()
      const stopReceipts = receipts.watch(() => tracked.takeFrom(receipts))
      stopWatching = () => {
        stopReceipts()
        node.off('download-done', onDone)
      }
      node.on('download-done', onDone)
      node.on('peer-banned', onBanned)
      node.on('peer-penalised', onPenalised)
      return tracked
    },
  }
}
