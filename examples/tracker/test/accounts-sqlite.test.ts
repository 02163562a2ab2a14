import { join } from 'node:path'
import { afterAll } from 'vitest'
import { describeAccounts } from './helpers/accounts-suite.js'
import { Scratch } from './helpers/scratch.js'

const scratch = new Scratch()
afterAll(() => scratch.cleanup())

describeAccounts('SQLite', async () => join(await scratch.dir(), 'tracker.db'))
