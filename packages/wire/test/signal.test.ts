import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { MycelError } from '../src/index.js'
import { abortError, linkSignals, onAbort, throwIfAborted } from '../src/signal.js'

type Code = 'ABORTED' | 'CLOSED' | 'TIMEOUT'

class TestError extends MycelError<Code> {
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'TestError'
  }
}

class OtherError extends MycelError<'ABORTED'> {}

function listeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length
}

/** Resolves once `signal` has aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => onAbort(signal, resolve))
}

describe('linkSignals', () => {
  it('leaves no listener behind on long-lived inputs, whether the link ends by dispose, abort or an input', () => {
    const longLived = new AbortController()
    const other = new AbortController()
    for (let i = 0; i < 1000; i++) {
      const link = linkSignals([longLived.signal, undefined, other.signal])
      expect(listeners(longLived.signal)).toBe(1)
      if (i % 2 === 0) link.dispose()
      else link.abort(new Error('done'))
      expect(link.signal.aborted).toBe(i % 2 === 1)
    }
    expect(listeners(longLived.signal)).toBe(0)
    expect(listeners(other.signal)).toBe(0)

    const link = linkSignals([longLived.signal, other.signal])
    const reason = new Error('the other aborted')
    other.abort(reason)
    expect(link.signal.aborted).toBe(true)
    expect(link.signal.reason).toBe(reason)
    expect(listeners(longLived.signal)).toBe(0)
    link.dispose()
    link.dispose()
  })

  it('is aborted at once, listening to nothing, when an input already is', () => {
    const live = new AbortController()
    const reason = new Error('before')
    const link = linkSignals([live.signal, AbortSignal.abort(reason), new AbortController().signal])
    expect(link.signal.aborted).toBe(true)
    expect(link.signal.reason).toBe(reason)
    expect(listeners(live.signal)).toBe(0)
  })

  it('aborts with the timeout reason after the timeout, and the timer goes with dispose', async () => {
    const input = new AbortController()
    const link = linkSignals([input.signal], { timeoutMs: 5, timeoutReason: () => new TestError('TIMEOUT', 'slow') })
    await aborted(link.signal)
    expect(link.signal.reason).toMatchObject({ code: 'TIMEOUT' })
    expect(listeners(input.signal)).toBe(0)

    const plain = linkSignals([], { timeoutMs: 1 })
    await aborted(plain.signal)
    expect((plain.signal.reason as DOMException).name).toBe('TimeoutError')

    const disposed = linkSignals([], { timeoutMs: 1 })
    disposed.dispose()
    const later = linkSignals([], { timeoutMs: 20 })
    await aborted(later.signal)
    expect(disposed.signal.aborted).toBe(false)

    expect(linkSignals([], { timeoutMs: Number.POSITIVE_INFINITY }).signal.aborted).toBe(false)
  })

  it('refuses an input that is not a signal', () => {
    expect(() => linkSignals(['x' as never])).toThrow(TypeError)
  })
})

describe('onAbort', () => {
  it('calls once, and unlisten removes the listener', () => {
    const controller = new AbortController()
    let calls = 0
    const unlisten = onAbort(controller.signal, () => calls++)
    expect(listeners(controller.signal)).toBe(1)
    unlisten()
    expect(listeners(controller.signal)).toBe(0)
    onAbort(controller.signal, () => calls++)
    controller.abort()
    controller.abort()
    expect(calls).toBe(1)
    expect(listeners(controller.signal)).toBe(0)
  })

  it('calls at once for an aborted signal and does nothing without one', () => {
    let calls = 0
    onAbort(AbortSignal.abort(), () => calls++)()
    onAbort(undefined, () => calls++)()
    expect(calls).toBe(1)
  })

  it('two listeners of one function on one signal are both called', () => {
    const controller = new AbortController()
    let calls = 0
    const listener = () => calls++
    onAbort(controller.signal, listener)
    onAbort(controller.signal, listener)
    controller.abort()
    expect(calls).toBe(2)
  })
})

describe('abortError and throwIfAborted', () => {
  it("give the package's ABORTED error carrying the reason", () => {
    const reason = new Error('stopped by the user')
    const error = abortError(AbortSignal.abort(reason), TestError)
    expect(error).toBeInstanceOf(TestError)
    expect(error).toBeInstanceOf(MycelError)
    expect(error.code).toBe('ABORTED')
    expect(error.name).toBe('TestError')
    expect(error.cause).toBe(reason)
    expect(() => throwIfAborted(AbortSignal.abort(reason), TestError)).toThrow(TestError)
    expect(() => throwIfAborted(new AbortController().signal, TestError)).not.toThrow()
    expect(() => throwIfAborted(undefined, TestError)).not.toThrow()
  })

  it("give the reason itself when it is already the package's error (a timeout, CLOSED), and not another's", () => {
    const closed = TestError.closed('the node')
    expect(abortError(AbortSignal.abort(closed), TestError)).toBe(closed)
    const foreign = new OtherError('ABORTED', 'elsewhere')
    const wrapped = abortError(AbortSignal.abort(foreign), TestError)
    expect(wrapped).not.toBe(foreign)
    expect(wrapped.cause).toBe(foreign)
  })
})
