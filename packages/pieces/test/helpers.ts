import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { type HashProvider, nobleHashProvider, PiecesError, type PiecesErrorCode } from '../src/index.js'
import { nodeHashProvider } from '../src/node.js'

/** Both providers: every test that hashes runs with each, and they must agree. */
export const providers: readonly HashProvider[] = [nodeHashProvider, nobleHashProvider]

/**
 * The deterministic file contents of the libtorrent fixtures: the first
 * `length` bytes of SHA-256(be32(seed) || be32(0)) || SHA-256(be32(seed) || be32(1)) || ...
 * Computed with node:crypto directly, independent of the providers under test.
 */
export function content(seed: number, length: number): Uint8Array {
  const key = `${seed}:${length}`
  let cached = contentCache.get(key)
  if (cached === undefined) {
    cached = makeContent(seed, length)
    contentCache.set(key, cached)
  }
  return cached.slice()
}

const contentCache = new Map<string, Uint8Array>()

function makeContent(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const counter = new Uint8Array(8)
  const view = new DataView(counter.buffer)
  view.setUint32(0, seed)
  for (let i = 0, at = 0; at < length; i++, at += 32) {
    view.setUint32(4, i)
    const digest = createHash('sha256').update(counter).digest()
    out.set(digest.subarray(0, Math.min(32, length - at)), at)
  }
  return out
}

/** Splits bytes into chunks of the given sizes (cycling), as a stream would. */
export function* chunked(bytes: Uint8Array, sizes: readonly number[] = [65536]): Generator<Uint8Array> {
  let at = 0
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] as number)
    yield bytes.subarray(at, at + size)
    at += size
  }
}

export function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('hex')
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'))
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

/** The code of the PiecesError `fn` throws, or a description of what happened instead. */
export function errorCode(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return err instanceof PiecesError ? err.code : `not a PiecesError: ${String(err)}`
  }
  return 'nothing thrown'
}

/** Asserts that `fn` throws a PiecesError with `code`. */
export function expectPiecesError(fn: () => unknown, code: PiecesErrorCode): void {
  expect(errorCode(fn)).toBe(code)
}

/** Asserts that a promise rejects with a PiecesError with `code`. */
export async function expectRejection(promise: Promise<unknown>, code: PiecesErrorCode): Promise<void> {
  let caught: unknown
  try {
    await promise
  } catch (err) {
    caught = err
  }
  expect(caught instanceof PiecesError ? caught.code : `not a PiecesError: ${String(caught)}`).toBe(code)
}

export interface FixtureFile {
  path: string[]
  length: number
  seed: number
  executable: boolean
}

export interface FixtureCase {
  id: string
  kind: 'file' | 'directory'
  name: string
  pieceLength: number
  noTailPadding?: boolean
  files: FixtureFile[]
  v2: {
    infohash: string
    torrent: string
    files: { path: string[]; length: number; attr: string; piecesRoot: string | null; pieceLayer: string | null }[]
  }
  hybrid: { infohashV1: string; infohashV2: string; torrent: string }
}

/** The expected values libtorrent 2.0.8 computed (see test/fixtures/generate.py). */
export const fixtures: { libtorrent: string; cases: FixtureCase[] } = JSON.parse(
  readFileSync(new URL('./fixtures/libtorrent.json', import.meta.url), 'utf8'),
)

export function base64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'))
}

/** XORs one byte of `bytes` with `mask`. */
export function flipByte(bytes: Uint8Array, index: number, mask: number): void {
  bytes[index] = (bytes[index] as number) ^ mask
}
