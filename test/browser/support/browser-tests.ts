/**
 * The tests a page entry registers (`pageRunner()` of `page.ts`), as vitest
 * tests of the calling file.
 * @module
 */
import { afterAll, it } from 'vitest'
import { launchChromium, openPage, type TestPage } from './chromium.js'

/**
 * Declares, as vitest tests of the calling file, the tests that `entry`
 * registers in the page (through `pageRunner()`): the entry is bundled and
 * loaded once, then each vitest test runs its page test and fails with its
 * error. Call it at the top level of a test file (`await browserTests(...)`).
 * @returns the page, for tests of the file that call its functions
 *
 * @param entry - a path from the repository root
 * @param options - the default timeout of a test (ms)
 */
export async function browserTests(entry: string, options: { timeout?: number } = {}): Promise<TestPage> {
  const browser = await launchChromium()
  let page: TestPage
  try {
    page = await openPage(browser, entry)
  } catch (error) {
    await browser.close()
    throw error
  }
  afterAll(async () => {
    await page.close()
    await browser.close()
  })
  const listed = await page.call<Array<{ name: string; timeout?: number }>>('__listTests')
  if (listed.length === 0) throw new Error(`${entry} registered no tests`)
  for (const test of listed) {
    it(test.name, () => page.call('__runTest', test.name), test.timeout ?? options.timeout ?? 20_000)
  }
  return page
}
