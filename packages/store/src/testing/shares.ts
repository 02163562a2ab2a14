import { ingest, type Manifest } from '@mycel/pieces'

/** A share made for tests: its manifest and the bytes of each of its files. */
export interface TestShare {
  /** The manifest. */
  readonly manifest: Manifest
  /** The bytes of each file, in manifest order. */
  readonly files: readonly Uint8Array[]
}

/** One file of a {@link TestShare}. */
export interface TestFileSpec {
  /** Path components inside the share. */
  readonly path: readonly string[]
  /** Size in bytes. */
  readonly length: number
}

/**
 * Deterministic pseudo-random bytes (xorshift32): the same `seed` and
 * `length` always give the same bytes.
 *
 * @param seed - any 32-bit number but 0
 * @param length - bytes to make
 * @returns the bytes
 */
export function testBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let state = seed >>> 0 || 0x9e3779b9
  for (let i = 0; i < length; i += 4) {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    out[i] = state & 0xff
    if (i + 1 < length) out[i + 1] = (state >>> 8) & 0xff
    if (i + 2 < length) out[i + 2] = (state >>> 16) & 0xff
    if (i + 3 < length) out[i + 3] = state >>> 24
  }
  return out
}

/**
 * Makes a share of files with deterministic contents (see {@link testBytes}).
 *
 * @param name - the share's name
 * @param files - paths and sizes
 * @param pieceLength - bytes per piece (default 32 KiB: two blocks)
 * @returns the manifest and the file bytes in manifest order
 *
 * @example
 * ```ts
 * const { manifest, files } = await makeTestShare('album', [{ path: ['a.bin'], length: 100_000 }])
 * ```
 */
export async function makeTestShare(
  name: string,
  files: readonly TestFileSpec[],
  pieceLength = 32 * 1024,
): Promise<TestShare> {
  const contents = new Map<string, Uint8Array>()
  for (const [index, file] of files.entries()) {
    contents.set(file.path.join('/'), testBytes(index * 7919 + file.length + 1, file.length))
  }
  const manifest = await ingest(
    files.map((file) => ({
      path: file.path,
      length: file.length,
      content: [contents.get(file.path.join('/')) as Uint8Array],
    })),
    { name, pieceLength },
  )
  return { manifest, files: manifest.files.map((file) => contents.get(file.path.join('/')) as Uint8Array) }
}

/**
 * A folder share with the awkward cases: nested folders, an empty file, a
 * file of one byte, files that end inside a block and exactly at a piece
 * boundary, and a file of many pieces.
 *
 * @returns the share
 */
export function multiFileShare(): Promise<TestShare> {
  return makeTestShare('album', [
    { path: ['a.bin'], length: 100_000 },
    { path: ['empty.txt'], length: 0 },
    { path: ['sub', 'deep', 'b.bin'], length: 3 * 16384 + 5 },
    { path: ['sub', 'c.bin'], length: 32768 },
    { path: ['z.bin'], length: 1 },
  ])
}

/**
 * A single-file share of a few pieces, the last one short.
 *
 * @returns the share
 */
export function singleFileShare(): Promise<TestShare> {
  return makeTestShare('movie.mkv', [{ path: ['movie.mkv'], length: 5 * 32768 + 1234 }])
}

/**
 * The bytes of one piece of a test share.
 *
 * @param share - the share
 * @param piece - global piece index
 * @returns a view of the piece's bytes
 */
export function pieceBytes(share: TestShare, piece: number): Uint8Array {
  const { fileIndex, offset, length } = share.manifest.locatePiece(piece)
  return (share.files[fileIndex] as Uint8Array).subarray(offset, offset + length)
}

/**
 * The numbers `0 .. count - 1` in a shuffled order fixed by `seed`.
 *
 * @param count - how many
 * @param seed - the order
 * @returns the shuffled numbers
 */
export function shuffled(count: number, seed = 1): number[] {
  const order = Array.from({ length: count }, (_, i) => i)
  const random = testBytes(seed, count * 4)
  const view = new DataView(random.buffer)
  for (let i = count - 1; i > 0; i--) {
    const j = view.getUint32(i * 4) % (i + 1)
    ;[order[i], order[j]] = [order[j] as number, order[i] as number]
  }
  return order
}

/**
 * Compares two byte arrays quickly (vitest's deep equality walks typed
 * arrays element by element, slowly for large ones).
 *
 * @param actual - the bytes read
 * @param expected - the bytes wanted
 * @returns `'equal'`, or where they first differ
 */
export function compareTestBytes(actual: Uint8Array, expected: Uint8Array): string {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `differs at byte ${i}: ${actual[i]}, expected ${expected[i]}`
  }
  return 'equal'
}
