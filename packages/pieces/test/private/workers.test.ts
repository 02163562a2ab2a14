/**
 * Private share data files encrypted and hashed in worker threads
 * (`encryptedSources` of `@mycel/pieces/node`): the same ciphertext, bytes
 * for bytes, as the reference provider (noble) makes on one thread, and the
 * same manifest as before the workers existed (roots pinned below, and the
 * checked-in known-answer vector); block hashes fold into the Merkle tree as
 * the bytes would.
 */
import { readFileSync } from 'node:fs'
import { toHex } from '@mycel/wire'
import { findNativeChaCha20, nobleCrypto } from '@mycel/wire/crypto'
import { describe, expect, it } from 'vitest'
import { BLOCK_SIZE, FileHasher, ingest } from '../../src/index.js'
import { encryptedSources, WORKER_CHUNK_BYTES } from '../../src/node.js'
import {
  ContentKeyStream,
  type EncryptShareInput,
  encryptShare,
  type PrivateSourceFile,
  segmentNonce,
  XOR_SLICE_BYTES,
  xorContent,
  xorContentInto,
} from '../../src/private.js'
import { chunked, content, expectRejection, sha256 } from '../helpers.js'
import { cryptoProviders, ingestOnOneThread, nodeCrypto, seededRandom } from './helpers.js'

const utf8 = new TextEncoder()

/** A fixed input: a file over three worker chunks read in odd sizes, an empty file, a small one. */
function fixedFiles(): PrivateSourceFile[] {
  return [
    { path: ['a', 'big.bin'], length: 1_700_000, content: chunked(content(11, 1_700_000), [100_000, 333_333]) },
    { path: ['empty'], length: 0, content: [] },
    { path: ['small.txt'], length: 5000, content: [content(12, 5000)] },
  ]
}

/** Ingests a version through the workers, keeping the ciphertext they made. */
async function throughWorkers(
  input: EncryptShareInput,
  options: { pieceLength?: number; workers?: number; nativeChaCha20?: boolean } = {},
) {
  const version = encryptShare(input)
  const data = new Uint8Array(version.layout.dataLength)
  const chunks: number[] = []
  const sources = encryptedSources(version, {
    workers: options.workers ?? 2,
    ...(options.nativeChaCha20 === undefined ? {} : { nativeChaCha20: options.nativeChaCha20 }),
    onCiphertext: (offset, bytes) => {
      chunks.push(offset)
      data.set(bytes, offset)
    },
  })
  const manifest = await ingest(sources, {
    name: version.shareName,
    ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
  })
  return { manifest, data, chunks, version }
}

/** Where two arrays first differ (-1 when they do not), a short message on failure. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  return Buffer.from(a).equals(Buffer.from(b)) ? -1 : a.findIndex((byte, i) => byte !== b[i])
}

describe('encryption in worker threads', () => {
  it('makes the ciphertext and manifest of the reference provider, and the pinned roots of one thread (native ChaCha20 and node:crypto)', async () => {
    expect(findNativeChaCha20(), 'npm run build:native').toBeDefined()
    // Infohashes of this input from ingest(version.sources) on one thread (pinned before the workers were written,
    // at commit 6e99993, and again when the content moved to a 4 KiB boundary).
    const pinned = {
      default: '5c817168395e19b9a519e115cb8665b90ac41aa2c1fcf3a379096159d86e0c34',
      64: '5ad3991eb75c613f0647f6251cb35f823011229ad009661c54c562edbfaf37ee',
    }
    for (const [pieceLength, infohash] of [
      [undefined, pinned.default],
      [64 * 1024, pinned[64]],
    ] as const) {
      const input = () => ({ name: 'fixed', files: fixedFiles(), random: seededRandom(9) })
      const options = pieceLength === undefined ? {} : { pieceLength }
      const reference = await ingestOnOneThread({ ...input(), crypto: nobleCrypto }, options)
      expect(reference.manifest.infohashHex).toBe(infohash)
      for (const nativeChaCha20 of [true, false]) {
        const workers = await throughWorkers(input(), { ...options, nativeChaCha20 })
        expect(workers.chunks).toEqual([0, 1, 2, 3].map((i) => i * WORKER_CHUNK_BYTES)) // four chunks, in order
        expect(workers.data.length).toBe(reference.data.length)
        expect(firstDifference(workers.data, reference.data)).toBe(-1)
        expect(workers.manifest.infohashHex).toBe(infohash)
        expect(workers.manifest.files.map((file) => file.pieceLayer && toHex(file.pieceLayer))).toEqual(
          reference.manifest.files.map((file) => file.pieceLayer && toHex(file.pieceLayer)),
        )
      }
    }
  })

  it('gives the known-answer vector (one short chunk holding the head and the content)', async () => {
    const vector = JSON.parse(readFileSync(new URL('../fixtures/private-vector.json', import.meta.url), 'utf8')) as {
      random_seed: number
      reader_seed: number
      files: { path: string[]; text: string }[]
      name: string
      data_hex: string
      infohash: string
    }
    const reader = nodeCrypto.ed25519PublicKey(seededRandom(200 + vector.reader_seed)(32))
    const { manifest, data } = await throughWorkers({
      name: vector.name,
      files: vector.files.map((file) => ({
        path: file.path,
        length: utf8.encode(file.text).length,
        content: [utf8.encode(file.text)],
      })),
      readers: [reader],
      random: seededRandom(vector.random_seed),
    })
    expect(firstDifference(data, Buffer.from(vector.data_hex, 'hex'))).toBe(-1)
    expect(manifest.infohashHex).toBe(vector.infohash)
  })

  it('encrypts across a ChaCha20 segment (128 GiB) as xorContent does', async () => {
    // No test share reaches 128 GiB: a chunk is given to a worker at that stream offset by hand.
    const key = seededRandom(3)(32)
    const bytes = content(4, 3 * BLOCK_SIZE)
    const offset = 2 ** 37 - 2 * BLOCK_SIZE // two blocks before the second segment
    const { EncryptWorkers } = await import('../../src/node/encrypt-workers.js')
    const native = findNativeChaCha20()?.path
    expect(native, 'npm run build:native').toBeDefined()
    for (const cipher of [native, undefined]) {
      const pool = new EncryptWorkers(1, key, cipher)
      try {
        const result = await pool.run({ bytes: bytes.slice(), dataOffset: 0, encryptFrom: 0, streamOffset: offset })
        const expected = xorContent(nobleCrypto, key, offset, bytes)
        expect(firstDifference(new Uint8Array(result.buffer as ArrayBuffer), expected)).toBe(-1)
        const hashes = new Uint8Array(3 * 32)
        for (let i = 0; i < 3; i++) hashes.set(sha256(expected.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE)), i * 32)
        expect(toHex(result.hashes)).toBe(toHex(hashes))
      } finally {
        await pool.close()
      }
    }
  })

  it('refuses a file that does not give its length, and stops when aborted', async () => {
    const short = encryptShare({
      name: 'short',
      files: [{ path: ['a'], length: 2_000_000, content: [content(5, 1_000_000)] }],
    })
    await expectRejection(
      ingest(encryptedSources(short, { workers: 2 }), { name: short.shareName }),
      'INGEST_LENGTH_MISMATCH',
    )
    const controller = new AbortController()
    const long = encryptShare({
      name: 'long',
      files: [{ path: ['a'], length: 3_000_000, content: chunked(content(5, 3_000_000), [100_000]) }],
    })
    await expectRejection(
      ingest(encryptedSources(long, { workers: 2, signal: controller.signal }), {
        name: long.shareName,
        onProgress: () => controller.abort(),
      }),
      'ABORTED',
    )
  })

  it('falls back to this thread with no workers (the same sources as encryptShare)', () => {
    const version = encryptShare({ name: 'x', files: [{ path: ['a'], length: 1, content: [Uint8Array.of(1)] }] })
    expect(encryptedSources(version, { workers: 0 })).toBe(version.sources)
    expect(encryptedSources(version)).toBe(version.sources) // under WORKER_MIN_BYTES
    expect(() => encryptedSources(version, { workers: -1 })).toThrow(RangeError)
  })
})

describe('xorContentInto', () => {
  it.each(cryptoProviders)(
    '%s: in place or into another array, the bytes of xorContent, in slices of 64 KiB across a segment',
    (_, crypto) => {
      const key = seededRandom(6)(32)
      const bytes = content(7, 3 * XOR_SLICE_BYTES + 100)
      for (const offset of [0, 5, 64 * 1000 + 3, 2 ** 37 - XOR_SLICE_BYTES - 10]) {
        const expected = xorContent(nobleCrypto, key, offset, bytes)
        const into = new Uint8Array(bytes.length)
        expect(xorContentInto(crypto, key, offset, bytes, into)).toBe(into)
        expect(firstDifference(into, expected)).toBe(-1)
        const inPlace = bytes.slice()
        xorContentInto(crypto, key, offset, inPlace, inPlace)
        expect(firstDifference(inPlace, expected)).toBe(-1)
        expect(firstDifference(xorContent(crypto, key, offset, bytes), expected)).toBe(-1)
      }
      expect(() => xorContentInto(crypto, key, 0, bytes, new Uint8Array(1))).toThrow(RangeError)
    },
  )
})

/** The content key stream from `offset`, made as docs/protocol.md says: one 64-byte block at a time. */
function referenceKeyStream(key: Uint8Array, offset: number, length: number): Uint8Array {
  const first = Math.floor(offset / 64)
  const blocks = Math.ceil((offset + length) / 64) - first
  const stream = new Uint8Array(blocks * 64)
  for (let i = 0; i < blocks; i++) {
    const block = first + i
    const nonce = segmentNonce(Math.floor(block / 2 ** 31))
    stream.set(nobleCrypto.chacha20(key, nonce, block % 2 ** 31, new Uint8Array(64)), i * 64)
  }
  return stream.subarray(offset % 64, (offset % 64) + length)
}

describe('ContentKeyStream', () => {
  it.each(cryptoProviders)(
    '%s: runs of ranges, in order, jumping back and forth and across a segment, give the key stream of the spec',
    (_, crypto) => {
      const key = seededRandom(8)(32)
      const stream = new ContentKeyStream(crypto, key)
      const segment = 2 ** 37
      // [offset, length]: a run of 16 KiB blocks, a jump back, odd sizes, a run across the segment's end.
      const ranges: [number, number][] = [
        [0, 16384],
        [16384, 16384],
        [32768, 100],
        [32868, 70_000],
        [5, 3],
        [segment - 16384 - 7, 16384],
        [segment - 7, 16384],
        [segment + 16377, 65],
        [segment - 1, 2],
      ]
      for (const [offset, length] of ranges) {
        const input = content(offset % 251, length)
        const expected = referenceKeyStream(key, offset, length).map((byte, i) => byte ^ (input[i] as number))
        const out = new Uint8Array(length)
        expect(stream.xorAt(offset, input, out)).toBe(out)
        expect(firstDifference(out, expected)).toBe(-1)
        const inPlace = input.slice()
        new ContentKeyStream(crypto, key).xorAt(offset, inPlace, inPlace)
        expect(firstDifference(inPlace, expected)).toBe(-1)
      }
      expect(() => stream.xorAt(-1, new Uint8Array(1), new Uint8Array(1))).toThrow(RangeError)
      expect(() => stream.xorAt(0, new Uint8Array(2), new Uint8Array(1))).toThrow(RangeError)
    },
  )
  it('sets up one cipher for a run of consecutive ranges, and a new one only where a range jumps or a segment starts', () => {
    let ciphers = 0
    const counting = {
      ...nodeCrypto,
      createChaCha20Stream(key: Uint8Array, nonce: Uint8Array, position: number) {
        ciphers++
        return nodeCrypto.createChaCha20Stream(key, nonce, position)
      },
    }
    const stream = new ContentKeyStream(counting, seededRandom(9)(32))
    const block = new Uint8Array(16384)
    for (let i = 0; i < 64; i++) stream.xorAt(i * 16384, block, block)
    expect(ciphers).toBe(1)
    stream.xorAt(5, block, block)
    stream.xorAt(5 + 16384, block, block)
    expect(ciphers).toBe(2)
    stream.xorAt(2 ** 37 - 100, block, block)
    expect(ciphers).toBe(4)
  })
})

describe('FileHasher.updateBlockHashes', () => {
  it('gives the root and piece layer the bytes give, whatever the length and piece length', () => {
    for (const pieceLength of [16 * 1024, 64 * 1024]) {
      for (const length of [1, BLOCK_SIZE, BLOCK_SIZE + 1, 5 * BLOCK_SIZE - 7, 9 * BLOCK_SIZE]) {
        const bytes = content(length, length)
        const fromBytes = new FileHasher(pieceLength)
        fromBytes.update(bytes)
        const fromHashes = new FileHasher(pieceLength)
        const hashes = new Uint8Array(Math.ceil(length / BLOCK_SIZE) * 32)
        for (let at = 0; at < length; at += BLOCK_SIZE) {
          hashes.set(sha256(bytes.subarray(at, at + BLOCK_SIZE)), (at / BLOCK_SIZE) * 32)
        }
        // In two batches, the first of whole blocks.
        const split = Math.floor(hashes.length / 64) * 32
        fromHashes.updateBlockHashes(hashes.subarray(0, split), (split / 32) * BLOCK_SIZE)
        fromHashes.updateBlockHashes(hashes.subarray(split), length - (split / 32) * BLOCK_SIZE)
        const a = fromBytes.digest()
        const b = fromHashes.digest()
        expect(toHex(b.piecesRoot as Uint8Array)).toBe(toHex(a.piecesRoot as Uint8Array))
        expect(b.pieceLayer && toHex(b.pieceLayer)).toBe(a.pieceLayer && toHex(a.pieceLayer))
        expect([b.length, b.pieceCount]).toEqual([a.length, a.pieceCount])
      }
    }
  })

  it('refuses hashes that do not cover the bytes, or that cannot follow what came before', () => {
    const hasher = new FileHasher(16 * 1024)
    expect(() => hasher.updateBlockHashes(new Uint8Array(32), 2 * BLOCK_SIZE)).toThrow(TypeError)
    hasher.update(new Uint8Array(10))
    expect(() => hasher.updateBlockHashes(new Uint8Array(32), BLOCK_SIZE)).toThrow(/block boundary/)
    const short = new FileHasher(16 * 1024)
    short.updateBlockHashes(new Uint8Array(32), 100)
    expect(() => short.updateBlockHashes(new Uint8Array(32), BLOCK_SIZE)).toThrow(/block boundary/)
    expect(() => short.update(new Uint8Array(1))).toThrow(/short block/)
    expect(() => new FileHasher(16 * 1024, { v1: true }).updateBlockHashes(new Uint8Array(32), 1)).toThrow(/v1/)
  })
})
