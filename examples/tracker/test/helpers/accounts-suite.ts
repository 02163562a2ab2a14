/**
 * The accounts suite, run on SQLite and on PostgreSQL: accounts and
 * sessions, login budgets, passkeys in private mode, the catalogue, and
 * credits from receipts, through the JSON API of a real tracker on
 * 127.0.0.1. Each part is in a file of its own.
 */

import { describe } from 'vitest'
import { catalogueTests } from './accounts-catalogue.js'
import { accountsContext } from './accounts-context.js'
import { creditTests } from './accounts-credits.js'
import { passkeyTests } from './accounts-passkeys.js'
import { sessionTests } from './accounts-sessions.js'

/**
 * Declares the suite.
 *
 * @param name - the storage
 * @param database - a fresh database per call (a file path or a URL)
 */
export function describeAccounts(name: string, database: () => Promise<string>): void {
  describe(`accounts on ${name}`, () => {
    const context = accountsContext(database)
    sessionTests(context)
    passkeyTests(context)
    catalogueTests(context)
    creditTests(context)
  })
}
