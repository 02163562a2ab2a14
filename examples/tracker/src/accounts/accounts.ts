/**
 * What the JSON API does with accounts: register, log in and out, change
 * the password, delete the account, rotate or revoke the passkey, bind a
 * mycel peer key; sessions checked on every request. Logins are limited
 * per address and per account name; passwords are hashed with scrypt and
 * never logged.
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from '../log.js'
import { type AttemptBudget, AttemptLimiter } from './attempt-limit.js'
import { AccountError } from './errors.js'
import { checkPassword, DEFAULT_SCRYPT_COST, hashPassword, type ScryptCost, verifyPassword } from './password.js'
import type { AccountStore, Role, User } from './store.js'
import { signToken, tokenKey, verifyToken } from './tokens.js'

/** Account names: 3 to 32 of a-z, 0-9, `_`, `-`, `.` (case-folded). */
const NAME = /^[a-z0-9_.-]{3,32}$/

/** Seconds a session token lasts by default. */
export const DEFAULT_SESSION_SECONDS = 3600

/** The budgets when none are given (docs/limits.md). */
export const DEFAULT_ACCOUNT_LIMITS: AccountLimits = {
  loginsPerAddress: { burst: 10, refillSeconds: 30, maxKeys: 100_000 },
  failedLoginsPerAccount: { burst: 5, refillSeconds: 60, maxKeys: 100_000 },
  registrationsPerAddress: { burst: 3, refillSeconds: 600, maxKeys: 100_000 },
}

/** Budgets of the login and registration attempts. */
export interface AccountLimits {
  /** Login attempts per address (IPv4, or IPv6 /64), failed or not. */
  readonly loginsPerAddress: AttemptBudget
  /** Failed logins per account name (a success spends nothing). */
  readonly failedLoginsPerAccount: AttemptBudget
  /** Registrations per address. */
  readonly registrationsPerAddress: AttemptBudget
}

/** Options of {@link Accounts}. */
export interface AccountsOptions {
  /** scrypt's cost of new hashes. Default {@link DEFAULT_SCRYPT_COST}. */
  readonly scryptCost?: ScryptCost
  /** Seconds a session lasts. Default 3600. */
  readonly sessionSeconds?: number
  /** Attempt budgets. */
  readonly limits?: Partial<AccountLimits>
  /** The clock, in milliseconds. */
  readonly nowMs?: () => number
  /** Where account events are reported (names, never passwords or hashes). */
  readonly log?: Logger
}

/** A logged-in session. */
export interface Session {
  readonly token: string
  /** Seconds since 1970. */
  readonly expiresAt: number
  readonly user: User
}

/** Who made a request: the user, and the session their token names. */
export interface Caller {
  readonly user: User
  readonly sessionId: string
}

/**
 * Reads and checks an account name.
 *
 * @param name - as typed
 * @returns the canonical (lower-case) name
 * @throws {@link AccountError} `NAME_INVALID`
 */
export function canonicalName(name: unknown): string {
  const canonical = typeof name === 'string' ? name.trim().toLowerCase() : ''
  if (!NAME.test(canonical)) {
    throw new AccountError('NAME_INVALID', 'a name has 3 to 32 characters: letters, digits, "_", "-" and "."')
  }
  return canonical
}

/** A new passkey: 24 random bytes, base64url (32 characters). */
export function newPasskey(): string {
  return randomBytes(24).toString('base64url')
}

/** The account operations behind the JSON API. */
export class Accounts {
  private readonly key: Buffer
  private readonly nowMs: () => number
  private readonly cost: ScryptCost
  private readonly sessionSeconds: number
  private readonly perAddress: AttemptLimiter
  private readonly perAccount: AttemptLimiter
  private readonly registrations: AttemptLimiter
  private readonly log: Logger
  /** A hash to check against when the name is unknown, so that both cases take as long. */
  private decoy: Promise<string> | undefined

  /**
   * @param store - the accounts' storage
   * @param secret - the tracker's stored secret (session tokens are signed under a key derived from it)
   * @param options - costs, lifetimes, budgets, clock
   */
  constructor(
    readonly store: AccountStore,
    secret: Uint8Array,
    options: AccountsOptions = {},
  ) {
    this.key = tokenKey(secret)
    this.nowMs = options.nowMs ?? Date.now
    this.cost = options.scryptCost ?? DEFAULT_SCRYPT_COST
    this.sessionSeconds = options.sessionSeconds ?? DEFAULT_SESSION_SECONDS
    const limits = { ...DEFAULT_ACCOUNT_LIMITS, ...options.limits }
    this.perAddress = new AttemptLimiter(limits.loginsPerAddress, this.nowMs)
    this.perAccount = new AttemptLimiter(limits.failedLoginsPerAccount, this.nowMs)
    this.registrations = new AttemptLimiter(limits.registrationsPerAddress, this.nowMs)
    this.log = options.log ?? (() => {})
  }

  private now(): number {
    return Math.floor(this.nowMs() / 1000)
  }

  /**
   * Creates an account (the first one of a database is an admin) and logs it in.
   *
   * @param name - the name
   * @param password - the password
   * @param address - the caller's limit key (address)
   * @returns the session
   * @throws {@link AccountError} `NAME_INVALID`, `PASSWORD_INVALID`, `NAME_TAKEN`, `RATE_LIMITED`, `BUSY`
   */
  async register(name: unknown, password: unknown, address: string): Promise<Session> {
    const canonical = canonicalName(name)
    checkPassword(password)
    if (!this.registrations.spend(address)) {
      throw AccountError.rateLimited('too many new accounts from your address', this.registrations.retryAfter(address))
    }
    const hash = await hashPassword(password, this.cost)
    const user = await this.store.createUser(canonical, hash, newPasskey(), this.now())
    this.log('info', `account ${user.name} registered${user.role === 'admin' ? ' (admin: the first account)' : ''}`)
    return this.openSession(user)
  }

  /**
   * Logs in.
   *
   * @param name - the name
   * @param password - the password
   * @param address - the caller's limit key (address)
   * @returns the session
   * @throws {@link AccountError} `CREDENTIALS_WRONG` (unknown name or wrong password alike), `RATE_LIMITED`, `BUSY`
   */
  async login(name: unknown, password: unknown, address: string): Promise<Session> {
    const canonical = typeof name === 'string' ? name.trim().toLowerCase().slice(0, 64) : ''
    if (!this.perAddress.spend(address)) {
      throw AccountError.rateLimited('too many logins from your address', this.perAddress.retryAfter(address))
    }
    if (!this.perAccount.allows(canonical)) {
      throw AccountError.rateLimited('too many failed logins for this account', this.perAccount.retryAfter(canonical))
    }
    const user = NAME.test(canonical) ? await this.store.userByName(canonical) : undefined
    const hash = user === undefined ? undefined : await this.store.passwordHash(user.id)
    this.decoy ??= hashPassword('decoy password', this.cost)
    const good = await verifyPassword(typeof password === 'string' ? password : '', hash ?? (await this.decoy))
    if (user === undefined || !good) {
      this.perAccount.spend(canonical)
      this.log('debug', `failed login for ${JSON.stringify(canonical)}`)
      throw new AccountError('CREDENTIALS_WRONG', 'wrong name or password')
    }
    return this.openSession(user)
  }

  private async openSession(user: User): Promise<Session> {
    const now = this.now()
    const sid = randomBytes(16).toString('base64url')
    const expiresAt = now + this.sessionSeconds
    await this.store.createSession(sid, user.id, now, expiresAt)
    return { token: signToken(this.key, { sub: user.id, sid, iat: now, exp: expiresAt }), expiresAt, user }
  }

  /**
   * The caller a token names, if its session is still open.
   *
   * @param token - a session token
   * @returns the caller
   * @throws {@link AccountError} `SESSION_INVALID`
   */
  async authenticate(token: string | undefined): Promise<Caller> {
    const now = this.now()
    const claims = token === undefined ? undefined : verifyToken(this.key, token, now)
    if (claims === undefined || !(await this.store.sessionValid(claims.sid, claims.sub, now))) {
      throw new AccountError('SESSION_INVALID', 'not logged in, or the session ended: log in again')
    }
    const user = await this.store.user(claims.sub)
    if (user === undefined) throw new AccountError('SESSION_INVALID', 'the account no longer exists')
    return { user, sessionId: claims.sid }
  }

  /**
   * Ends the caller's session.
   *
   * @param caller - who
   */
  async logout(caller: Caller): Promise<void> {
    await this.store.deleteSession(caller.sessionId)
  }

  /**
   * Changes the password after checking the current one; every session ends, and a new one opens.
   *
   * @param caller - who
   * @param current - the current password
   * @param next - the new password
   * @returns the new session
   * @throws {@link AccountError} `CREDENTIALS_WRONG`, `PASSWORD_INVALID`, `RATE_LIMITED`
   */
  async changePassword(caller: Caller, current: unknown, next: unknown): Promise<Session> {
    checkPassword(next)
    await this.checkOwnPassword(caller, current)
    await this.store.setPassword(caller.user.id, await hashPassword(next, this.cost))
    this.log('info', `account ${caller.user.name} changed its password; its sessions ended`)
    return this.openSession(caller.user)
  }

  /**
   * Deletes the caller's account after checking the password.
   *
   * @param caller - who
   * @param password - the password
   * @throws {@link AccountError} `CREDENTIALS_WRONG`, `RATE_LIMITED`
   */
  async deleteAccount(caller: Caller, password: unknown): Promise<void> {
    await this.checkOwnPassword(caller, password)
    await this.store.deleteUser(caller.user.id)
    this.log('info', `account ${caller.user.name} deleted`)
  }

  private async checkOwnPassword(caller: Caller, password: unknown): Promise<void> {
    const name = caller.user.name
    if (!this.perAccount.allows(name)) {
      throw AccountError.rateLimited('too many failed attempts', this.perAccount.retryAfter(name))
    }
    const hash = await this.store.passwordHash(caller.user.id)
    if (hash === undefined || !(await verifyPassword(typeof password === 'string' ? password : '', hash))) {
      this.perAccount.spend(name)
      throw new AccountError('CREDENTIALS_WRONG', 'wrong password')
    }
  }

  /**
   * Gives the caller a new passkey (the old one stops working at once).
   *
   * @param caller - who
   * @returns the new passkey
   */
  async rotatePasskey(caller: Caller): Promise<string> {
    const passkey = newPasskey()
    await this.store.setPasskey(caller.user.id, passkey)
    return passkey
  }

  /**
   * Revokes the caller's passkey (announces with it are refused until a rotation gives a new one).
   *
   * @param caller - who
   */
  async revokePasskey(caller: Caller): Promise<void> {
    await this.store.setPasskey(caller.user.id, null)
  }

  /**
   * Changes a user's role; admins only.
   *
   * @param caller - who asks
   * @param name - whose role
   * @param role - the new role
   * @throws {@link AccountError} `FORBIDDEN`, `NOT_FOUND`, `REQUEST_INVALID`
   */
  async setRole(caller: Caller, name: unknown, role: unknown): Promise<void> {
    requireAdmin(caller)
    if (role !== 'user' && role !== 'admin') throw new AccountError('REQUEST_INVALID', 'role must be "user" or "admin"')
    if (!(await this.store.setRole(canonicalName(name), role as Role))) {
      throw new AccountError('NOT_FOUND', 'no such account')
    }
  }
}

/**
 * @param caller - who asks
 * @throws {@link AccountError} `FORBIDDEN` unless an admin
 */
export function requireAdmin(caller: Caller): void {
  if (caller.user.role !== 'admin') throw new AccountError('FORBIDDEN', 'only an admin may do that')
}
