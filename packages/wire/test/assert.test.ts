import { describe, expect, it } from 'vitest'
import {
  assertBytes,
  assertFunction,
  assertInteger,
  assertNumber,
  assertSignal,
  assertString,
  integerOption,
  numberOption,
} from '../src/assert.js'

describe('shared assertions', () => {
  it('assertBytes names the argument, TypeError for the type, RangeError for the length', () => {
    expect(() => assertBytes(new Uint8Array(3), 'key', 3)).not.toThrow()
    expect(() => assertBytes(new Uint8Array(0), 'message')).not.toThrow()
    expect(() => assertBytes('abc', 'key', 3)).toThrow(new TypeError('key must be a Uint8Array, got string'))
    expect(() => assertBytes([1, 2, 3], 'key')).toThrow(new TypeError('key must be a Uint8Array, got an array'))
    expect(() => assertBytes(new ArrayBuffer(3), 'key')).toThrow(/key must be a Uint8Array, got ArrayBuffer/)
    expect(() => assertBytes(null, 'key')).toThrow(/got null/)
    expect(() => assertBytes(new Uint8Array(2), 'key', 3)).toThrow(new RangeError('key must be 3 bytes, got 2'))
  })

  it('assertInteger and integerOption: TypeError for a non-number, RangeError for fractions, NaN and bounds', () => {
    expect(assertInteger(5, 'port', { min: 1, max: 65535 })).toBe(5)
    expect(assertInteger(0, 'count')).toBe(0)
    expect(() => assertInteger('5', 'port')).toThrow(new TypeError('port must be a number, got string'))
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 53, 70_000]) {
      expect(() => assertInteger(bad, 'port', { max: 65535 })).toThrow(RangeError)
    }
    expect(() => assertInteger(0, 'port', { min: 1, max: 65535 })).toThrow(
      new RangeError('port must be an integer from 1 to 65535, got 0'),
    )
    expect(integerOption(undefined, 'k', { min: 1, max: 64, fallback: 8 })).toBe(8)
    expect(integerOption(20, 'k', { min: 1, max: 64, fallback: 8 })).toBe(20)
    expect(() => integerOption(65, 'k', { min: 1, max: 64, fallback: 8 })).toThrow(/^k must be an integer from 1 to 64/)
    expect(() => integerOption(null, 'k', { fallback: 8 })).toThrow(TypeError)
  })

  it('assertNumber and numberOption take fractions within bounds', () => {
    expect(assertNumber(0.25, 'loss', { max: 1 })).toBe(0.25)
    expect(numberOption(undefined, 'loss', { max: 1, fallback: 0 })).toBe(0)
    expect(() => assertNumber(1.5, 'loss', { max: 1 })).toThrow(
      new RangeError('loss must be a number from 0 to 1, got 1.5'),
    )
    expect(() => assertNumber(Number.NaN, 'loss')).toThrow(RangeError)
    expect(() => assertNumber('0.5', 'loss')).toThrow(TypeError)
  })

  it('assertString bounds the length in UTF-16 code units', () => {
    expect(() => assertString('abc', 'name', { minLength: 1, maxLength: 3 })).not.toThrow()
    expect(() => assertString('', 'name', { minLength: 1 })).toThrow(new RangeError('name must not be empty'))
    expect(() => assertString('abcd', 'name', { maxLength: 3 })).toThrow(/at most 3 characters, got 4/)
    expect(() => assertString(3, 'name')).toThrow(new TypeError('name must be a string, got number'))
  })

  it('assertSignal and assertFunction', () => {
    expect(() => assertSignal(undefined)).not.toThrow()
    expect(() => assertSignal(new AbortController().signal)).not.toThrow()
    expect(() => assertSignal('x')).toThrow(new TypeError('signal must be an AbortSignal, got string'))
    expect(() => assertSignal({}, 'options.signal')).toThrow(/^options.signal must be an AbortSignal, got Object/)
    expect(() => assertFunction(() => {}, 'onFrame')).not.toThrow()
    expect(() => assertFunction(1, 'onFrame')).toThrow(new TypeError('onFrame must be a function, got number'))
  })

  it('messages never carry the value of a wrong-typed argument (it may be a secret)', () => {
    const secret = 'correct horse battery staple'
    for (const check of [
      () => assertBytes(secret, 'secretKey', 32),
      () => assertInteger(secret, 'n'),
      () => assertSignal(secret),
    ]) {
      expect(check).toThrow(TypeError)
      try {
        check()
      } catch (err) {
        expect((err as Error).message).not.toContain(secret)
      }
    }
  })
})
