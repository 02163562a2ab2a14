/**
 * Session tokens: JWTs signed with HMAC-SHA256 (HS256) under a key derived
 * from the tracker's stored secret (every process on one database accepts
 * them). A token names its session (`sid`); the session's row is what makes
 * it good, so logging out, changing the password or deleting the account
 * revokes it before it expires. Only the exact header this writes is
 * accepted (no `alg: none`, no other algorithms).
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** What a token says. */
export interface SessionClaims {
  /** The user's id. */
  readonly sub: number
  /** The session's id. */
  readonly sid: string
  /** Issued at, seconds since 1970. */
  readonly iat: number
  /** Expires at, seconds since 1970. */
  readonly exp: number
}

/** Longest token read, in characters. */
export const MAX_TOKEN_LENGTH = 1024

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')

/**
 * The token key of a tracker: HMAC-SHA256 of a label under its secret.
 *
 * @param secret - the tracker's stored secret (32 bytes)
 * @returns a 32-byte key
 */
export function tokenKey(secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update('mycel-tracker session tokens v1').digest()
}

function sign(key: Uint8Array, signed: string): string {
  return createHmac('sha256', key).update(signed).digest('base64url')
}

/**
 * Signs a token.
 *
 * @param key - from {@link tokenKey}
 * @param claims - the user, session and times
 * @returns the token
 */
export function signToken(key: Uint8Array, claims: SessionClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url')
  const signed = `${HEADER}.${payload}`
  return `${signed}.${sign(key, signed)}`
}

/**
 * Reads a token: its form, signature and expiry (not whether its session
 * still exists: the caller asks storage).
 *
 * @param key - from {@link tokenKey}
 * @param token - the token
 * @param nowSeconds - the time
 * @returns its claims, or `undefined` when it is not good
 */
export function verifyToken(key: Uint8Array, token: string, nowSeconds: number): SessionClaims | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined
  const parts = token.split('.')
  if (parts.length !== 3 || parts[0] !== HEADER) return undefined
  const [, payload, signature] = parts as [string, string, string]
  const expected = Buffer.from(sign(key, `${HEADER}.${payload}`))
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  const { sub, sid, iat, exp } = (claims ?? {}) as Record<string, unknown>
  if (!Number.isSafeInteger(sub) || typeof sid !== 'string' || sid.length > 64) return undefined
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp) || (exp as number) <= nowSeconds) return undefined
  return { sub: sub as number, sid, iat: iat as number, exp: exp as number }
}
