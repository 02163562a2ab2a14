/**
 * Private shares: the construction end to end in memory (encrypt, hash as
 * an ordinary share, open with the link key or a reader identity, decrypt
 * any range), the checked-in known-answer vector on both providers, and the
 * typed refusals of wrong keys, changed bytes and bad envelopes.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { toHex } from '@mycel/wire'
import { describe, expect, it } from 'vitest'
import { PiecesError, verifyPiece } from '../../src/index.js'
import {
  createEnvelope,
  decodeEnvelope,
  decryptTorrent,
  ENCRYPTED_TORRENT_MAGIC,
  ENVELOPE_MAGIC,
  encryptTorrent,
  HEADER_BYTES,
  hkdfSha256,
  isEncryptedTorrent,
  MIN_STANZAS,
  openEnvelope,
  PRIVATE_LIMITS,
  padme,
  STANZA_BYTES,
  segmentNonce,
  xorContent,
} from '../../src/private.js'
import { content } from '../helpers.js'
import { build, cryptoProviders, nodeCrypto, open, privateShareFiles, seededRandom } from './helpers.js'

const utf8 = new TextEncoder()

function identity(seed: number) {
  const secretKey = seededRandom(200 + seed)(32)
  return { secretKey, publicKey: nodeCrypto.ed25519PublicKey(secretKey) }
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  let error: unknown
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (caught) {
    error = caught
  }
  expect(error).toBeInstanceOf(PiecesError)
  expect((error as PiecesError).code).toBe(code)
}

describe('building blocks', () => {
  it("PADMÉ gives the paper's lengths and at most 12% more", () => {
    expect([0, 1, 2, 3, 9, 100, 1000, 1025].map(padme)).toEqual([0, 1, 2, 3, 10, 104, 1024, 1088])
    expect(padme(2 ** 30)).toBe(2 ** 30)
    expect(padme(2 ** 30 + 1)).toBe(2 ** 30 + 2 ** 25)
    for (let n = 2; n < 5000; n += 37) {
      expect(padme(n)).toBeGreaterThanOrEqual(n)
      expect(padme(n) / n).toBeLessThanOrEqual(1.12 + 1e-9)
      expect(padme(padme(n))).toBe(padme(n))
    }
    expect(() => padme(-1)).toThrow(RangeError)
    expect(() => padme(1.5)).toThrow(RangeError)
  })

  it.each(cryptoProviders)('%s: HKDF-SHA256 gives RFC 5869 test case 1 (first 32 bytes)', (_, crypto) => {
    const okm = hkdfSha256(
      crypto,
      new Uint8Array(22).fill(0x0b),
      Uint8Array.from({ length: 13 }, (_, i) => i),
      Uint8Array.from({ length: 10 }, (_, i) => 0xf0 + i),
    )
    expect(toHex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf')
  })

  it.each(cryptoProviders)(
    '%s: the content stream decrypts from any offset, across a segment (128 GiB)',
    (_, crypto) => {
      const key = seededRandom(1)(32)
      const bytes = content(3, 3000)
      for (const base of [0, 5, 64 * 2 ** 31 - 1000]) {
        const whole = xorContent(crypto, key, base, bytes)
        for (const cut of [1, 63, 64, 65, 999, 1000, 1001, 2999]) {
          const joined = new Uint8Array(bytes.length)
          joined.set(xorContent(crypto, key, base, bytes.subarray(0, cut)))
          joined.set(xorContent(crypto, key, base + cut, bytes.subarray(cut)), cut)
          expect(toHex(joined)).toBe(toHex(whole))
        }
        expect(xorContent(crypto, key, base, whole)).toEqual(bytes)
      }
      // Past the segment boundary the key stream is segment 1's from block 0.
      const boundary = 64 * 2 ** 31
      expect(xorContent(crypto, key, boundary, bytes.subarray(0, 64))).toEqual(
        crypto.chacha20(key, segmentNonce(1), 0, bytes.subarray(0, 64)),
      )
    },
  )
})

describe('a version end to end', () => {
  const files = [
    { path: ['photos', 'b.jpg'], length: 70_000, content: [content(1, 70_000)] },
    { path: ['notes.txt'], length: 11, content: [utf8.encode('hello world')], executable: true },
    { path: ['empty'], length: 0, content: [] },
  ]
  const make = () =>
    build({
      name: 'holiday',
      files: files.map((file) => ({ ...file, content: file.content.map((c) => c.slice()) })),
      readers: [identity(1).publicKey],
    })

  it('is an ordinary share of two files whose names and sizes say nothing', async () => {
    const built = await make()
    expect(built.manifest.files.map((file) => file.path.join('/'))).toEqual(['data', 'keys'])
    expect(built.manifest.name).toMatch(/^private-[0-9a-f]{16}$/)
    expect(privateShareFiles(built.manifest)).toEqual({ data: 0, keys: 1 })
    const plainTotal = HEADER_BYTES + 16 + 70_011
    expect(built.data.length).toBeGreaterThanOrEqual(plainTotal)
    expect(built.data.length).toBe(padme(built.data.length))
    expect(built.keys.length).toBe(ENVELOPE_MAGIC.length + MIN_STANZAS * STANZA_BYTES)
    const text = new TextDecoder('latin1').decode(built.data)
    for (const secret of ['holiday', 'photos', 'notes.txt', 'hello world']) expect(text).not.toContain(secret)
    expect(verifyPiece(built.manifest, 0, built.data.subarray(0, built.manifest.pieceLength))).toBe(true)
  })

  it('opens with the link key and with the reader identity; every range decrypts', async () => {
    const built = await make()
    const key = openEnvelope(built.keys, identity(1).secretKey, nodeCrypto)
    expect(key).toEqual(built.contentKey)
    const opened = await open(built, key)
    expect(opened.manifest.name).toBe('holiday')
    expect(opened.manifest.files.map((file) => [file.path.join('/'), file.length, file.executable])).toEqual([
      ['empty', 0, false],
      ['notes.txt', 11, true],
      ['photos/b.jpg', 70_000, false],
    ])
    const photo = opened.fileRange(2)
    const whole = opened.decrypt(2, 0, built.data.subarray(photo.start, photo.start + photo.length))
    expect(whole).toEqual(content(1, 70_000))
    const part = opened.decrypt(2, 16_385, built.data.subarray(photo.start + 16_385, photo.start + 40_000))
    expect(part).toEqual(content(1, 70_000).subarray(16_385, 40_000))
    const notes = opened.fileRange(1)
    expect(new TextDecoder().decode(opened.decrypt(1, 0, built.data.subarray(notes.start, notes.start + 11)))).toBe(
      'hello world',
    )
  })

  it('refuses a wrong key, a changed header, a changed manifest, another identity', async () => {
    const built = await make()
    await expectCode(open(built, seededRandom(9)(32)), 'PRIVATE_KEY_MISMATCH')
    const header = built.data.slice()
    header[3] = (header[3] as number) ^ 1
    await expectCode(open({ data: header }, built.contentKey), 'PRIVATE_KEY_MISMATCH')
    const manifest = built.data.slice()
    manifest[HEADER_BYTES + 2] = (manifest[HEADER_BYTES + 2] as number) ^ 1
    await expectCode(open({ data: manifest }, built.contentKey), 'PRIVATE_MANIFEST_INVALID')
    await expectCode(() => openEnvelope(built.keys, identity(2).secretKey, nodeCrypto), 'PRIVATE_NOT_A_READER')
  })

  it('refuses a data file longer or shorter than PADMÉ of its head and content (another layout, or bytes added)', async () => {
    const built = await make()
    await expect(open(built, built.contentKey)).resolves.toBeDefined()
    for (const length of [built.data.length + 64, built.data.length + 65_536, built.data.length - 1]) {
      const data = new Uint8Array(length)
      data.set(built.data.subarray(0, Math.min(length, built.data.length)))
      await expectCode(open({ data }, built.contentKey), 'PRIVATE_MANIFEST_INVALID')
    }
  })

  it('refuses truncated stanzas, a wrong magic, a stanza count that cannot be, too many readers', async () => {
    const built = await make()
    await expectCode(() => decodeEnvelope(built.keys.subarray(0, built.keys.length - 1)), 'PRIVATE_ENVELOPE_MALFORMED')
    await expectCode(() => decodeEnvelope(built.keys.subarray(0, 10)), 'PRIVATE_ENVELOPE_MALFORMED')
    const magic = built.keys.slice()
    magic[0] = 0
    await expectCode(() => decodeEnvelope(magic), 'PRIVATE_ENVELOPE_MALFORMED')
    await expectCode(
      () => decodeEnvelope(built.keys.subarray(0, ENVELOPE_MAGIC.length + 3 * STANZA_BYTES)),
      'PRIVATE_ENVELOPE_MALFORMED',
    )
    const readers = Array.from({ length: PRIVATE_LIMITS.maxReaders + 1 }, (_, i) => identity(i).publicKey)
    await expectCode(
      () => createEnvelope(built.contentKey, readers, nodeCrypto, seededRandom(3)),
      'PRIVATE_TOO_MANY_READERS',
    )
    await expectCode(
      () => createEnvelope(built.contentKey, [new Uint8Array(32)], nodeCrypto, seededRandom(3)),
      'PRIVATE_BAD_READER',
    )
  })

  it('wraps the key for up to 64 readers, each of whom opens it', () => {
    const readers = Array.from({ length: PRIVATE_LIMITS.maxReaders }, (_, i) => identity(i))
    const key = seededRandom(4)(32)
    const envelope = createEnvelope(
      key,
      readers.map((reader) => reader.publicKey),
      nodeCrypto,
      seededRandom(5),
    )
    expect(decodeEnvelope(envelope)).toHaveLength(64)
    for (const reader of [readers[0], readers[33], readers[63]]) {
      expect(openEnvelope(envelope, (reader as { secretKey: Uint8Array }).secretKey, nodeCrypto)).toEqual(key)
    }
  })
})

describe('known-answer vector (test/fixtures/private-vector.json, read independently by private_vector.py)', () => {
  const vector = JSON.parse(readFileSync(new URL('../fixtures/private-vector.json', import.meta.url), 'utf8')) as {
    random_seed: number
    reader_seed: number
    files: { path: string[]; text: string }[]
    name: string
    content_key: string
    share_name: string
    data_hex: string
    keys_hex: string
    infohash: string
  }

  it('is read by an independent implementation of docs/protocol.md (Python cryptography, OpenSSL)', () => {
    const script = fileURLToPath(new URL('../fixtures/private_vector.py', import.meta.url))
    expect(execFileSync('/usr/bin/python3', [script], { encoding: 'utf8' }).trim()).toBe('ok')
  })

  it.each(cryptoProviders)(
    '%s: the same key, files and randomness give the same ciphertext share',
    async (_, crypto) => {
      const built = await build({
        name: vector.name,
        files: vector.files.map((file) => ({
          path: file.path,
          length: utf8.encode(file.text).length,
          content: [utf8.encode(file.text)],
        })),
        readers: [identity(vector.reader_seed).publicKey],
        crypto,
        random: seededRandom(vector.random_seed),
      })
      expect(toHex(built.contentKey)).toBe(vector.content_key)
      expect(built.manifest.name).toBe(vector.share_name)
      expect(toHex(built.data)).toBe(vector.data_hex)
      expect(toHex(built.keys)).toBe(vector.keys_hex)
      expect(built.manifest.infohashHex).toBe(vector.infohash)
      const opened = await open(built, built.contentKey, crypto)
      expect(opened.manifest.files.map((file) => file.path)).toEqual(vector.files.map((file) => file.path))
      expect(toHex(openEnvelope(built.keys, identity(vector.reader_seed).secretKey, crypto))).toBe(vector.content_key)
    },
  )
})

describe('encrypted .torrent files', () => {
  const torrent = utf8.encode('d4:infod4:name3:abcee') // any bytes: the format does not read them

  it.each(cryptoProviders)('%s: each user named opens it, others get NOT_A_READER', (_, crypto) => {
    const users = [identity(1), identity(2)]
    const sealed = encryptTorrent(
      torrent,
      users.map((user) => user.publicKey),
      { crypto, random: seededRandom(8) },
    )
    expect(isEncryptedTorrent(sealed)).toBe(true)
    expect(contains(sealed, torrent)).toBe(false)
    for (const user of users) expect(decryptTorrent(sealed, user.secretKey, crypto)).toEqual(torrent)
    expect(() => decryptTorrent(sealed, identity(3).secretKey, crypto)).toThrow(
      expect.objectContaining({ code: 'PRIVATE_NOT_A_READER' }),
    )
  })

  it('refuses a changed seal, a changed keys block, a cut file, another format', () => {
    const user = identity(1)
    const sealed = encryptTorrent(torrent, [user.publicKey], { random: seededRandom(9) })
    const changed = sealed.slice()
    changed[changed.length - 20] = (changed[changed.length - 20] as number) ^ 1
    expect(() => decryptTorrent(changed, user.secretKey)).toThrow(
      expect.objectContaining({ code: 'PRIVATE_MANIFEST_INVALID' }),
    )
    const keys = sealed.slice()
    const at = ENCRYPTED_TORRENT_MAGIC.length + 4 + ENVELOPE_MAGIC.length + 40
    keys[at] = (keys[at] as number) ^ 1
    expect(() => decryptTorrent(keys, user.secretKey)).toThrow(PiecesError)
    for (const cut of [3, ENCRYPTED_TORRENT_MAGIC.length + 2, ENCRYPTED_TORRENT_MAGIC.length + 30, sealed.length - 1]) {
      expect(() => decryptTorrent(sealed.subarray(0, cut), user.secretKey)).toThrow(PiecesError)
    }
    expect(() => decryptTorrent(torrent, user.secretKey)).toThrow(
      expect.objectContaining({ code: 'PRIVATE_ENVELOPE_MALFORMED' }),
    )
    expect(() => encryptTorrent(torrent, [])).toThrow(RangeError)
  })
})

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle))
}
