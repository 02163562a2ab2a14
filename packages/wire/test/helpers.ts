import { expect } from 'vitest'
import { WireError, type WireErrorCode } from '../src/index.js'

/** The code of the WireError `fn` throws, or a description of what happened instead. */
export function errorCode(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return err instanceof WireError ? err.code : `not a WireError: ${String(err)}`
  }
  return 'nothing thrown'
}

/** Asserts that `fn` throws a WireError with `code`. */
export function expectWireError(fn: () => unknown, code: WireErrorCode): void {
  expect(errorCode(fn)).toBe(code)
}
