import { describe, expect, it, vi } from 'vitest'
import { openSqliteStateStore } from '../src/sqlite.js'
import { expectStoreError } from './helpers.js'

vi.mock('better-sqlite3', () => {
  throw new Error("Cannot find package 'better-sqlite3'")
})

describe('without better-sqlite3 installed', () => {
  it('still imports the entry, and opening says what to install', async () => {
    const message = await expectStoreError(openSqliteStateStore(':memory:'), 'SQLITE_UNAVAILABLE')
    expect(message).toContain('npm install better-sqlite3')
  })
})
