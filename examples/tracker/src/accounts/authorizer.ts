/**
 * Private mode's {@link Authorizer}: an announce or scrape must carry the
 * passkey of an account (`/announce/<passkey>`); unknown and revoked ones
 * get a `failure reason`. Answers are cached for a few seconds (a flood of
 * bad passkeys costs one lookup each per TTL), and a rotation or a
 * revocation in this process is seen at once; in another process sharing
 * the database, within the TTL. Served announces go to the {@link Ledger}.
 * @module
 */
import { isSignedAnnounceKey, toHex, verifyAnnounceKey, WireError } from '@mycel/wire'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import { compactKey } from '../address.js'
import type { AccessDecision, AccessRequest, Authorizer } from '../core/access.js'
import type { Ledger } from './ledger.js'
import type { AccountStore } from './store.js'

/** Failure reasons a stock client shows its user. */
export const PASSKEY_FAILURE = {
  missing: 'this tracker is private: announce to your personal URL /announce/<passkey>',
  unknown: 'unknown or revoked passkey',
  badSignature: 'signed announce key does not verify',
  stale: 'signed announce key is too old or too new (check the clock)',
  unboundKey: 'no account bound this peer key',
} as const

/** Minutes a signed announce key is good for, either side of its time. */
export const SIGNED_KEY_MINUTES = 2

/** Seconds a passkey's lookup is cached. */
export const PASSKEY_CACHE_SECONDS = 5
/** Passkeys cached at most. */
export const PASSKEY_CACHE_ENTRIES = 100_000

interface Cached {
  readonly userId: number | undefined
  readonly until: number
}

/** Passkeys to accounts, for the tracker's private mode. */
export class PasskeyAuthorizer implements Authorizer {
  private readonly cache = new Map<string, Cached>()

  /**
   * @param store - the accounts
   * @param ledger - where served announces are counted, or none
   * @param nowMs - the clock, in milliseconds
   */
  constructor(
    private readonly store: AccountStore,
    private readonly ledger: Ledger | undefined,
    private readonly nowMs: () => number = Date.now,
  ) {}

  authorize(request: AccessRequest): AccessDecision | Promise<AccessDecision> {
    const passkey = request.passkey
    if (passkey === undefined) return { allowed: false, reason: PASSKEY_FAILURE.missing }
    if (isSignedAnnounceKey(passkey)) return this.authorizeSigned(passkey, request)
    const cached = this.cache.get(passkey)
    if (cached !== undefined && cached.until > this.nowMs()) return this.decide(cached.userId, request)
    return this.store.userByPasskey(passkey).then((user) => {
      if (this.cache.size >= PASSKEY_CACHE_ENTRIES) this.cache.clear()
      this.cache.set(passkey, { userId: user?.id, until: this.nowMs() + PASSKEY_CACHE_SECONDS * 1000 })
      return this.decide(user?.id, request)
    })
  }

  /**
   * A mycel node's signed announce key (`s1.<peer key>.<minute>.<signature>`,
   * `@mycel/wire`'s `signAnnounceKey`): the signature over the request's
   * (first) infohash, a time within {@link SIGNED_KEY_MINUTES}, a peer key an
   * account bound. Verified keys are cached with the infohash they signed.
   */
  private authorizeSigned(key: string, request: AccessRequest): AccessDecision | Promise<AccessDecision> {
    const infohash = request.infohashes[0]
    if (infohash === undefined) return { allowed: false, reason: PASSKEY_FAILURE.badSignature }
    const cacheKey = `${key}|${toHex(infohash)}`
    const cached = this.cache.get(cacheKey)
    if (cached !== undefined && cached.until > this.nowMs()) return this.decide(cached.userId, request, true)
    let peerKey: Uint8Array
    try {
      const read = verifyAnnounceKey(key, infohash, getDefaultCrypto())
      if (Math.abs(read.minute - Math.floor(this.nowMs() / 60_000)) > SIGNED_KEY_MINUTES) {
        return { allowed: false, reason: PASSKEY_FAILURE.stale }
      }
      peerKey = read.peerKey
    } catch (err) {
      if (err instanceof WireError) return { allowed: false, reason: PASSKEY_FAILURE.badSignature }
      throw err
    }
    return this.store.userByPeerKey(peerKey).then((user) => {
      if (this.cache.size >= PASSKEY_CACHE_ENTRIES) this.cache.clear()
      this.cache.set(cacheKey, { userId: user?.id, until: this.nowMs() + PASSKEY_CACHE_SECONDS * 1000 })
      return this.decide(user?.id, request, true)
    })
  }

  private decide(userId: number | undefined, request: AccessRequest, signed = false): AccessDecision {
    if (userId === undefined && signed) return { allowed: false, reason: PASSKEY_FAILURE.unboundKey }
    if (userId === undefined) return { allowed: false, reason: PASSKEY_FAILURE.unknown }
    const announce = request.announce
    if (announce !== undefined) {
      const peer = announce.port === 0 ? undefined : compactKey(request.address.ip, announce.port)
      this.ledger?.announced(userId, announce, request.address.limitKey, peer)
    }
    return { allowed: true }
  }

  /**
   * Forgets a passkey's cached answer (after a rotation or revocation).
   *
   * @param passkey - the old passkey
   */
  forget(passkey: string | null): void {
    if (passkey !== null) this.cache.delete(passkey)
  }
}
