/**
 * The rules of share records, peer records and key/value entries, shared by
 * every state store so that they behave the same: argument checks, defaults,
 * and how an update changes a record.
 * @internal
 * @module
 */
import { assertBytes, assertInteger, assertString } from '@mycel/wire/assert'
import { assertInfohash } from '../assert.js'
import { STORE_LIMITS } from '../limits.js'
import type { ShareFilter, ShareInit, ShareRole, ShareStatus, ShareUpdate } from '../state-store.js'

/** A share record as stored, without the fields derived from the manifest and bitfield. */
export interface ShareRow {
  infohash: Uint8Array
  name: string
  role: ShareRole
  contentPath: string
  status: ShareStatus
  addedAt: number
  updatedAt: number
  completedAt: number | undefined
  lastError: string | undefined
  bytesUploaded: number
  bytesDownloaded: number
}

const ROLES: readonly ShareRole[] = ['seed', 'download']
const STATUSES: readonly ShareStatus[] = ['active', 'paused', 'complete', 'error']

/** Checks a share role. */
export function assertRole(role: unknown): asserts role is ShareRole {
  if (!ROLES.includes(role as ShareRole)) throw new TypeError(`role must be 'seed' or 'download', got ${String(role)}`)
}

function assertStatus(status: unknown): asserts status is ShareStatus {
  if (!STATUSES.includes(status as ShareStatus)) {
    throw new TypeError(`status must be one of ${STATUSES.join(', ')}, got ${String(status)}`)
  }
}

function assertTime(value: unknown, name: string): number {
  return assertInteger(value, name)
}

/** Cuts an error message to the stored length. */
function errorText(message: string): string {
  assertString(message, 'lastError')
  return message.length > STORE_LIMITS.maxErrorLength ? message.slice(0, STORE_LIMITS.maxErrorLength) : message
}

/** A byte total plus what was added, held at the largest safe integer. */
function addBytes(total: number, added: number): number {
  return Math.min(total + added, Number.MAX_SAFE_INTEGER)
}

/** Checks a {@link ShareInit} and makes the row it stores. */
export function newShareRow(init: ShareInit, now: number): ShareRow {
  if (typeof init !== 'object' || init === null) throw new TypeError('share must be an object')
  assertInfohash(init.infohash)
  assertString(init.name, 'name', { minLength: 1, maxLength: STORE_LIMITS.maxTextLength })
  assertRole(init.role)
  assertString(init.contentPath, 'contentPath', { minLength: 1, maxLength: STORE_LIMITS.maxTextLength })
  const status = init.status ?? 'active'
  assertStatus(status)
  return {
    infohash: init.infohash.slice(),
    name: init.name,
    role: init.role,
    contentPath: init.contentPath,
    status,
    addedAt: now,
    updatedAt: now,
    completedAt: status === 'complete' ? now : undefined,
    lastError: undefined,
    bytesUploaded: 0,
    bytesDownloaded: 0,
  }
}

/** Applies a {@link ShareUpdate} to a row (see its rules); returns a new row. */
export function updateShareRow(row: ShareRow, update: ShareUpdate, now: number): ShareRow {
  if (typeof update !== 'object' || update === null) throw new TypeError('update must be an object')
  const next: ShareRow = { ...row, updatedAt: now }
  if (update.name !== undefined) {
    assertString(update.name, 'name', { minLength: 1, maxLength: STORE_LIMITS.maxTextLength })
    next.name = update.name
  }
  if (update.contentPath !== undefined) {
    assertString(update.contentPath, 'contentPath', { minLength: 1, maxLength: STORE_LIMITS.maxTextLength })
    next.contentPath = update.contentPath
  }
  if (update.status !== undefined) {
    assertStatus(update.status)
    next.status = update.status
    if (update.status === 'complete' && next.completedAt === undefined) next.completedAt = now
    if (update.status !== 'error') next.lastError = undefined
  }
  if (update.completedAt !== undefined) {
    next.completedAt = update.completedAt === null ? undefined : assertTime(update.completedAt, 'completedAt')
  }
  if (update.lastError !== undefined) {
    next.lastError = update.lastError === null ? undefined : errorText(update.lastError)
  }
  if (update.addUploaded !== undefined) {
    next.bytesUploaded = addBytes(next.bytesUploaded, assertInteger(update.addUploaded, 'addUploaded'))
  }
  if (update.addDownloaded !== undefined) {
    next.bytesDownloaded = addBytes(next.bytesDownloaded, assertInteger(update.addDownloaded, 'addDownloaded'))
  }
  return next
}

/** A {@link ShareFilter} checked, with defaults. */
export interface ResolvedFilter {
  role: ShareRole | undefined
  statuses: readonly ShareStatus[] | undefined
  limit: number
  offset: number
}

/** Checks a {@link ShareFilter}. */
export function resolveFilter(filter: ShareFilter = {}): ResolvedFilter {
  if (typeof filter !== 'object' || filter === null) throw new TypeError('filter must be an object')
  if (filter.role !== undefined) assertRole(filter.role)
  let statuses: readonly ShareStatus[] | undefined
  if (filter.status !== undefined) {
    statuses = typeof filter.status === 'string' ? [filter.status] : [...new Set(filter.status)]
    for (const status of statuses) assertStatus(status)
  }
  const limit = filter.limit === undefined ? Number.MAX_SAFE_INTEGER : assertInteger(filter.limit, 'limit')
  const offset = filter.offset === undefined ? 0 : assertInteger(filter.offset, 'offset')
  return { role: filter.role, statuses, limit, offset }
}

/** Whether a row passes a resolved filter's role and status (paging aside). */
export function passesFilter(row: ShareRow, filter: ResolvedFilter): boolean {
  if (filter.role !== undefined && row.role !== filter.role) return false
  return filter.statuses === undefined || filter.statuses.includes(row.status)
}

/** Checks a peer id. */
export function assertPeerId(peerId: unknown): asserts peerId is Uint8Array {
  assertBytes(peerId, 'peerId')
  if (peerId.length === 0 || peerId.length > STORE_LIMITS.maxPeerIdBytes) {
    throw new RangeError(`peerId must be 1 to ${STORE_LIMITS.maxPeerIdBytes} bytes, got ${peerId.length}`)
  }
}

/** A score plus a delta, saturated at the score limit. */
export function adjustedScore(score: number, delta: unknown): number {
  if (typeof delta !== 'number' || !Number.isFinite(delta)) throw new TypeError(`delta must be a finite number`)
  const limit = STORE_LIMITS.maxPeerScore
  return Math.max(-limit, Math.min(limit, score + delta))
}

/** Checks a ban time. */
export function assertBanTime(until: unknown): number {
  return assertTime(until, 'until')
}

/** Checks a result limit against the store's maximum. */
export function resolveLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback
  return Math.min(assertInteger(limit, 'limit'), STORE_LIMITS.maxSearchResults)
}

/** Checks a key of the key/value area. */
export function assertKey(key: unknown): asserts key is string {
  assertString(key, 'key', { minLength: 1, maxLength: STORE_LIMITS.maxKeyLength })
}

/** Checks a value of the key/value area. */
export function assertValue(value: unknown): asserts value is Uint8Array {
  assertBytes(value, 'value')
  if (value.length > STORE_LIMITS.maxValueBytes) {
    throw new RangeError(`value must be at most ${STORE_LIMITS.maxValueBytes} bytes, got ${value.length}`)
  }
}
