import { link, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Manifest, type ManifestFile } from '@mycel/pieces'
import { afterEach, describe, expect, it } from 'vitest'
import { downloadContentPath, type FileSystem, nodeFileSystem, openDownloadStore, openSeedStore } from '../src/fs.js'
import { multiFileShare, pieceBytes, singleFileShare, type TestShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir } from './helpers.js'

afterEach(removeTempDirs)

/** A manifest that skipped validation (as a buggy or hostile producer could make one), with other names and paths. */
function tampered(share: TestShare, name: string, paths: (readonly string[])[]): Manifest {
  const m = share.manifest
  const init: ConstructorParameters<typeof Manifest>[0] = {
    infohash: m.infohash,
    info: m.info,
    name,
    pieceLength: m.pieceLength,
    singleFile: m.singleFile,
    files: m.files.map((file, index): ManifestFile => ({ ...file, path: paths[index] ?? file.path })),
  }
  return new Manifest(init)
}

/** Every file below `dir`, as relative paths (symbolic links not followed). */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1)).sort()
}

/** A folder outside the download folder holding one file an attacker would like overwritten. */
async function victim(base: string): Promise<{ dir: string; file: string }> {
  const dir = join(base, 'outside')
  await mkdir(dir)
  const file = join(dir, 'precious.txt')
  await writeFile(file, 'do not touch')
  return { dir, file }
}

describe('paths from a manifest stay inside the download folder', () => {
  it('refuses `..`, separators and absolute paths in names and paths, writing nothing outside', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const downloads = join(base, 'downloads')
    const { dir: outside } = await victim(base)
    const evilName = tampered(share, '..', [])
    await expectStoreError(openDownloadStore(evilName, downloads), 'PATH_ESCAPE')
    expect(() => downloadContentPath(evilName, downloads)).toThrow(/could leave the folder/)

    for (const path of [
      ['..', '..', 'outside', 'precious.txt'],
      ['/etc/passwd'],
      ['a\\..\\..\\b'],
      ['.'],
      ['ok', '..'],
      ['nul\0byte'],
    ]) {
      const evil = tampered(share, 'album', [path])
      const store = await openDownloadStore(evil, downloads).catch((err: Error) => err)
      if (store instanceof Error) {
        expect((store as { code?: string }).code).toBe('PATH_ESCAPE')
        continue
      }
      await expectStoreError(store.write(0, 0, new Uint8Array(10)), 'PATH_ESCAPE')
      await expectStoreError(store.read(0, 0, 10), 'PATH_ESCAPE')
      await store.close()
    }
    expect(await readFile(join(outside, 'precious.txt'), 'utf8')).toBe('do not touch')
    expect(await listTree(outside)).toEqual(['precious.txt'])
  })

  it('refuses a symbolic link placed where the share folder goes', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const downloads = join(base, 'downloads')
    const { dir: outside } = await victim(base)
    await mkdir(downloads)
    await symlink(outside, join(downloads, 'album'))
    const message = await expectStoreError(openDownloadStore(share.manifest, downloads), 'PATH_ESCAPE')
    expect(message).toContain('symbolic link')
    expect(await listTree(outside)).toEqual(['precious.txt'])
  })

  it('refuses symbolic links to folders and files inside the share folder', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const downloads = join(base, 'downloads')
    const { dir: outside, file } = await victim(base)
    await mkdir(join(downloads, 'album'), { recursive: true })
    await symlink(outside, join(downloads, 'album', 'sub'))
    await symlink(file, join(downloads, 'album', 'a.bin'))
    const store = await openDownloadStore(share.manifest, downloads)
    const subFile = share.manifest.files.findIndex((f) => f.path.join('/') === 'sub/c.bin')
    await expectStoreError(store.write(subFile, 0, new Uint8Array(16)), 'PATH_ESCAPE')
    await expectStoreError(store.writePiece(0, pieceBytes(share, 0)), 'PATH_ESCAPE')
    await store.close()
    // a store that adopts existing files reads them, but never through a link
    const adopting = await openDownloadStore(share.manifest, downloads, { existingFiles: 'adopt' })
    await expectStoreError(adopting.writePiece(0, pieceBytes(share, 0)), 'PATH_ESCAPE')
    await expectStoreError(adopting.readPiece(0), 'PATH_ESCAPE')
    await adopting.close()
    expect(await readFile(file, 'utf8')).toBe('do not touch')
    expect(await listTree(outside)).toEqual(['precious.txt'])
  })

  it('re-checks paths when a file is opened again, catching a link swapped in after the first write', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const downloads = join(base, 'downloads')
    const { dir: outside } = await victim(base)
    const store = await openDownloadStore(share.manifest, downloads, { maxOpenFiles: 1 })
    const subFile = share.manifest.files.findIndex((f) => f.path.join('/') === 'sub/c.bin')
    await store.write(subFile, 0, new Uint8Array(16).fill(1))
    await store.writePiece(0, pieceBytes(share, 0)) // evicts sub/c.bin from the single slot
    await rm(join(downloads, 'album', 'sub'), { recursive: true })
    await symlink(outside, join(downloads, 'album', 'sub'))
    await expectStoreError(store.write(subFile, 16, new Uint8Array(16)), 'PATH_ESCAPE')
    await store.close()
    expect(await listTree(outside)).toEqual(['precious.txt'])
  })

  it('catches a folder swapped for a link between the check and the open (Linux), writing nothing outside', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const downloads = join(base, 'downloads')
    const { dir: outside } = await victim(base)
    const sub = join(downloads, 'album', 'sub')
    let swapped = false
    // The attacker's move, made at the worst moment: after the store checked
    // the folders of sub/c.bin, just before it opens the file.
    const racing: FileSystem = {
      ...nodeFileSystem,
      open: async (path, flags, mode) => {
        if (path.startsWith(sub) && !swapped) {
          swapped = true
          await rm(sub, { recursive: true })
          await symlink(outside, sub)
        }
        return nodeFileSystem.open(path, flags, mode)
      },
    }
    const store = await openDownloadStore(share.manifest, downloads, { fileSystem: racing })
    const subFile = share.manifest.files.findIndex((f) => f.path.join('/') === 'sub/c.bin')
    const procFs = await readlink('/proc/self/fd/0').then(
      () => true,
      () => false,
    )
    const outcome = store.write(subFile, 0, new Uint8Array(16).fill(1))
    if (procFs) await expectStoreError(outcome, 'PATH_ESCAPE')
    else await outcome.catch(() => {}) // no /proc: the gap this check closes stays open
    await store.close()
    expect(swapped).toBe(true)
    if (procFs) {
      // the open may have created an empty file there (O_CREAT), never written
      for (const name of await listTree(outside)) {
        if (name !== 'precious.txt') expect((await stat(join(outside, name))).size, name).toBe(0)
      }
      expect(await readFile(join(outside, 'precious.txt'), 'utf8')).toBe('do not touch')
    }
  })

  it('refuses a symbolic link in place of a single-file share', async () => {
    const share = await singleFileShare()
    const base = await tempDir()
    const downloads = join(base, 'downloads')
    const { file } = await victim(base)
    await mkdir(downloads)
    await symlink(file, join(downloads, 'movie.mkv'))
    await expectStoreError(openDownloadStore(share.manifest, downloads), 'PATH_ESCAPE')
    expect(await readFile(file, 'utf8')).toBe('do not touch')
  })

  it('refuses a file where a folder should be, and a folder where a file should be', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const downloads = join(base, 'downloads')
    await mkdir(join(downloads, 'album'), { recursive: true })
    await writeFile(join(downloads, 'album', 'sub'), 'a file, not a folder')
    await mkdir(join(downloads, 'album', 'a.bin'))
    const store = await openDownloadStore(share.manifest, downloads)
    const subFile = share.manifest.files.findIndex((f) => f.path.join('/') === 'sub/c.bin')
    expect(await expectStoreError(store.write(subFile, 0, new Uint8Array(4)), 'PATH_CONFLICT')).toContain(
      'should be a folder',
    )
    await expectStoreError(store.writePiece(0, pieceBytes(share, 0)), 'PATH_CONFLICT')
    await store.close()
    expect(await readFile(join(downloads, 'album', 'sub'), 'utf8')).toBe('a file, not a folder')

    const other = join(base, 'other')
    await mkdir(other)
    await writeFile(join(other, 'album'), 'not a folder')
    await expectStoreError(openDownloadStore(share.manifest, other), 'PATH_CONFLICT')
    const single = await singleFileShare()
    await mkdir(join(other, 'movie.mkv'))
    await expectStoreError(openDownloadStore(single.manifest, other), 'PATH_CONFLICT')
  })

  it('follows a download folder that is itself a link (the user chose it), keeping files inside its target', async () => {
    const share = await singleFileShare()
    const base = await tempDir()
    await mkdir(join(base, 'disk'))
    await symlink(join(base, 'disk'), join(base, 'downloads'))
    const store = await openDownloadStore(share.manifest, join(base, 'downloads'))
    expect(store.root).toBe(join(base, 'disk'))
    await store.writePiece(0, pieceBytes(share, 0))
    await store.close()
    expect((await lstat(join(base, 'disk', 'movie.mkv'))).isFile()).toBe(true)
  })

  it('puts a folder share at <dir>/<name>/<path> and a single file at <dir>/<name>, empty files included', async () => {
    const folder = await multiFileShare()
    const single = await singleFileShare()
    const downloads = join(await tempDir(), 'downloads')
    expect(downloadContentPath(folder.manifest, downloads)).toBe(join(downloads, 'album'))
    expect(downloadContentPath(single.manifest, downloads)).toBe(join(downloads, 'movie.mkv'))
    const store = await openDownloadStore(folder.manifest, downloads)
    expect(store.contentPath).toBe(join(downloads, 'album'))
    expect(await listTree(downloads)).toEqual(['album', 'album/empty.txt'])
    for (let piece = 0; piece < folder.manifest.pieceCount; piece++) {
      await store.writePiece(piece, pieceBytes(folder, piece))
    }
    await store.close()
    expect(await listTree(join(downloads, 'album'))).toEqual([
      'a.bin',
      'empty.txt',
      'sub',
      'sub/c.bin',
      'sub/deep',
      'sub/deep/b.bin',
      'z.bin',
    ])
    for (const [index, file] of folder.manifest.files.entries()) {
      const bytes = await readFile(join(downloads, 'album', ...file.path))
      expect(Buffer.compare(bytes, folder.files[index] as Uint8Array)).toBe(0)
    }
  })

  it('resumes into an existing target, keeping its bytes and cutting a longer file to length', async () => {
    const share = await singleFileShare()
    const downloads = await tempDir()
    const path = join(downloads, 'movie.mkv')
    const file = share.files[0] as Uint8Array
    const longer = new Uint8Array(file.length + 5000)
    longer.set(file.subarray(0, 32768))
    await writeFile(path, longer)
    const store = await openDownloadStore(share.manifest, downloads, { existingFiles: 'adopt' })
    const first = await store.readPiece(0)
    expect(Buffer.compare(first, file.subarray(0, 32768))).toBe(0)
    await store.writePiece(1, pieceBytes(share, 1))
    await store.close()
    expect((await stat(path)).size).toBe(file.length)
    const again = await openSeedStore(share.manifest, path)
    expect(Buffer.compare(await again.readPiece(1), pieceBytes(share, 1))).toBe(0)
    await again.close()
  })

  it('refuses two paths that are one file (as on a case-insensitive file system)', async () => {
    const share = await multiFileShare()
    const downloads = await tempDir()
    await mkdir(join(downloads, 'album'))
    await writeFile(join(downloads, 'album', 'a.bin'), '')
    await link(join(downloads, 'album', 'a.bin'), join(downloads, 'album', 'z.bin'))
    const store = await openDownloadStore(share.manifest, downloads, { existingFiles: 'adopt' })
    await store.writePiece(0, pieceBytes(share, 0))
    const last = share.manifest.pieceCount - 1
    await expectStoreError(store.writePiece(last, pieceBytes(share, last)), 'PATH_CONFLICT')
    await store.close()
  })
})
