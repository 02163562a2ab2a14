/**
 * The parts of a test runner the compliance suite uses, passed in by the
 * caller so that `@mycel/transport/testing` imports no test runner: vitest's
 * `describe`, `it`, `expect` and `afterEach` fit as they are
 * (`import * as vitest from 'vitest'`), and so do jest's.
 * @module
 */

/** The assertions the suite makes on a value (a subset of vitest's and jest's `expect(value)`). */
export interface ComplianceMatchers {
  /** The negated assertions. */
  readonly not: ComplianceMatchers
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
  toMatchObject(expected: object): void
  toBeInstanceOf(expected: abstract new (...args: never[]) => unknown): void
  toBeUndefined(): void
  toBeGreaterThan(expected: number): void
  toContain(expected: unknown): void
  toHaveLength(expected: number): void
  toMatch(expected: RegExp | string): void
  toThrow(expected?: unknown): void
}

/**
 * A test runner's API, as the compliance suites use it.
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest'
 * import { transportCompliance } from '@mycel/transport/testing'
 *
 * transportCompliance(vitest, 'tcp', () => ({ transport: tcpTransport(), listenAddress: 'tcp://127.0.0.1:0' }))
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
