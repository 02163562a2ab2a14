import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MycelError } from '@mycel/wire'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { TrackerError } from '../src/errors.js'
import { openStorage } from '../src/storage/open.js'
import { openSqliteStorage } from '../src/storage/sqlite.js'
import { Scratch } from './helpers/scratch.js'
import { describeStorageCompliance } from './helpers/storage-compliance.js'

const scratch = new Scratch()
afterAll(() => scratch.cleanup())

describeStorageCompliance('SQLite', async () => {
  const path = join(await scratch.dir(), 'sub', 'tracker.db')
  return { open: async () => openSqliteStorage(path), again: async () => openSqliteStorage(path) }
})

describe('SQLite storage', () => {
  it('leaves files it did not write untouched: other SQLite databases, other files, newer schemas', async () => {
    const dir = await scratch.dir()
    const foreign = join(dir, 'app.db')
    const db = new Database(foreign)
    db.exec('CREATE TABLE notes (text TEXT)')
    db.close()
    expect(() => openSqliteStorage(foreign)).toThrow(expect.objectContaining({ code: 'DATABASE_FOREIGN' }))
    const error = (() => {
      try {
        openSqliteStorage(foreign)
      } catch (err) {
        return err
      }
    })()
    expect(error).toBeInstanceOf(TrackerError)
    expect(error).toBeInstanceOf(MycelError)
    expect(error).toMatchObject({ name: 'TrackerError', code: 'DATABASE_FOREIGN' })
    const check = new Database(foreign)
    expect(check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all()).toEqual(['notes'])
    check.close()
    const text = join(dir, 'notes.txt')
    await writeFile(text, 'not a database, but it is mine\n'.repeat(200))
    expect(() => openSqliteStorage(text)).toThrow(expect.objectContaining({ code: 'DATABASE_FOREIGN' }))
    const newer = join(dir, 'newer.db')
    await (await openStorage(newer)).close()
    const bump = new Database(newer)
    bump.pragma('user_version = 99')
    bump.close()
    expect(() => openSqliteStorage(newer)).toThrow(expect.objectContaining({ code: 'SCHEMA_TOO_NEW' }))
  })

  it('reads --database values: a path, sqlite:<path>, or refuses other URLs', async () => {
    const dir = await scratch.dir()
    const storage = await openStorage(`sqlite:${join(dir, 'a.db')}`)
    expect(storage.kind).toBe('sqlite')
    await storage.close()
    await expect(openStorage('mysql://user:secret@host/db')).rejects.toMatchObject({ code: 'DATABASE_URL_INVALID' })
    await expect(openStorage('mysql://user:secret@host/db')).rejects.toThrow(/\*\*\*/)
    await expect(openStorage('')).rejects.toMatchObject({ code: 'DATABASE_URL_INVALID' })
  })
})
