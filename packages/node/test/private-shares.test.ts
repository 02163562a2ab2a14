/**
 * Private shares between nodes on the memory transport, with real files:
 * a reader by link and a reader by peer id get identical files, a blind
 * seeder holds and serves ciphertext only (no plaintext bytes, no names),
 * removing a reader makes a version it cannot open, range reads decrypt
 * verified blocks, and wrong keys or non-readers get typed errors.
 */
import { chmod, mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createBlockProof, encodeMetadata, ingest, PiecesError } from '@mycel/pieces'
import { WORKER_MIN_BYTES } from '@mycel/pieces/node'
import { fromBase64Url, openPrivateShare, parsePrivateLink } from '@mycel/pieces/private'
import { MemoryStateStore } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import { toHex } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, fileSystemPrivateStorage, type MycelNode, type ShareChange } from '../src/index.js'
import { cleanup, memoryNode, sha256, tempDir, writeContent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
afterEach(async () => {
  await cleanup(nodes.splice(0), dirs.splice(0))
})

/** Every file under a folder, with its bytes. */
async function filesUnder(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out.set(path, new Uint8Array(await readFile(path)))
  }
  return out
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).includes(Buffer.from(needle))
}

/** The files under a folder (or a single file), by path relative to it, as SHA-256 digests. */
async function relativeFiles(path: string): Promise<Record<string, string>> {
  if ((await stat(path)).isFile()) return { '': sha256(await readFile(path)) }
  const out: Record<string, string> = {}
  for (const [file, bytes] of await filesUnder(path)) out[file.slice(path.length)] = sha256(bytes)
  return out
}

/** A whole file of a share, as the node serves it. */
async function readAll(node: MycelNode, infohashHex: string, path: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of node.read(infohashHex, path)) chunks.push(chunk)
  return new Uint8Array(Buffer.concat(chunks))
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(Error)
  expect((error as PiecesError).code).toBe(code)
}

async function album(): Promise<{ folder: string; photo: Uint8Array; notes: Uint8Array }> {
  const source = await tempDir()
  dirs.push(source)
  const folder = join(source, 'secret-album')
  await mkdir(join(folder, 'photos'), { recursive: true })
  const photo = await writeContent(join(folder, 'photos', 'beach-holiday.jpg'), 700_000, 5)
  const notes = await writeContent(join(folder, 'diary-notes.txt'), 30_000, 6)
  return { folder, photo, notes }
}

describe('private shares', () => {
  it('a reader by link and a reader by peer id get identical files; others get typed errors', async () => {
    const network = createMemoryNetwork()
    const { folder, photo, notes } = await album()
    const sharer = await memoryNode(network.transport())
    const reader = await memoryNode(network.transport())
    const linkReader = await memoryNode(network.transport())
    const stranger = await memoryNode(network.transport())
    nodes.push(sharer, reader, linkReader, stranger)
    const shared = await sharer.share(folder, { private: { readers: [reader.peerId] }, pieceLength: 64 * 1024 })
    expect(shared.name).toBe('secret-album')
    expect(shared.share.name).toMatch(/^private-[0-9a-f]{16}$/)
    expect(shared.link).toMatch(/^mycel:\/\/[0-9a-f]{64}#[A-Za-z0-9_-]{43}$/)
    expect(parsePrivateLink(shared.blindLink).key).toBeUndefined()
    // The ciphertext names and sizes say nothing: two files, the data padded.
    expect(shared.share.manifest.files.map((file) => file.path.join('/'))).toEqual(['data', 'keys'])

    const byLink = await tempDir()
    const byId = await tempDir()
    dirs.push(byLink, byId)
    const one = linkReader.private.download(shared.link as string, { dir: byLink, peers: sharer.addresses })
    const two = reader.private.download(shared.blindLink, { dir: byId, peers: sharer.addresses })
    for (const [result, dir] of [
      [await one.done(), byLink],
      [await two.done(), byId],
    ] as const) {
      expect(result.contentPath).toBe(join(dir, 'secret-album'))
      expect(result.manifest.files.map((file) => file.path.join('/'))).toEqual([
        'diary-notes.txt',
        'photos/beach-holiday.jpg',
      ])
      expect(sha256(await readFile(join(dir, 'secret-album', 'photos', 'beach-holiday.jpg')))).toBe(sha256(photo))
      expect(sha256(await readFile(join(dir, 'secret-album', 'diary-notes.txt')))).toBe(sha256(notes))
    }

    const strangerDir = await tempDir()
    dirs.push(strangerDir)
    const refused = stranger.private.download(shared.blindLink, { dir: strangerDir, peers: sharer.addresses })
    await expectCode(refused.done(), 'PRIVATE_NOT_A_READER')
    expect(await readdir(strangerDir)).toEqual([])
    // Nothing could be decrypted: the stranger keeps nothing of it.
    expect(stranger.getDownload(shared.infohashHex)).toBeUndefined()
    await expectCode(linkReader.private.open(shared.infohashHex, { key: new Uint8Array(32) }), 'PRIVATE_KEY_MISMATCH')
    await expect(linkReader.private.open(shared.infohashHex, { key: shared.link as string })).resolves.toBeDefined()
  })

  it('a blind seeder holds no plaintext and no names, and serves a reader alone', async () => {
    const network = createMemoryNetwork()
    const { folder, photo, notes } = await album()
    const sharer = await memoryNode(network.transport())
    const blind = await memoryNode(network.transport())
    const reader = await memoryNode(network.transport())
    nodes.push(sharer, blind, reader)
    const shared = await sharer.share(folder, { private: {}, pieceLength: 64 * 1024 })
    const blindDir = await tempDir()
    dirs.push(blindDir)
    const seeding = blind.download(shared.blindLink, { dir: blindDir, peers: sharer.addresses })
    await seeding.done()
    await sharer.close()

    const held = await filesUnder(blindDir)
    expect(held.size).toBe(2)
    for (const [path, bytes] of held) {
      for (const name of ['secret-album', 'beach-holiday', 'diary-notes', 'photos']) {
        expect(path).not.toContain(name)
        expect(contains(bytes, new TextEncoder().encode(name))).toBe(false)
      }
      // Any 64 bytes of either plaintext file would be found.
      for (const plain of [photo, notes]) {
        for (const at of [0, 16_384, plain.length - 64])
          expect(contains(bytes, plain.subarray(at, at + 64))).toBe(false)
      }
    }

    const target = await tempDir()
    dirs.push(target)
    const read = reader.private.download(shared.link as string, { dir: target, peers: blind.addresses })
    await read.done()
    expect(sha256(await readFile(join(target, 'secret-album', 'photos', 'beach-holiday.jpg')))).toBe(sha256(photo))
  })

  it('a blind seeder given the key later decrypts what it holds, from its store', async () => {
    const network = createMemoryNetwork()
    const { folder, photo, notes } = await album()
    const sharer = await memoryNode(network.transport())
    const blind = await memoryNode(network.transport())
    nodes.push(sharer, blind)
    const shared = await sharer.share(folder, { private: {}, pieceLength: 16 * 1024 })
    const cipherDir = await tempDir()
    const target = await tempDir()
    dirs.push(cipherDir, target)
    await blind.download(shared.blindLink, { dir: cipherDir, peers: sharer.addresses }).done()
    await sharer.close()
    // A wrong key fails, and the blind seed it holds stays.
    const wrong = `mycel://${shared.infohashHex}#${'A'.repeat(43)}`
    await expectCode(blind.private.download(wrong, { dir: target }).done(), 'PRIVATE_KEY_MISMATCH')
    expect(blind.getDownload(shared.infohashHex)).toBeDefined()
    const result = await blind.private.download(shared.link as string, { dir: target }).done()
    expect(sha256(await readFile(join(result.contentPath, 'photos', 'beach-holiday.jpg')))).toBe(sha256(photo))
    expect(sha256(await readFile(join(result.contentPath, 'diary-notes.txt')))).toBe(sha256(notes))
  })

  it('range reads decrypt verified blocks on demand, before the download is complete', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    const movie = await writeContent(join(source, 'movie.mkv'), 2_000_000, 9)
    const sharer = await memoryNode(network.transport())
    const viewer = await memoryNode(network.transport())
    nodes.push(sharer, viewer)
    const shared = await sharer.share(join(source, 'movie.mkv'), { private: {}, pieceLength: 256 * 1024 })
    viewer.download(shared.blindLink, { dir: await tempDir(), peers: sharer.addresses })
    const reader = await viewer.private.open(shared.infohashHex, { key: shared.link as string })
    expect(reader.manifest.files.map((file) => [file.path, file.length])).toEqual([[['movie.mkv'], 2_000_000]])
    const chunks: Uint8Array[] = []
    for await (const chunk of reader.read('movie.mkv', { start: 1_234_567, end: 1_300_000 })) chunks.push(chunk)
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(movie.subarray(1_234_567, 1_300_001)))
    const all: Uint8Array[] = []
    for await (const chunk of reader.read('movie.mkv')) all.push(chunk)
    expect(sha256(Buffer.concat(all))).toBe(sha256(movie))
  })

  it('removing a reader makes a new version it cannot read; the old version stops here', async () => {
    const network = createMemoryNetwork()
    const { folder, photo } = await album()
    const sharer = await memoryNode(network.transport())
    const kept = await memoryNode(network.transport())
    const removed = await memoryNode(network.transport())
    nodes.push(sharer, kept, removed)
    const first = await sharer.share(folder, {
      private: { readers: [kept.peerId, removed.peerId], link: false },
      pieceLength: 64 * 1024,
    })
    expect(first.link).toBeUndefined()
    const second = await sharer.private.setReaders(first.infohashHex, [kept.peerId])
    expect(second.infohashHex).not.toBe(first.infohashHex)
    expect(second.readers).toEqual([kept.peerId])
    expect(sharer.getShare(first.infohashHex)).toBeUndefined()
    expect(await sharer.private.get(second.infohashHex)).toMatchObject({ blindLink: second.blindLink })
    await expect(stat(first.share.contentPath)).rejects.toThrow() // its ciphertext is deleted

    const goneDir = await tempDir()
    const keptDir = await tempDir()
    dirs.push(goneDir, keptDir)
    const refused = removed.private.download(second.blindLink, { dir: goneDir, peers: sharer.addresses })
    await expectCode(refused.done(), 'PRIVATE_NOT_A_READER')
    const allowed = kept.private.download(second.blindLink, { dir: keptDir, peers: sharer.addresses })
    await allowed.done()
    expect(sha256(await readFile(join(keptDir, 'secret-album', 'photos', 'beach-holiday.jpg')))).toBe(sha256(photo))
  })

  it('ciphertext changed by a peer is refused: the peer is banned, nothing of it is decrypted or written', async () => {
    const network = createMemoryNetwork()
    const { folder, photo } = await album()
    const sharer = await memoryNode(network.transport())
    const reader = await memoryNode(network.transport())
    nodes.push(sharer, reader)
    const shared = await sharer.share(folder, { private: {}, pieceLength: 16 * 1024 })
    const { manifest } = shared.share
    const metadata = encodeMetadata(manifest)
    const data = await readAll(sharer, shared.infohashHex, 'data')
    const keys = await readAll(sharer, shared.infohashHex, 'keys')
    const target = await tempDir()
    dirs.push(target)
    const job = reader.private.download(shared.link as string, { dir: target })

    // A peer with the real metadata that answers every request with one bit of the ciphertext flipped.
    const liar = await RawPeer.dial(network.transport(), reader.addresses[0] as string)
    const banned = new Promise<string>((resolve) => reader.on('peer-banned', (peerId) => resolve(peerId)))
    const bits = new Uint8Array(Math.ceil(manifest.pieceCount / 8)).fill(0xff)
    bits[bits.length - 1] = (0xff << (bits.length * 8 - manifest.pieceCount)) & 0xff
    liar.on((message) => {
      if (message.type === 'meta-get') {
        const bytes = metadata.subarray(message.offset, message.offset + 256 * 1024)
        liar.send({ type: 'meta', id: message.id, total: metadata.length, offset: message.offset, bytes })
      } else if (message.type === 'request') {
        const location = manifest.locatePiece(message.piece)
        const file = location.fileIndex === 0 ? data : keys
        const piece = file.subarray(location.offset, location.offset + location.length)
        const bytes = piece.slice(message.offset, message.offset + message.length)
        bytes[0] = (bytes[0] as number) ^ 1
        // The proof is the true one: the changed bytes are what fails.
        const proof = message.proof
          ? createBlockProof(manifest, message.piece, piece, message.offset, message.length)
          : undefined
        liar.send({ type: 'data', id: message.id, bytes, ...(proof ? { proof } : {}) })
      }
    })
    liar.send({ type: 'bitfield', infohash: manifest.infohash, bits })
    expect(await banned).toBe(liar.identity.toString())
    expect(await readdir(target)).toEqual([]) // no header verified: nothing opened, nothing created

    await reader.connect(sharer.addresses[0] as string)
    const result = await job.done()
    expect(sha256(await readFile(join(result.contentPath, 'photos', 'beach-holiday.jpg')))).toBe(sha256(photo))
  })

  it('neither sharer nor reader keeps a ciphertext copy: they encrypt on read, and what they serve hashes to the share', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    // Shapes the store must lay out: a single file, a folder of one file, a folder with an empty file.
    const single = join(source, 'single.bin')
    await writeContent(single, 100_003, 7)
    await mkdir(join(source, 'one'))
    await writeContent(join(source, 'one', 'only.txt'), 40_001, 8)
    await mkdir(join(source, 'mixed', 'sub'), { recursive: true })
    await writeContent(join(source, 'mixed', 'a.txt'), 17_000, 9)
    await writeFile(join(source, 'mixed', 'empty'), new Uint8Array(0))
    await writeContent(join(source, 'mixed', 'sub', 'z.bin'), 65_537, 10)
    await chmod(join(source, 'mixed', 'sub', 'z.bin'), 0o755)
    const sharer = await memoryNode(network.transport())
    const reader = await memoryNode(network.transport())
    nodes.push(sharer, reader)
    for (const path of [single, join(source, 'one'), join(source, 'mixed')]) {
      const shared = await sharer.share(path, { private: {}, pieceLength: 16 * 1024 })
      const { manifest, contentPath } = shared.share
      // The version folder holds the head (sealed header and manifest) and the keys file only.
      const kept = await filesUnder(contentPath)
      expect([...kept.keys()].map((file) => file.slice(contentPath.length + 1)).sort()).toEqual(['head', 'keys'])
      expect((kept.get(join(contentPath, 'head')) as Uint8Array).length).toBeLessThanOrEqual(4096) // one page: the content starts on the next
      // What it serves, made on read, is the ciphertext it hashed: the same infohash.
      const data = await readAll(sharer, shared.infohashHex, 'data')
      const keys = await readAll(sharer, shared.infohashHex, 'keys')
      const again = await ingest(
        [
          { path: ['data'], length: data.length, content: [data] },
          { path: ['keys'], length: keys.length, content: [keys] },
        ],
        { name: manifest.name, pieceLength: manifest.pieceLength },
      )
      expect(again.infohashHex).toBe(shared.infohashHex)
      const target = await tempDir()
      dirs.push(target)
      const result = await reader.private
        .download(shared.link as string, { dir: target, peers: sharer.addresses })
        .done()
      // (a folder of one file arrives as that file, as a public share does)
      const copies = await relativeFiles(result.contentPath)
      const originals = await relativeFiles(path)
      expect(Object.values(copies).sort()).toEqual(Object.values(originals).sort())
      if (path.endsWith('mixed')) {
        expect((await stat(join(result.contentPath, 'sub', 'z.bin'))).mode & 0o100).toBe(0o100)
        expect((await stat(join(result.contentPath, 'a.txt'))).mode & 0o100).toBe(0)
      }
      // The reader keeps no ciphertext either, and serves it by encrypting what it decrypted.
      const held = reader.getDownload(shared.infohashHex)?.contentPath as string
      const readerKept = await filesUnder(held)
      expect([...readerKept.keys()].map((file) => file.slice(held.length + 1)).sort()).toEqual(['head', 'keys'])
      expect(await readAll(reader, shared.infohashHex, 'data')).toEqual(data)
      const next = await memoryNode(network.transport())
      nodes.push(next)
      const fromReader = await tempDir()
      dirs.push(fromReader)
      const passed = await next.private
        .download(shared.link as string, { dir: fromReader, peers: reader.addresses })
        .done()
      expect(await relativeFiles(passed.contentPath)).toEqual(copies)
    }
  })

  it('a share large enough for the encryption workers hashes to what the sharer serves, made again on read', async () => {
    const network = createMemoryNetwork()
    const source = await tempDir()
    dirs.push(source)
    const folder = join(source, 'big')
    await mkdir(folder)
    await writeContent(join(folder, 'a.bin'), WORKER_MIN_BYTES + 100_001, 11)
    await writeContent(join(folder, 'b.txt'), 5_000, 12)
    // The storage of createNode encrypts and hashes in worker threads when a core is idle (the
    // workers themselves are tested, forced on, in @mycel/pieces); either way the share is the same.
    expect(typeof fileSystemPrivateStorage(source).encryptedSources).toBe('function')
    const sharer = await memoryNode(network.transport())
    nodes.push(sharer)
    const shared = await sharer.share(folder, { private: {} })
    const { manifest } = shared.share
    const data = await readAll(sharer, shared.infohashHex, 'data')
    const keys = await readAll(sharer, shared.infohashHex, 'keys')
    const again = await ingest(
      [
        { path: ['data'], length: data.length, content: [data] },
        { path: ['keys'], length: keys.length, content: [keys] },
      ],
      { name: manifest.name, pieceLength: manifest.pieceLength },
    )
    expect(again.infohashHex).toBe(shared.infohashHex)
    const opened = await openPrivateShare(
      async (offset, length) => data.subarray(offset, offset + length),
      data.length,
      fromBase64Url((shared.link as string).split('#')[1] as string) as Uint8Array,
    )
    expect(opened.manifest.files.map((file) => [file.path.join('/'), file.length])).toEqual([
      ['a.bin', WORKER_MIN_BYTES + 100_001],
      ['b.txt', 5_000],
    ])
  })

  it('a plaintext file of a folder changed under the sharer stops the pieces it is in being served, until put back', async () => {
    const network = createMemoryNetwork()
    const { folder, photo, notes } = await album()
    const photoPath = join(folder, 'photos', 'beach-holiday.jpg')
    const sharer = await memoryNode(network.transport(), { changeCheckInterval: 0 })
    const reader = await memoryNode(network.transport())
    nodes.push(sharer, reader)
    const piece = 64 * 1024
    const shared = await sharer.share(folder, { private: {}, pieceLength: piece })
    const banned: string[] = []
    reader.on('peer-banned', (peerId) => banned.push(peerId))

    // The photo changes in place: same size, new bytes in the middle.
    const changedAt = 300_000
    const handle = await open(photoPath, 'r+')
    await handle.write(new Uint8Array(1000).fill(0xee), 0, 1000, changedAt)
    await handle.close()
    const changed = new Promise<ShareChange>((resolve) => sharer.once('share-changed', resolve))
    const target = await tempDir()
    dirs.push(target)
    const job = reader.private.download(shared.link as string, { dir: target, peers: sharer.addresses })
    const change = await changed
    // 700,000 bytes of photo are in 11 or 12 pieces of 64 KiB (where it starts in them depends on the
    // head); the 1,000 changed bytes in 1 or 2 of them.
    expect(change).toMatchObject({ infohash: shared.infohashHex, name: shared.share.name, path: photoPath })
    expect(change.filePieces).toBeGreaterThanOrEqual(Math.ceil(photo.length / piece))
    expect(change.filePieces).toBeLessThanOrEqual(Math.ceil(photo.length / piece) + 1)
    expect(change.mismatchedPieces).toBeGreaterThanOrEqual(1)
    expect(change.mismatchedPieces).toBeLessThanOrEqual(2)

    // Put back: the pieces match again, are served again, and the reader finishes with the files as shared.
    const back = new Promise<ShareChange>((resolve) => sharer.once('share-changed', resolve))
    const restore = await open(photoPath, 'r+')
    await restore.write(photo.subarray(changedAt, changedAt + 1000), 0, 1000, changedAt)
    await restore.close()
    expect(await back).toMatchObject({ path: photoPath, mismatchedPieces: 0 })
    const result = await job.done()
    expect(sha256(await readFile(join(result.contentPath, 'photos', 'beach-holiday.jpg')))).toBe(sha256(photo))
    expect(sha256(await readFile(join(result.contentPath, 'diary-notes.txt')))).toBe(sha256(notes))
    // The sharer never sent a piece that failed: the reader did not ban it.
    expect(banned).toEqual([])
  })

  it('a private share resumes after a restart of its sharer, links and readers kept', async () => {
    const network = createMemoryNetwork()
    const { folder, photo } = await album()
    const dataDir = await tempDir()
    dirs.push(dataDir)
    const start = () => createNode({ dataDir, listen: ['memory://0'], transports: [network.transport()], dht: false })
    const first = await start()
    const shared = await first.share(folder, { private: { readers: [first.peerId] }, pieceLength: 64 * 1024 })
    await first.close()
    const again = await start()
    nodes.push(again)
    expect(again.getShare(shared.infohashHex)).toBeDefined()
    expect(await again.private.get(shared.infohashHex)).toMatchObject({
      link: shared.link,
      blindLink: shared.blindLink,
      readers: [first.peerId],
      name: 'secret-album',
    })
    const reader = await memoryNode(network.transport())
    nodes.push(reader)
    const target = await tempDir()
    dirs.push(target)
    await reader.private.download(shared.link as string, { dir: target, peers: again.addresses }).done()
    expect(sha256(await readFile(join(target, 'secret-album', 'photos', 'beach-holiday.jpg')))).toBe(sha256(photo))
  })

  it('a reader restarted after its download seeds the version from its plaintext, re-encrypted', async () => {
    const network = createMemoryNetwork()
    const { folder, photo, notes } = await album()
    const sharer = await memoryNode(network.transport())
    nodes.push(sharer)
    const shared = await sharer.share(folder, { private: {}, pieceLength: 16 * 1024 })
    const dataDir = await tempDir()
    const target = await tempDir()
    dirs.push(dataDir, target)
    const start = () => createNode({ dataDir, listen: ['memory://0'], transports: [network.transport()], dht: false })
    const first = await start()
    await first.private.download(shared.link as string, { dir: target, peers: sharer.addresses }).done()
    await first.close()
    await sharer.close()
    const again = await start()
    nodes.push(again)
    // Resumed as a complete download, served by encrypting the plaintext it wrote: a newcomer gets it from it alone.
    expect(again.getShare(shared.infohashHex)).toBeDefined()
    const next = await memoryNode(network.transport())
    nodes.push(next)
    const out = await tempDir()
    dirs.push(out)
    const result = await next.private.download(shared.link as string, { dir: out, peers: again.addresses }).done()
    expect(sha256(await readFile(join(result.contentPath, 'photos', 'beach-holiday.jpg')))).toBe(sha256(photo))
    expect(sha256(await readFile(join(result.contentPath, 'diary-notes.txt')))).toBe(sha256(notes))
    // Downloading it again on the restarted reader gives the files it has (nothing is written over).
    const rerun = await again.private.download(shared.link as string, { dir: target }).done()
    expect(rerun.contentPath).toBe(join(target, 'secret-album'))
  })

  it('forgetting a private share (remove with deleteState) deletes its content key; stopping it keeps it', async () => {
    const network = createMemoryNetwork()
    const { folder } = await album()
    const state = new MemoryStateStore()
    const sharer = await memoryNode(network.transport(), { state })
    nodes.push(sharer)
    const shared = await sharer.share(folder, { private: {} })
    const key = (shared.link as string).split('#')[1] as string
    const holdsKey = async () => {
      const value = await state.getValue(`private-share:${shared.infohashHex}`)
      return value !== undefined && new TextDecoder().decode(value).includes(toHex(fromBase64Url(key) as Uint8Array))
    }
    expect(await holdsKey()).toBe(true)
    await sharer.remove(shared.infohashHex)
    expect(await holdsKey()).toBe(true)
    await sharer.remove(shared.infohashHex, { deleteState: true })
    expect(await holdsKey()).toBe(false)
  })

  it('refuses too many readers, bad peer ids and a link that is not one, before anything is written', async () => {
    const network = createMemoryNetwork()
    const { folder } = await album()
    const sharer = await memoryNode(network.transport())
    nodes.push(sharer)
    const many = Array.from({ length: 65 }, (_, i) => {
      const bytes = new Uint8Array(32)
      bytes[0] = i
      return bytes
    })
    const { peerIdToString } = await import('@mycel/transport')
    await expectCode(
      sharer.share(folder, { private: { readers: many.map(peerIdToString) } }),
      'PRIVATE_TOO_MANY_READERS',
    )
    await expectCode(sharer.share(folder, { private: { readers: ['not-a-peer-id'] } }), 'PEER_ID_INVALID')
    expect(() => sharer.private.download('mycel://nothex')).toThrow(PiecesError)
    expect(await sharer.list()).toEqual([])
  })
})
