/**
 * How the page takes the daemon's token from the address it was opened at:
 * out of the fragment, into this tab's sessionStorage, and off the address bar.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { adoptTokenFromFragment, forgetToken, loadToken, saveToken } from '../src/api/token.js'

/** sessionStorage as the page has it. */
class MemoryStorage {
  readonly items = new Map<string, string>()
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value)
  }
  removeItem(key: string): void {
    this.items.delete(key)
  }
}

function page(hash: string) {
  const replaced: string[] = []
  const location = { hash, pathname: '/', search: '?tab=peers' } as Location
  const history = {
    replaceState: (_state: unknown, _unused: string, url: string) => {
      replaced.push(url)
    },
  } as unknown as History
  return { location, history, replaced }
}

let storage: MemoryStorage
beforeEach(() => {
  storage = new MemoryStorage()
  ;(globalThis as { sessionStorage?: unknown }).sessionStorage = storage
})
afterEach(() => {
  delete (globalThis as { sessionStorage?: unknown }).sessionStorage
})

describe('the token in the page', () => {
  it('moves #token=... into sessionStorage and takes the fragment off the address', () => {
    const opened = page(`#token=${'ab'.repeat(32)}`)
    adoptTokenFromFragment(opened.location, opened.history)
    expect(loadToken()).toBe('ab'.repeat(32))
    expect(opened.replaced).toEqual(['/?tab=peers'])
  })

  it('finds it among other fragment parameters, percent-decoded', () => {
    const opened = page('#tab=peers&token=pass%20word')
    adoptTokenFromFragment(opened.location, opened.history)
    expect(loadToken()).toBe('pass word')
  })

  it('leaves the address and the storage alone without a token in the fragment', () => {
    for (const hash of ['', '#', '#tokens=x', '#mytoken=x']) {
      const opened = page(hash)
      adoptTokenFromFragment(opened.location, opened.history)
      expect(opened.replaced, hash).toEqual([])
      expect(loadToken(), hash).toBeUndefined()
    }
  })

  it('keeps a token typed in, trimmed, and forgets it', () => {
    saveToken('  typed \n')
    expect(loadToken()).toBe('typed')
    forgetToken()
    expect(loadToken()).toBeUndefined()
    expect(storage.items.size).toBe(0)
  })
})
