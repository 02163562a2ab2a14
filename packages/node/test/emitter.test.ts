import { describe, expect, it } from 'vitest'
import { Emitter } from '../src/emitter.js'

describe('the runtime-neutral emitter', () => {
  it('calls listeners in order, once-listeners once, and prepended ones first', () => {
    const emitter = new Emitter()
    const calls: string[] = []
    emitter.on('x', (value: string) => calls.push(`a${value}`))
    emitter.once('x', (value: string) => calls.push(`once${value}`))
    emitter.prependListener('x', (value: string) => calls.push(`first${value}`))
    expect(emitter.emit('x', '1')).toBe(true)
    expect(emitter.emit('x', '2')).toBe(true)
    expect(calls).toEqual(['first1', 'a1', 'once1', 'first2', 'a2'])
    expect(emitter.emit('nobody')).toBe(false)
    expect(emitter.listenerCount('x')).toBe(2)
    expect(emitter.eventNames()).toEqual(['x'])
  })

  it('removes a listener (a once-listener by its own function too), and all of them', () => {
    const emitter = new Emitter()
    let count = 0
    const listener = () => count++
    emitter.on('x', listener)
    emitter.once('y', listener)
    emitter.off('x', listener)
    emitter.removeListener('y', listener)
    emitter.emit('x')
    emitter.emit('y')
    expect(count).toBe(0)
    emitter.on('x', listener).on('y', listener)
    emitter.removeAllListeners()
    expect(emitter.eventNames()).toEqual([])
  })

  it('a listener added or removed during an emit takes effect at the next one', () => {
    const emitter = new Emitter()
    const calls: string[] = []
    const second = () => calls.push('second')
    emitter.on('x', () => {
      calls.push('first')
      emitter.off('x', second)
      emitter.on('x', () => calls.push('late'))
    })
    emitter.on('x', second)
    emitter.emit('x')
    expect(calls).toEqual(['first', 'second'])
  })

  it('throws an error event nobody listens to, as Node does', () => {
    const emitter = new Emitter()
    const error = new Error('boom')
    expect(() => emitter.emit('error', error)).toThrow(error)
    emitter.on('error', () => {})
    expect(emitter.emit('error', error)).toBe(true)
  })
})
