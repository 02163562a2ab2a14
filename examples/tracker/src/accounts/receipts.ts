/**
 * Credits from receipts. A downloader's node signs, per uploader and share,
 * the bytes it received and verified in all (`@mycel/wire`'s receipt); the
 * tracker keeps the highest per (uploader, downloader, share) and moves the
 * increase from the downloader's credits to the uploader's, in one
 * transaction. So credits are never made from nothing (every credit is
 * someone's debit), a replayed or older receipt changes nothing, a receipt
 * counts at most the share's size, and it counts only when both peers
 * announced the share to this tracker within the window.
 * @module
 */
import { decodeReceipt, toHex, WireError } from '@mycel/wire'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import type { SqlDatabase } from '../storage/sql.js'
import { AccountError } from './errors.js'
import { type Ledger, REPUTATION_SQL } from './ledger.js'
import { catalogueShare } from './share-keys.js'
import type { AccountStore } from './store.js'

/** Receipts per request at most. */
export const MAX_RECEIPTS_PER_REQUEST = 256
/** How far in the future a receipt's time may be (clocks differ), in milliseconds. */
export const RECEIPT_CLOCK_SKEW_MS = 5 * 60 * 1000

/** What happened to one receipt. */
export type ReceiptOutcome =
  | { readonly status: 'credited'; readonly increase: number }
  | { readonly status: 'unchanged' }
  | { readonly status: 'refused'; readonly reason: string }

/** The receipts a tracker holds, and the credits they move. */
export class ReceiptBook {
  /**
   * @param sql - the tracker's database
   * @param store - the accounts (peer keys to users)
   * @param ledger - who announced what when
   * @param nowMs - the clock
   */
  constructor(
    private readonly sql: SqlDatabase,
    private readonly store: AccountStore,
    private readonly ledger: Ledger,
    private readonly nowMs: () => number,
  ) {}

  /**
   * Applies receipts (any logged-in user may hand them in: each is signed by its downloader).
   *
   * @param receipts - base64 strings of signed receipts
   * @returns one outcome per receipt, in order
   * @throws {@link AccountError} `REQUEST_INVALID` when `receipts` is not a list of at most 256 strings
   */
  async submit(receipts: unknown): Promise<{ results: ReceiptOutcome[] }> {
    if (!Array.isArray(receipts) || receipts.length > MAX_RECEIPTS_PER_REQUEST) {
      throw new AccountError(
        'REQUEST_INVALID',
        `receipts must be a list of at most ${MAX_RECEIPTS_PER_REQUEST} base64 strings`,
      )
    }
    const results: ReceiptOutcome[] = []
    for (const text of receipts) results.push(await this.apply(text))
    return { results }
  }

  private async apply(text: unknown): Promise<ReceiptOutcome> {
    if (typeof text !== 'string' || text.length > 512) return refused('not a base64 receipt')
    let receipt: ReturnType<typeof decodeReceipt>
    try {
      receipt = decodeReceipt(new Uint8Array(Buffer.from(text, 'base64')), getDefaultCrypto())
    } catch (err) {
      if (err instanceof WireError || err instanceof RangeError || err instanceof TypeError) return refused(err.message)
      throw err
    }
    if (receipt.issuedAt > this.nowMs() + RECEIPT_CLOCK_SKEW_MS) return refused('issued in the future')
    const uploader = await this.store.userByPeerKey(receipt.uploader)
    const downloader = await this.store.userByPeerKey(receipt.downloader)
    if (uploader === undefined || downloader === undefined) {
      return refused('the uploader and the downloader must each have bound their peer key to an account')
    }
    if (uploader.id === downloader.id) return refused('an account cannot credit itself')
    const share = await catalogueShare(this.sql, receipt.share)
    if (share === undefined) return refused(`share ${toHex(receipt.share)} is not in the catalogue`)
    if (
      !this.ledger.announcedWithin(uploader.id, share.keys) ||
      !this.ledger.announcedWithin(downloader.id, share.keys)
    ) {
      return refused('both peers must have announced the share within the window')
    }
    const capped = Math.min(receipt.bytes, share.size)
    const now = Math.floor(this.nowMs() / 1000)
    // Optimistic: the row changes only from the value read; a concurrent writer makes this try again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const outcome = await this.sql.transaction(async (tx): Promise<ReceiptOutcome | undefined> => {
        const [row] = await tx.all<{ bytes: number }>(
          'SELECT bytes FROM tracker_receipts WHERE uploader_id = $1 AND downloader_id = $2 AND share = $3',
          [uploader.id, downloader.id, receipt.share],
        )
        const held = row === undefined ? 0 : Number(row.bytes)
        if (capped <= held) return { status: 'unchanged' }
        const changed =
          row === undefined
            ? await tx.run(
                `INSERT INTO tracker_receipts (uploader_id, downloader_id, share, bytes, updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (uploader_id, downloader_id, share) DO NOTHING`,
                [uploader.id, downloader.id, receipt.share, capped, now],
              )
            : await tx.run(
                'UPDATE tracker_receipts SET bytes = $1, updated_at = $2 WHERE uploader_id = $3 AND downloader_id = $4 AND share = $5 AND bytes = $6',
                [capped, now, uploader.id, downloader.id, receipt.share, held],
              )
        if (changed === 0) return undefined
        const increase = capped - held
        await tx.run(
          `UPDATE tracker_users SET credits = credits + $1, verified_uploaded = verified_uploaded + $1,
           reputation = ${REPUTATION_SQL.replace('verified_uploaded', '(verified_uploaded + $1)')} WHERE id = $2`,
          [increase, uploader.id],
        )
        await tx.run(
          'UPDATE tracker_users SET credits = credits - $1, verified_downloaded = verified_downloaded + $1 WHERE id = $2',
          [increase, downloader.id],
        )
        return { status: 'credited', increase }
      })
      if (outcome !== undefined) return outcome
    }
    throw new AccountError('BUSY', 'the receipt could not be applied, try again')
  }
}

function refused(reason: string): ReceiptOutcome {
  return { status: 'refused', reason }
}
