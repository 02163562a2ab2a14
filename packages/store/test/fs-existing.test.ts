import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type FileSystem, nodeFileSystem, openDownloadStore, openSeedStore, prepareDownloadFolder } from '../src/fs.js'
import { multiFileShare, pieceBytes, singleFileShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir, writeShareFiles } from './helpers.js'

afterEach(removeTempDirs)

const UNRELATED = 'a letter that mycel did not write, longer than the share says the file is: '.repeat(4000)

describe('a download store and files it did not create', () => {
  it('never writes into or cuts a file that was already there, and does not read it as the share', async () => {
    const share = await singleFileShare()
    const downloads = await tempDir()
    const path = join(downloads, 'movie.mkv')
    await writeFile(path, UNRELATED)
    const store = await openDownloadStore(share.manifest, downloads)
    const message = await expectStoreError(store.writePiece(0, pieceBytes(share, 0)), 'FILE_EXISTS')
    expect(message).toContain(path)
    expect(await store.has(0)).toBe(false)
    expect((await store.readPiece(0)).every((byte) => byte === 0)).toBe(true)
    await store.close()
    expect(await readFile(path, 'utf8')).toBe(UNRELATED)
  })

  it('refuses a file that appears after the store opened (the first write creates with O_EXCL)', async () => {
    const share = await multiFileShare()
    const downloads = await tempDir()
    const store = await openDownloadStore(share.manifest, downloads)
    await writeFile(join(downloads, 'album', 'a.bin'), UNRELATED)
    await expectStoreError(store.writePiece(0, pieceBytes(share, 0)), 'FILE_EXISTS')
    await store.close()
    expect(await readFile(join(downloads, 'album', 'a.bin'), 'utf8')).toBe(UNRELATED)
  })

  it('leaves an existing file at the path of an empty file of the share as it is', async () => {
    const share = await multiFileShare()
    const downloads = await tempDir()
    await mkdir(join(downloads, 'album'))
    await writeFile(join(downloads, 'album', 'empty.txt'), UNRELATED)
    await expectStoreError(openDownloadStore(share.manifest, downloads), 'FILE_EXISTS')
    expect(await readFile(join(downloads, 'album', 'empty.txt'), 'utf8')).toBe(UNRELATED)
  })

  it('keeps writing the files it created after closing them to make room', async () => {
    const share = await multiFileShare()
    const downloads = await tempDir()
    const store = await openDownloadStore(share.manifest, downloads, { maxOpenFiles: 1 })
    for (let piece = 0; piece < share.manifest.pieceCount; piece++) {
      await store.writePiece(piece, pieceBytes(share, piece))
    }
    // every file was closed and opened again at least once
    for (let piece = share.manifest.pieceCount - 1; piece >= 0; piece--) {
      await store.writePiece(piece, pieceBytes(share, piece))
      expect(Buffer.compare(await store.readPiece(piece), pieceBytes(share, piece))).toBe(0)
    }
    await store.close()
  })

  it('writes into existing files when told to adopt them (a resumed download, a verify in place)', async () => {
    const share = await singleFileShare()
    const downloads = await tempDir()
    const path = join(downloads, 'movie.mkv')
    await writeFile(path, UNRELATED)
    const store = await openDownloadStore(share.manifest, downloads, { existingFiles: 'adopt' })
    await store.writePiece(0, pieceBytes(share, 0))
    await store.close()
    const bytes = await readFile(path)
    expect(bytes.length).toBe(share.manifest.totalLength)
    expect(Buffer.compare(bytes.subarray(0, pieceBytes(share, 0).length), pieceBytes(share, 0))).toBe(0)
  })
})

describe('prepareDownloadFolder', () => {
  it('makes missing folders, and refuses at once a place that takes none', async () => {
    const base = await tempDir()
    expect(await prepareDownloadFolder(join(base, 'a', 'b', 'c'))).toBe(join(base, 'a', 'b', 'c'))
    await writeFile(join(base, 'file'), 'x')
    const underFile = await expectStoreError(prepareDownloadFolder(join(base, 'file', 'in')), 'NOT_WRITABLE')
    expect(underFile).toContain(`${join(base, 'file')} is a file`)
    // Node's recursive mkdir spins forever on /proc/x; this returns with an error
    expect(await expectStoreError(prepareDownloadFolder('/proc/mycel-test/in'), 'NOT_WRITABLE')).toContain(
      '/proc/mycel-test/in cannot be created',
    )
  })
})

describe('closeFile', () => {
  it('makes a seed store open the path again: a file replaced on disk is read anew', async () => {
    const share = await singleFileShare()
    const folder = await tempDir()
    const content = await writeShareFiles(folder, share.manifest, share.files)
    const store = await openSeedStore(share.manifest, content)
    expect(Buffer.compare(await store.readPiece(0), pieceBytes(share, 0))).toBe(0)
    const replacement = join(folder, 'replacement')
    await writeFile(replacement, new Uint8Array(share.manifest.totalLength).fill(7))
    await rename(replacement, content)
    // the open descriptor still reads the file that was replaced
    expect(Buffer.compare(await store.readPiece(0), pieceBytes(share, 0))).toBe(0)
    await store.closeFile(0)
    expect((await store.readPiece(0)).every((byte) => byte === 7)).toBe(true)
    await store.close()
  })

  it('closes a descriptor in use when its read ends, and hands it out no more', async () => {
    const share = await singleFileShare()
    const folder = await tempDir()
    const content = await writeShareFiles(folder, share.manifest, share.files)
    // reads wait at a gate, so that one is in flight, its file open, while the test acts
    let entered: () => void = () => {}
    const inRead = new Promise<void>((resolve) => (entered = resolve))
    let open: () => void = () => {}
    const gate = new Promise<void>((resolve) => (open = resolve))
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      read: async (...args) => {
        entered()
        await gate
        return nodeFileSystem.read(...args)
      },
    }
    const store = await openSeedStore(share.manifest, content, { maxOpenFiles: 4, fileSystem })
    const reading = store.readPiece(0)
    await inRead
    const closing = store.closeFile(0) // the read holds the descriptor
    await writeFile(join(folder, 'replacement'), new Uint8Array(share.manifest.totalLength).fill(9))
    await rename(join(folder, 'replacement'), content)
    open()
    expect(Buffer.compare(await reading, pieceBytes(share, 0))).toBe(0)
    await closing
    expect((await store.readPiece(1)).every((byte) => byte === 9)).toBe(true)
    await store.close()
  })
})
