import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPostgresStorage } from '../src/storage/postgres.js'
import { createTracker } from '../src/tracker.js'
import { announceOf, baseOf, httpAnnounceOk, httpScrape, id20 } from './helpers/clients.js'
import { startPostgres, type TestPostgres } from './helpers/postgres.js'
import { describeStorageCompliance } from './helpers/storage-compliance.js'

let server: TestPostgres
beforeAll(async () => {
  server = await startPostgres()
}, 120_000)
afterAll(() => server?.stop(), 60_000)

describeStorageCompliance('PostgreSQL', async () => {
  const url = await server.database()
  return { open: () => openPostgresStorage(url), again: () => openPostgresStorage(url) }
})

describe('PostgreSQL storage', () => {
  it('without PostgreSQL installed, the tests fail saying what to install (they never skip)', async () => {
    await expect(startPostgres({ root: '/nonexistent', path: false })).rejects.toThrow(
      /PostgreSQL is not installed.*apt-get install -y postgresql/,
    )
  })

  it('refuses a newer schema, and says which server it could not reach (without the password)', async () => {
    const url = await server.database()
    const storage = await openPostgresStorage(url)
    await storage.close()
    const pg = await import('pg')
    const client = new pg.default.Client({ connectionString: url })
    await client.connect()
    await client.query("UPDATE tracker_meta SET value = '99' WHERE key = 'schema'")
    await client.end()
    await expect(openPostgresStorage(url)).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' })
    const closed = 'postgres://mycel:hunter2@127.0.0.1:1/nothing'
    const error = await openPostgresStorage(closed).catch((err: Error) => err)
    expect(error).toMatchObject({ code: 'DATABASE_FAILED' })
    expect(String((error as Error).message)).toContain('127.0.0.1:1')
    expect(String((error as Error).message)).not.toContain('hunter2')
  })

  it('a tracker on PostgreSQL keeps its completed counts and totals across a restart', async () => {
    const database = await server.database()
    const options = { database, http: [{ host: '127.0.0.1', port: 0 }], udp: [], rateLimit: false as const }
    const infohash = id20()
    const first = await createTracker(options)
    const leecher = announceOf(infohash, { port: 7001 })
    await httpAnnounceOk(baseOf(first.http[0] as { port: number }), leecher)
    await httpAnnounceOk(baseOf(first.http[0] as { port: number }), { ...leecher, left: 0, event: 'completed' })
    await first.close()
    const second = await createTracker(options)
    try {
      expect(second.stats()).toMatchObject({
        storage: 'postgres',
        peers: 0,
        totals: { announces_http: 2, completed: 1 },
      })
      expect(await httpScrape(baseOf(second.http[0] as { port: number }), [infohash])).toMatchObject({
        files: [{ downloaded: 1, complete: 0, incomplete: 0 }],
      })
    } finally {
      await second.close()
    }
  })
})
