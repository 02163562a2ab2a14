/**
 * The hash providers of this package are those of `@mycel/wire/hash`,
 * whose tests replay the FIPS vectors and cross node:crypto with noble; here,
 * only what this package adds: the default, the names, and that any provider
 * of that family hashes a share to the same manifest.
 */
import { findNodeCrypto, getDefaultCrypto, nobleCrypto, randomBytes } from '@mycel/wire/crypto'
import { describe, expect, it, vi } from 'vitest'
import { getDefaultHashProvider, ingest, nobleHashProvider } from '../src/index.js'
import { nodeHashProvider } from '../src/node.js'
import { hex } from './helpers.js'

describe('hash providers', () => {
  it('the core entry picks node:crypto by itself in Node: the provider of @mycel/wire/crypto', () => {
    expect(getDefaultHashProvider().name).toBe('node:crypto')
    expect(getDefaultHashProvider()).toBe(getDefaultHashProvider())
    expect(getDefaultHashProvider()).toBe(getDefaultCrypto())
    expect(nodeHashProvider).toBe(findNodeCrypto())
    expect(nobleHashProvider.name).toBe('@noble/hashes')
  })

  it.each([nodeHashProvider, nobleHashProvider, nobleCrypto])('$name: the same digests', (hash) => {
    expect(hex(hash.sha256(new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    const sha1 = hash.createSha1()
    sha1.update(new TextEncoder().encode('abc'))
    expect(hex(sha1.digest())).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
  })

  it('every provider of the family hashes a share, with its v1 pieces, to the same manifest', async () => {
    const content = randomBytes(200_000)
    const manifests = await Promise.all(
      [nodeHashProvider, nobleHashProvider, nobleCrypto].map((hash) =>
        ingest([{ path: ['a.bin'], content: [content] }], { name: 'a', pieceLength: 16384, v1: true, hash }),
      ),
    )
    for (const manifest of manifests.slice(1)) {
      expect(hex(manifest.infohash)).toBe(hex(manifests[0]?.infohash as Uint8Array))
      expect(manifest.v1).toEqual(manifests[0]?.v1)
    }
  })
})

describe('default provider without node:crypto', () => {
  it("falls back to @noble/hashes' functions (WebCrypto's batches beside them) when the runtime has no process.getBuiltinModule", async () => {
    const runtime = process as { getBuiltinModule?: unknown }
    const original = runtime.getBuiltinModule
    runtime.getBuiltinModule = undefined
    try {
      vi.resetModules()
      const fresh = await import('../src/hash/provider.js')
      const hash = fresh.getDefaultHashProvider()
      expect(hash.name).toBe('WebCrypto + @noble/hashes')
      expect(hash.sha256).toBe(fresh.nobleHashProvider.sha256)
      expect(fresh.isBatchHashProvider(hash)).toBe(true)
    } finally {
      runtime.getBuiltinModule = original
      vi.resetModules()
    }
  })
})
