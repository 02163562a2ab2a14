import { afterAll, beforeAll } from 'vitest'
import { describeAccounts } from './helpers/accounts-suite.js'
import { startPostgres, type TestPostgres } from './helpers/postgres.js'

let server: TestPostgres
beforeAll(async () => {
  server = await startPostgres()
}, 120_000)
afterAll(() => server?.stop(), 60_000)

describeAccounts('PostgreSQL', () => server.database())
