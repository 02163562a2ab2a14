/**
 * Reports of bad peers: a user's node that received corrupt data from a
 * peer (it bans the peer) or whose transfer from it failed reports the
 * peer's key; the account that bound that key loses reputation. A report
 * counts once per (reporter, reported, share), only when the reporter
 * announced the share within the window, and never for oneself; so one
 * account can lower another's reputation by at most one penalty per share
 * (docs/tracker.md says what sybils can still do).
 * @module
 */
import type { SqlDatabase } from '../storage/sql.js'
import type { Caller } from './accounts.js'
import { AccountError } from './errors.js'
import { type Ledger, REPUTATION_SQL } from './ledger.js'
import { catalogueShare } from './share-keys.js'
import type { AccountStore } from './store.js'

/** Reputation points a report takes, by reason. */
export const REPORT_PENALTY = { corrupt: 5, failed: 1 } as const

/** Why a peer is reported. */
export type ReportReason = keyof typeof REPORT_PENALTY

/** What happened to a report. */
export type ReportOutcome = { readonly status: 'counted'; readonly penalty: number } | { readonly status: 'unchanged' }

/** Reports, and the reputation they take. */
export class ReportBook {
  /**
   * @param sql - the tracker's database
   * @param store - the accounts (peer keys)
   * @param ledger - who announced what when
   * @param nowSeconds - the clock
   */
  constructor(
    private readonly sql: SqlDatabase,
    private readonly store: AccountStore,
    private readonly ledger: Ledger,
    private readonly nowSeconds: () => number,
  ) {}

  /**
   * Counts a report.
   *
   * @param caller - the reporter
   * @param body - `{ peerKey: 64 hex, share: 64 hex (v2 infohash), reason: "corrupt" | "failed" }`
   * @returns whether it counted
   * @throws {@link AccountError} `REQUEST_INVALID` (fields, a share not in the catalogue, the reporter did not
   *   announce it, oneself), `NOT_FOUND` (no account bound that key)
   */
  async report(caller: Caller, body: Record<string, unknown>): Promise<ReportOutcome> {
    const { peerKey, share, reason } = body
    if (typeof peerKey !== 'string' || !/^[0-9a-f]{64}$/i.test(peerKey)) {
      throw new AccountError('REQUEST_INVALID', 'peerKey must be 64 hex digits')
    }
    if (typeof share !== 'string' || !/^[0-9a-f]{64}$/i.test(share)) {
      throw new AccountError('REQUEST_INVALID', 'share must be the 64 hex digits of a v2 infohash')
    }
    if (reason !== 'corrupt' && reason !== 'failed') {
      throw new AccountError('REQUEST_INVALID', 'reason must be "corrupt" or "failed"')
    }
    const shareBytes = new Uint8Array(Buffer.from(share, 'hex'))
    const found = await catalogueShare(this.sql, shareBytes)
    if (found === undefined) throw new AccountError('REQUEST_INVALID', 'that share is not in the catalogue')
    if (!this.ledger.announcedWithin(caller.user.id, found.keys)) {
      throw new AccountError(
        'REQUEST_INVALID',
        'you must have announced the share within the window to report a peer of it',
      )
    }
    const reported = await this.store.userByPeerKey(new Uint8Array(Buffer.from(peerKey, 'hex')))
    if (reported === undefined) throw new AccountError('NOT_FOUND', 'no account bound that peer key')
    if (reported.id === caller.user.id) throw new AccountError('REQUEST_INVALID', 'you cannot report yourself')
    const penalty = REPORT_PENALTY[reason]
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.run(
        `INSERT INTO tracker_reports (reporter_id, reported_id, share, reason, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (reporter_id, reported_id, share) DO NOTHING`,
        [caller.user.id, reported.id, shareBytes, reason, this.nowSeconds()],
      )
      if (inserted === 0) return { status: 'unchanged' } as const
      await tx.run(
        `UPDATE tracker_users SET penalty = penalty + $1, reputation = ${REPUTATION_SQL.replace('penalty', '(penalty + $1)')} WHERE id = $2`,
        [penalty, reported.id],
      )
      return { status: 'counted', penalty } as const
    })
  }
}
