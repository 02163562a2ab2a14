import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it, vi } from 'vitest'
import {
  fastSha256,
  findNodeCrypto,
  getDefaultCrypto,
  getDefaultHashProvider,
  nobleCrypto,
  nobleHashProvider,
  UNWRAPPED_SHA256,
} from '../src/crypto.js'
import { toHex, utf8 } from './crypto-providers.js'

const sourceDir = fileURLToPath(new URL('../src/', import.meta.url))

describe('the default provider', () => {
  it('is node:crypto in Node, found at run time, made once', () => {
    const found = findNodeCrypto()
    expect(found?.name).toBe('node:crypto')
    expect(findNodeCrypto()).toBe(found)
    expect(getDefaultCrypto()).toBe(found)
    expect(getDefaultHashProvider()).toBe(found)
    expect(nobleCrypto.name).toBe('noble')
    expect(nobleHashProvider.name).toBe('@noble/hashes')
  })

  it('the noble hash provider is the hash part of nobleCrypto', () => {
    expect(nobleHashProvider.sha256).toBe(nobleCrypto.sha256)
    expect(nobleHashProvider.createSha256).toBe(nobleCrypto.createSha256)
    expect(nobleHashProvider.createSha1).toBe(nobleCrypto.createSha1)
  })

  it('falls back to noble where the runtime has no process.getBuiltinModule', async () => {
    const runtime = process as { getBuiltinModule?: unknown }
    const original = runtime.getBuiltinModule
    runtime.getBuiltinModule = undefined
    try {
      vi.resetModules()
      const fresh = await import('../src/crypto.js')
      expect(fresh.findNodeCrypto()).toBeUndefined()
      expect(fresh.getDefaultCrypto()).toBe(fresh.nobleCrypto)
      // Hashes are noble's, with WebCrypto's batches beside them (the runtime has crypto.subtle, as a page does).
      const hash = fresh.getDefaultHashProvider()
      expect(hash.name).toBe('WebCrypto + @noble/hashes')
      expect(hash.sha256).toBe(fresh.nobleHashProvider.sha256)
      expect(fresh.isBatchHashProvider(hash)).toBe(true)
    } finally {
      runtime.getBuiltinModule = original
      vi.resetModules()
    }
  })

  it('falls back to noble where getBuiltinModule has no node:crypto', async () => {
    const runtime = process as { getBuiltinModule?: unknown }
    const original = runtime.getBuiltinModule
    runtime.getBuiltinModule = () => undefined
    try {
      vi.resetModules()
      const fresh = await import('../src/crypto.js')
      expect(fresh.getDefaultCrypto().name).toBe('noble')
    } finally {
      runtime.getBuiltinModule = original
      vi.resetModules()
    }
  })

  it('the fast SHA-256 of Merkle hashing gives the same digest, unwrapped on node:crypto only', () => {
    const node = findNodeCrypto()
    expect(node).toBeDefined()
    const unwrapped = fastSha256(node as NonNullable<typeof node>)
    expect(unwrapped).toBe((node as unknown as Record<symbol, unknown>)[UNWRAPPED_SHA256])
    expect(toHex(unwrapped(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(toHex(fastSha256(nobleCrypto)(utf8('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })
})

describe('browser bundles', () => {
  it('every entry of @mycel/wire bundles for the browser with no Node module', async () => {
    const result = await build({
      entryPoints: ['index.ts', 'assert.ts', 'crypto.ts', 'hash.ts', 'signal.ts'].map(
        (entry) => `${sourceDir}${entry}`,
      ),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      outdir: '/virtual',
      logLevel: 'silent',
    })
    expect(result.errors).toEqual([])
    const imported = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path))
    expect(imported.filter((path) => path.startsWith('node:') || !path.startsWith('/'))).toEqual([])
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((path) => path.includes('@noble/ciphers'))).toBe(true)
    expect(inputs.filter((path) => path.startsWith('node:'))).toEqual([])
  })

  it('the hash entry carries no curve or cipher code', async () => {
    const result = await build({
      entryPoints: [`${sourceDir}hash.ts`],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      outdir: '/virtual',
      logLevel: 'silent',
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((path) => path.includes('@noble/hashes'))).toBe(true)
    expect(inputs.filter((path) => /@noble\/(curves|ciphers)|crypto\/noble\.ts/.test(path))).toEqual([])
  })
})
