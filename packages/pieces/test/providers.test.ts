import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { getDefaultHashProvider, nobleHashProvider } from '../src/index.js'
import { nodeHashProvider } from '../src/node.js'
import { hex } from './helpers.js'

const utf8 = new TextEncoder()

describe('hash providers', () => {
  it('the core entry picks node:crypto by itself in Node', () => {
    expect(getDefaultHashProvider().name).toBe('node:crypto')
    expect(getDefaultHashProvider()).toBe(getDefaultHashProvider())
    expect(nodeHashProvider.name).toBe('node:crypto')
    expect(nobleHashProvider.name).toBe('@noble/hashes')
  })

  it.each([nodeHashProvider, nobleHashProvider, getDefaultHashProvider()])('$name: FIPS 180 known answers', (hash) => {
    expect(hex(hash.sha256(utf8.encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    expect(hex(hash.sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    const sha1 = hash.createSha1()
    sha1.update(utf8.encode('abc'))
    expect(hex(sha1.digest())).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(hash.sha256(utf8.encode('abc'))).toBeInstanceOf(Uint8Array)
  })

  it('node:crypto and @noble/hashes agree on random inputs, one-shot and streamed', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }), (parts) => {
        const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
        let at = 0
        for (const part of parts) {
          all.set(part, at)
          at += part.length
        }
        const expected = createHash('sha256').update(all).digest('hex')
        const expected1 = createHash('sha1').update(all).digest('hex')
        for (const hash of [nodeHashProvider, nobleHashProvider]) {
          expect(hex(hash.sha256(all))).toBe(expected)
          const streamed = hash.createSha256()
          const streamed1 = hash.createSha1()
          for (const part of parts) {
            streamed.update(part)
            streamed1.update(part)
          }
          const fork = streamed1.copy()
          fork.update(new Uint8Array([1]))
          expect(hex(streamed.digest())).toBe(expected)
          expect(hex(streamed1.digest())).toBe(expected1)
          expect(hex(fork.digest())).toBe(
            createHash('sha1')
              .update(all)
              .update(new Uint8Array([1]))
              .digest('hex'),
          )
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('default provider without node:crypto', () => {
  it('falls back to @noble/hashes when the runtime has no process.getBuiltinModule', async () => {
    const runtime = process as { getBuiltinModule?: unknown }
    const original = runtime.getBuiltinModule
    runtime.getBuiltinModule = undefined
    try {
      vi.resetModules()
      const fresh = await import('../src/hash/provider.js')
      expect(fresh.getDefaultHashProvider().name).toBe('@noble/hashes')
    } finally {
      runtime.getBuiltinModule = original
      vi.resetModules()
    }
  })
})
