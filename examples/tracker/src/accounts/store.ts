/**
 * Accounts and sessions in the tracker's database (SQLite or PostgreSQL,
 * through {@link SqlDatabase}). A {@link User} never holds the password
 * hash: only {@link AccountStore.passwordHash} reads it, for the login
 * check.
 * @module
 */
import type { SqlDatabase } from '../storage/sql.js'
import { AccountError } from './errors.js'

/** Live sessions per user; a login beyond ends the oldest (docs/limits.md). */
export const MAX_SESSIONS = 32

/** What a user may do beyond their own account: `admin` manages users and removes any catalogue entry. */
export type Role = 'user' | 'admin'

/** An account, as the tracker shows it (no password hash). */
export interface User {
  readonly id: number
  /** The canonical (lower-case) name. */
  readonly name: string
  readonly role: Role
  /** The secret of the user's announce URL, or `null` once revoked. */
  readonly passkey: string | null
  /** The Ed25519 public key of the user's mycel node, when bound. */
  readonly peerKey: Uint8Array | null
  /** Seconds since 1970. */
  readonly createdAt: number
  /** Credits: bytes verified uploaded to others minus bytes verified downloaded (receipts). */
  readonly credits: number
  /** Reputation points (verified uploads and seeding time). */
  readonly reputation: number
  /** Bytes uploaded as the user's clients report (self-reported, announce counters). */
  readonly uploaded: number
  /** Bytes downloaded as the user's clients report (self-reported). */
  readonly downloaded: number
  /** Bytes others' receipts say they received from this user and verified. */
  readonly verifiedUploaded: number
  /** Bytes this user's receipts say they received and verified. */
  readonly verifiedDownloaded: number
  /** Seconds seeding, from the announces of the user's seeders. */
  readonly seedingSeconds: number
}

interface UserRow {
  id: number
  name: string
  role: string
  passkey: string | null
  peer_key: Uint8Array | null
  created_at: number
  credits: number
  reputation: number
  uploaded: number
  downloaded: number
  verified_uploaded: number
  verified_downloaded: number
  seeding_seconds: number
}

/** The columns of a {@link User}: the password column is never among them. */
const USER_COLUMNS =
  'id, name, role, passkey, peer_key, created_at, credits, reputation, uploaded, downloaded, verified_uploaded, verified_downloaded, seeding_seconds'

function toUser(row: UserRow): User {
  return {
    id: Number(row.id),
    name: row.name,
    role: row.role === 'admin' ? 'admin' : 'user',
    passkey: row.passkey,
    peerKey: row.peer_key,
    createdAt: Number(row.created_at),
    credits: Number(row.credits),
    reputation: Number(row.reputation),
    uploaded: Number(row.uploaded),
    downloaded: Number(row.downloaded),
    verifiedUploaded: Number(row.verified_uploaded),
    verifiedDownloaded: Number(row.verified_downloaded),
    seedingSeconds: Number(row.seeding_seconds),
  }
}

function isUniqueViolation(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause
  return (
    cause?.code === '23505' ||
    cause?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    cause?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  )
}

/** Accounts and sessions on one database. */
export class AccountStore {
  /** @param sql - the tracker's database */
  constructor(readonly sql: SqlDatabase) {}

  /**
   * Creates an account; the first account of a database is an admin.
   *
   * @param name - canonical name (checked by the caller)
   * @param passwordHash - the encoded hash
   * @param passkey - the first passkey
   * @param createdAt - seconds since 1970
   * @returns the account
   * @throws {@link AccountError} `NAME_TAKEN`
   */
  async createUser(name: string, passwordHash: string, passkey: string, createdAt: number): Promise<User> {
    try {
      return await this.sql.transaction(async (tx) => {
        const [existing] = await tx.all<{ n: number }>('SELECT count(*) AS n FROM tracker_users')
        const role: Role = Number(existing?.n ?? 0) === 0 ? 'admin' : 'user'
        const [row] = await tx.all<UserRow>(
          `INSERT INTO tracker_users (name, password, role, passkey, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${USER_COLUMNS}`,
          [name, passwordHash, role, passkey, createdAt],
        )
        return toUser(row as UserRow)
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw new AccountError('NAME_TAKEN', `the name ${JSON.stringify(name)} is taken`)
      throw err
    }
  }

  /**
   * @param id - the user's id
   * @returns the account, or `undefined`
   */
  async user(id: number): Promise<User | undefined> {
    const [row] = await this.sql.all<UserRow>(`SELECT ${USER_COLUMNS} FROM tracker_users WHERE id = $1`, [id])
    return row === undefined ? undefined : toUser(row)
  }

  /**
   * @param name - canonical name
   * @returns the account, or `undefined`
   */
  async userByName(name: string): Promise<User | undefined> {
    const [row] = await this.sql.all<UserRow>(`SELECT ${USER_COLUMNS} FROM tracker_users WHERE name = $1`, [name])
    return row === undefined ? undefined : toUser(row)
  }

  /**
   * @param passkey - a passkey from an announce URL
   * @returns the account it belongs to, or `undefined` (unknown or revoked)
   */
  async userByPasskey(passkey: string): Promise<User | undefined> {
    const [row] = await this.sql.all<UserRow>(`SELECT ${USER_COLUMNS} FROM tracker_users WHERE passkey = $1`, [passkey])
    return row === undefined ? undefined : toUser(row)
  }

  /**
   * @param peerKey - an Ed25519 public key
   * @returns the account that bound it, or `undefined`
   */
  async userByPeerKey(peerKey: Uint8Array): Promise<User | undefined> {
    const [row] = await this.sql.all<UserRow>(`SELECT ${USER_COLUMNS} FROM tracker_users WHERE peer_key = $1`, [
      peerKey,
    ])
    return row === undefined ? undefined : toUser(row)
  }

  /**
   * The stored password hash, for the login check only.
   *
   * @param id - the user's id
   * @returns the encoded hash, or `undefined`
   */
  async passwordHash(id: number): Promise<string | undefined> {
    const [row] = await this.sql.all<{ password: string }>('SELECT password FROM tracker_users WHERE id = $1', [id])
    return row?.password
  }

  /**
   * Replaces the password and ends every session of the user.
   *
   * @param id - the user's id
   * @param passwordHash - the new encoded hash
   */
  async setPassword(id: number, passwordHash: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('UPDATE tracker_users SET password = $1 WHERE id = $2', [passwordHash, id])
      await tx.run('DELETE FROM tracker_sessions WHERE user_id = $1', [id])
    })
  }

  /**
   * Sets a user's passkey (a rotation), or `null` to revoke it.
   *
   * @param id - the user's id
   * @param passkey - the new passkey, or `null`
   */
  async setPasskey(id: number, passkey: string | null): Promise<void> {
    await this.sql.run('UPDATE tracker_users SET passkey = $1 WHERE id = $2', [passkey, id])
  }

  /**
   * Binds a mycel node's public key to the user (or unbinds it with `null`).
   *
   * @param id - the user's id
   * @param peerKey - 32 bytes, or `null`
   * @throws {@link AccountError} `ALREADY_LISTED` when another user bound it
   */
  async setPeerKey(id: number, peerKey: Uint8Array | null): Promise<void> {
    try {
      await this.sql.run('UPDATE tracker_users SET peer_key = $1 WHERE id = $2', [peerKey, id])
    } catch (err) {
      if (isUniqueViolation(err)) throw new AccountError('ALREADY_LISTED', 'that peer key is bound to another account')
      throw err
    }
  }

  /**
   * Changes a user's role.
   *
   * @param name - canonical name
   * @param role - the new role
   * @returns whether the user exists
   */
  async setRole(name: string, role: Role): Promise<boolean> {
    return (await this.sql.run('UPDATE tracker_users SET role = $1 WHERE name = $2', [role, name])) > 0
  }

  /**
   * Deletes an account and its sessions; its catalogue entries stay, without uploader.
   *
   * @param id - the user's id
   * @returns whether it existed
   */
  async deleteUser(id: number): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM tracker_sessions WHERE user_id = $1', [id])
      await tx.run('UPDATE tracker_catalogue SET uploader_id = NULL WHERE uploader_id = $1', [id])
      return (await tx.run('DELETE FROM tracker_users WHERE id = $1', [id])) > 0
    })
  }

  /**
   * Lists accounts, by name.
   *
   * @param limit - most returned
   * @param offset - skipped first
   * @returns the accounts
   */
  async users(limit: number, offset: number): Promise<User[]> {
    const rows = await this.sql.all<UserRow>(
      `SELECT ${USER_COLUMNS} FROM tracker_users ORDER BY name LIMIT $1 OFFSET $2`,
      [limit, offset],
    )
    return rows.map(toUser)
  }

  /**
   * Records a session.
   *
   * @param id - its random id
   * @param userId - whose
   * @param createdAt - seconds since 1970
   * @param expiresAt - seconds since 1970
   */
  async createSession(id: string, userId: number, createdAt: number, expiresAt: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM tracker_sessions WHERE user_id = $1 AND expires_at <= $2', [userId, createdAt])
      await tx.run('INSERT INTO tracker_sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
        id,
        userId,
        createdAt,
        expiresAt,
      ])
      // A user keeps at most MAX_SESSIONS live sessions: the oldest go first.
      await tx.run(
        'DELETE FROM tracker_sessions WHERE user_id = $1 AND id NOT IN (SELECT id FROM tracker_sessions WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2)',
        [userId, MAX_SESSIONS],
      )
    })
  }

  /**
   * @param id - a session id
   * @param userId - the user the token names
   * @param nowSeconds - the time
   * @returns whether the session exists, is the user's, and has not expired
   */
  async sessionValid(id: string, userId: number, nowSeconds: number): Promise<boolean> {
    const rows = await this.sql.all(
      'SELECT 1 AS ok FROM tracker_sessions WHERE id = $1 AND user_id = $2 AND expires_at > $3',
      [id, userId, nowSeconds],
    )
    return rows.length > 0
  }

  /**
   * Ends a session (a logout).
   *
   * @param id - the session id
   */
  async deleteSession(id: string): Promise<void> {
    await this.sql.run('DELETE FROM tracker_sessions WHERE id = $1', [id])
  }

  /** Sessions of a user that have not expired. */
  async sessionCount(userId: number, nowSeconds: number): Promise<number> {
    const [row] = await this.sql.all<{ n: number }>(
      'SELECT count(*) AS n FROM tracker_sessions WHERE user_id = $1 AND expires_at > $2',
      [userId, nowSeconds],
    )
    return Number(row?.n ?? 0)
  }
}
