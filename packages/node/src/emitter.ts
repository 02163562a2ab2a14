/**
 * A runtime-neutral event emitter with the API of Node's `EventEmitter`
 * (what `typed-emitter` types), so the node core runs where `node:events`
 * does not (browsers, workers). Listeners run synchronously, in the order
 * they were added; a listener added or removed while an event is emitted
 * takes effect at the next one. An `error` event with no listener throws,
 * as Node's does (the node never emits one: failures reach the caller
 * through what it holds).
 * @internal
 * @module
 */

type Listener = (...args: never[]) => unknown

interface Registration {
  readonly listener: Listener
  readonly once: boolean
}

/** @internal */
export class Emitter {
  private readonly events = new Map<string | symbol, Registration[]>()
  private maxListeners = 10

  addListener(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, false, false)
  }

  on(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, false, false)
  }

  once(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, true, false)
  }

  prependListener(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, false, true)
  }

  prependOnceListener(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, true, true)
  }

  off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener)
  }

  /** Removes the most recently added registration of `listener` for `event`. */
  removeListener(event: string | symbol, listener: Listener): this {
    const registrations = this.events.get(event)
    if (registrations === undefined) return this
    for (let i = registrations.length - 1; i >= 0; i--) {
      if (registrations[i]?.listener !== listener) continue
      const rest = [...registrations.slice(0, i), ...registrations.slice(i + 1)]
      if (rest.length === 0) this.events.delete(event)
      else this.events.set(event, rest)
      break
    }
    return this
  }

  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.events.clear()
    else this.events.delete(event)
    return this
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const registrations = this.events.get(event)
    if (registrations === undefined) {
      if (event === 'error') throw args[0] instanceof Error ? args[0] : new Error(`unhandled error event: ${args[0]}`)
      return false
    }
    for (const registration of registrations) {
      if (registration.once) this.removeListener(event, registration.listener)
      ;(registration.listener as (...values: unknown[]) => unknown).apply(this, args)
    }
    return true
  }

  listeners(event: string | symbol): Listener[] {
    return (this.events.get(event) ?? []).map((registration) => registration.listener)
  }

  rawListeners(event: string | symbol): Listener[] {
    return this.listeners(event)
  }

  listenerCount(event: string | symbol): number {
    return this.events.get(event)?.length ?? 0
  }

  eventNames(): (string | symbol)[] {
    return [...this.events.keys()]
  }

  getMaxListeners(): number {
    return this.maxListeners
  }

  /** Kept for the API's sake: this emitter never warns about many listeners. */
  setMaxListeners(n: number): this {
    this.maxListeners = n
    return this
  }

  private add(event: string | symbol, listener: Listener, once: boolean, first: boolean): this {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function')
    const registrations = this.events.get(event) ?? []
    const registration = { listener, once }
    this.events.set(event, first ? [registration, ...registrations] : [...registrations, registration])
    return this
  }
}
