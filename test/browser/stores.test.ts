/**
 * The PieceStore and StateStore compliance suites in headless Chromium,
 * against the browser stores (see entries/stores.ts).
 */
import { expect, it } from 'vitest'
import { browserTests } from './support/browser-tests.js'

const page = await browserTests('test/browser/entries/stores.ts')

it('reaches OPFS through a worker with sync access handles by default in Chromium', async () => {
  expect(await page.call('defaultOpfsAccess')).toBe('OPFS (worker)')
})
