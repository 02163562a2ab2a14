/**
 * Private share data files whose plaintext the encryption workers read
 * themselves (`encryptedSources` of files that say their `diskPath`, as
 * `fileSources` gives them): the same ciphertext and manifest as one
 * thread makes from the same files, no byte of them read on this thread,
 * and a file that changes under the workers fails the ingest with
 * `INGEST_FILE_CHANGED` as `readChunks` does.
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nobleCrypto } from '@mycel/wire/crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ingest } from '../../src/index.js'
import { encryptedSources, fileSources, WORKER_CHUNK_BYTES, WORKER_READ_MAX_FILES } from '../../src/node.js'
import { encryptShare, type PrivateSourceFile } from '../../src/private.js'
import { content, expectRejection } from '../helpers.js'
import { ingestOnOneThread, seededRandom } from './helpers.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mycel-workers-read-'))
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

/** The files of `folder` with a `content` that counts the chunks read from it on this thread. */
async function listed(folder: string): Promise<{ files: PrivateSourceFile[]; readHere: () => number }> {
  let chunks = 0
  const { sources } = await fileSources(folder)
  const files = sources.map((source) => ({
    ...source,
    content: (async function* () {
      for await (const chunk of source.content) {
        chunks++
        yield chunk
      }
    })(),
  }))
  return { files, readHere: () => chunks }
}

/** Ingests through two workers, keeping the ciphertext they made. */
async function throughWorkers(files: PrivateSourceFile[], onChunk: (offset: number) => void = () => {}) {
  const version = encryptShare({ name: 'f', files, random: seededRandom(4) })
  const data = new Uint8Array(version.layout.dataLength)
  const sources = encryptedSources(version, {
    workers: 2,
    onCiphertext: (offset, bytes) => {
      data.set(bytes, offset)
      onChunk(offset)
    },
  })
  const manifest = await ingest(sources, { name: version.shareName })
  return { manifest, data }
}

/** The reference: the same files through `encryptShare`'s own data source, with noble's ChaCha20. */
function onOneThread(files: PrivateSourceFile[]) {
  return ingestOnOneThread({ name: 'f', files, random: seededRandom(4), crypto: nobleCrypto })
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b))
}

describe('encryption workers that read the files themselves', () => {
  it('make the ciphertext and manifest of one thread, reading nothing on this thread', async () => {
    const folder = join(root, 'share')
    mkdirSync(join(folder, 'a'), { recursive: true })
    // Files that start and end inside chunks, an empty one between them, one that ends on a chunk.
    writeFileSync(join(folder, 'a', 'big.bin'), content(1, 3 * WORKER_CHUNK_BYTES + 12_345))
    writeFileSync(join(folder, 'b-empty'), new Uint8Array(0))
    writeFileSync(join(folder, 'c.bin'), content(2, WORKER_CHUNK_BYTES - 700))
    writeFileSync(join(folder, 'd.txt'), content(3, 900))
    const workers = await listed(folder)
    const { manifest, data } = await throughWorkers(workers.files)
    expect(workers.readHere()).toBe(0)
    const reference = await onOneThread((await listed(folder)).files)
    expect(data.length).toBe(reference.data.length)
    expect(sameBytes(data, reference.data)).toBe(true)
    expect(manifest.infohashHex).toBe(reference.manifest.infohashHex)
  })

  it(`read on this thread for more than ${WORKER_READ_MAX_FILES} files, with the same result`, async () => {
    const folder = join(root, 'many')
    mkdirSync(folder)
    for (let i = 0; i <= WORKER_READ_MAX_FILES; i++) writeFileSync(join(folder, `f${i}`), content(i, 20_000 + i))
    const many = await listed(folder)
    const { manifest, data } = await throughWorkers(many.files)
    expect(many.readHere()).toBeGreaterThan(WORKER_READ_MAX_FILES)
    const reference = await onOneThread((await listed(folder)).files)
    expect(sameBytes(data, reference.data)).toBe(true)
    expect(manifest.infohashHex).toBe(reference.manifest.infohashHex)
  })

  it('fail with INGEST_FILE_CHANGED for a file shorter than listed, cut short while read, or written over', async () => {
    const file = join(root, 'file.bin')
    const length = 12 * WORKER_CHUNK_BYTES
    writeFileSync(file, content(5, length))
    const before = await listed(file)
    truncateSync(file, length - 1)
    await expectRejection(throughWorkers(before.files), 'INGEST_FILE_CHANGED')

    // Cut when the first chunk is back: later chunks (not yet read) come up short.
    writeFileSync(file, content(5, length))
    const cut = await listed(file)
    const shortened = throughWorkers(cut.files, (offset) => {
      if (offset === 0) truncateSync(file, WORKER_CHUNK_BYTES)
    })
    await expectRejection(shortened, 'INGEST_FILE_CHANGED')
    await expect(shortened).rejects.toThrow(/file\.bin" is shorter than when it was listed/)

    // In a folder, the file that came up short is named.
    const folder = join(root, 'two')
    mkdirSync(folder)
    writeFileSync(join(folder, 'first.bin'), content(6, 3 * WORKER_CHUNK_BYTES))
    writeFileSync(join(folder, 'second.bin'), content(7, length))
    const two = await listed(folder)
    await expect(
      throughWorkers(two.files, (offset) => {
        if (offset === 0) truncateSync(join(folder, 'second.bin'), 10)
      }),
    ).rejects.toThrow(/second\.bin" is shorter than when it was listed/)

    // The same length, another time: seen at the end.
    writeFileSync(file, content(5, length))
    const touched = await listed(file)
    await expectRejection(
      throughWorkers(touched.files, (offset) => {
        if (offset === 0) utimesSync(file, new Date(0), new Date(1_000_000))
      }),
      'INGEST_FILE_CHANGED',
    )
  })
})
