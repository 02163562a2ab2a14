/**
 * `nextEvent` of `@mycel/node/testing`: awaits an event in place of polling
 * for the state it changes.
 */
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { nextEvent } from '../src/testing.js'

describe('nextEvent', () => {
  it('resolves with the arguments of the next event that passes the filter, and stops listening', async () => {
    const emitter = new EventEmitter()
    const next = nextEvent(emitter, 'tick', { filter: (n) => (n as number) >= 3 })
    for (let n = 1; n <= 5; n++) emitter.emit('tick', n, `n=${n}`)
    expect(await next).toEqual([3, 'n=3'])
    expect(emitter.listenerCount('tick')).toBe(0)
  })

  it('rejects when its signal aborts or its timeout passes, naming the event, and stops listening', async () => {
    const emitter = new EventEmitter()
    const controller = new AbortController()
    const aborted = nextEvent(emitter, 'never', { signal: controller.signal })
    controller.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    await expect(nextEvent(emitter, 'never', { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone')
    await expect(nextEvent(emitter, 'never', { timeoutMs: 1 })).rejects.toThrow("no 'never' event within 1 ms")
    expect(emitter.listenerCount('never')).toBe(0)
  })

  it('rejects with what the filter throws', async () => {
    const emitter = new EventEmitter()
    const next = nextEvent(emitter, 'tick', {
      filter: () => {
        throw new TypeError('bad filter')
      },
    })
    emitter.emit('tick')
    await expect(next).rejects.toThrow(TypeError)
    expect(emitter.listenerCount('tick')).toBe(0)
  })
})
