/**
 * The parts of a test runner the compliance suites use, passed in by the
 * caller so that `@mycel/node/testing` imports no test runner: vitest's
 * `describe`, `it`, `expect` and `afterEach` fit as they are
 * (`import * as vitest from 'vitest'`), and so do jest's.
 * @module
 */

/** The assertions the suites make on a value (a subset of vitest's and jest's `expect(value)`). */
export interface ComplianceMatchers {
  /** The negated assertions. */
  readonly not: ComplianceMatchers
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
  toBeGreaterThan(expected: number): void
  toContain(expected: unknown): void
}

/**
 * A test runner's API, as the compliance suites use it.
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest'
 * import { peerSourceCompliance } from '@mycel/node/testing'
 *
 * peerSourceCompliance(vitest, 'my directory', async () => createDirectoryPair())
 * ```
 */
export interface TestRunner {
  /** Groups tests under a title. */
  describe(name: string, body: () => void): void
  /** Declares one test; `timeout` in milliseconds. */
  it(name: string, body: () => Promise<void> | void, timeout?: number): void
  /** Runs after each test of the enclosing `describe`. */
  afterEach(hook: () => Promise<void> | void): void
  /** Starts an assertion on a value. */
  expect(actual: unknown, message?: string): ComplianceMatchers
}
