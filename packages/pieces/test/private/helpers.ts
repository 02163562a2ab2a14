import { getDefaultCrypto, nobleCrypto } from '@mycel/wire/crypto'
import { type IngestSource, ingest, type Manifest } from '../../src/index.js'
import {
  type EncryptShareInput,
  encryptShare,
  type OpenedPrivateShare,
  openPrivateShare,
  privateShareFiles,
} from '../../src/private.js'

export const nodeCrypto = getDefaultCrypto()
export const cryptoProviders = [
  ['node:crypto', nodeCrypto],
  ['noble', nobleCrypto],
] as const

/** A deterministic random source (a counter through SHA-256), for vectors. */
export function seededRandom(seed: number): (length: number) => Uint8Array {
  let counter = 0
  return (length) => {
    const out = new Uint8Array(length)
    for (let at = 0; at < length; at += 32) {
      const block = nodeCrypto.sha256(Uint8Array.of(seed, counter >> 8, counter & 0xff))
      counter++
      out.set(block.subarray(0, Math.min(32, length - at)), at)
    }
    return out
  }
}

/** Everything a test needs of one encrypted version. */
export interface Built {
  readonly manifest: Manifest
  readonly data: Uint8Array
  readonly keys: Uint8Array
  readonly contentKey: Uint8Array
}

/** Encrypts in memory and hashes the ciphertext share; keeps the two files' bytes. */
export async function build(input: EncryptShareInput): Promise<Built> {
  const version = encryptShare(input)
  const kept: Uint8Array[][] = [[], []]
  const sources = version.sources.map((source, i) => ({
    ...source,
    content: (async function* () {
      for await (const chunk of source.content) {
        ;(kept[i] as Uint8Array[]).push(chunk.slice())
        yield chunk
      }
    })(),
  }))
  const manifest = await ingest(sources, { name: version.shareName })
  const join = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
  return {
    manifest,
    data: join(kept[0] as Uint8Array[]),
    keys: join(kept[1] as Uint8Array[]),
    contentKey: version.contentKey,
  }
}

/** Opens a built version from its data bytes. */
export function open(built: { data: Uint8Array }, key: Uint8Array, crypto = nodeCrypto): Promise<OpenedPrivateShare> {
  return openPrivateShare(
    async (offset, length) => built.data.slice(offset, offset + length),
    built.data.length,
    key,
    crypto,
  )
}

export { privateShareFiles }

/** Ingests a version on this thread (`version.sources`, the reference for the workers), keeping its data file. */
export async function ingestOnOneThread(
  input: EncryptShareInput,
  options: { pieceLength?: number } = {},
): Promise<{ manifest: Manifest; data: Uint8Array }> {
  const version = encryptShare(input)
  const data = new Uint8Array(version.layout.dataLength)
  let at = 0
  const [source, keys] = version.sources as [IngestSource, IngestSource]
  const kept = (async function* () {
    for await (const chunk of source.content) {
      data.set(chunk, at)
      at += chunk.length
      yield chunk
    }
  })()
  const manifest = await ingest([{ ...source, content: kept }, keys], { name: version.shareName, ...options })
  return { manifest, data }
}
