import { readdir, realpath, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ingestPath } from '@mycel/pieces/node'
import { afterEach, describe, expect, it } from 'vitest'
import { openSeedStore } from '../src/fs.js'
import { recheck } from '../src/index.js'
import { multiFileShare, singleFileShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir, writeShareFiles } from './helpers.js'

afterEach(removeTempDirs)

/** Every entry below `dir` with its inode, size and modification time. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const out: string[] = []
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name)
    const stats = await stat(path)
    out.push(`${path.slice(dir.length)} ino=${stats.ino} size=${stats.size} mtime=${stats.mtimeMs}`)
  }
  return out.sort()
}

describe('seeding in place', () => {
  it('serves a shared folder where it is: same inodes, no new files, nothing written', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const folder = await writeShareFiles(base, share.manifest, share.files)
    const manifest = await ingestPath(folder, { pieceLength: share.manifest.pieceLength })
    expect(manifest.infohashHex).toBe(share.manifest.infohashHex)
    const before = await snapshot(base)

    const store = await openSeedStore(manifest, folder)
    expect(store.readOnly).toBe(true)
    expect(store.contentPath).toBe(await realpath(folder))
    for (const [index, file] of manifest.files.entries()) {
      expect(store.filePath(index)).toBe(join(await realpath(folder), ...file.path))
      expect((await stat(store.filePath(index))).ino).toBe((await stat(join(folder, ...file.path))).ino)
    }
    expect((await recheck(manifest, store)).isComplete()).toBe(true)
    await expectStoreError(store.write(0, 0, new Uint8Array(1)), 'READ_ONLY')
    await store.sync()
    await store.close()
    expect(await snapshot(base)).toEqual(before)
  })

  it('serves a single shared file where it is, through a link the user gave', async () => {
    const share = await singleFileShare()
    const base = await tempDir()
    const file = await writeShareFiles(base, share.manifest, share.files)
    await symlink(file, join(base, 'shortcut.mkv'))
    const before = await snapshot(base)
    const store = await openSeedStore(share.manifest, join(base, 'shortcut.mkv'))
    expect(store.contentPath).toBe(await realpath(file))
    expect((await recheck(share.manifest, store)).isComplete()).toBe(true)
    await store.close()
    expect(await snapshot(base)).toEqual(before)
  })

  it('reports files that went missing or shrank as DATA_MISSING, and has() as false', async () => {
    const share = await multiFileShare()
    const folder = await writeShareFiles(await tempDir(), share.manifest, share.files)
    const store = await openSeedStore(share.manifest, folder)
    const first = share.manifest.files[0] as { path: readonly string[]; length: number }
    await truncate(join(folder, ...first.path), 40_000)
    expect(await store.has(0)).toBe(true)
    expect(await store.has(1)).toBe(false)
    expect(await expectStoreError(store.readPiece(1), 'DATA_MISSING')).toContain('shorter than the share says')
    await rm(join(folder, 'sub'), { recursive: true })
    const deep = share.manifest.files.findIndex((file) => file.path.join('/') === 'sub/deep/b.bin')
    const piece = share.manifest.files[deep]?.firstPiece as number
    expect(await store.has(piece)).toBe(false)
    await expectStoreError(store.readPiece(piece), 'DATA_MISSING')
    const verified = await recheck(share.manifest, store)
    expect(verified.get(0)).toBe(true)
    expect(verified.get(1)).toBe(false)
    expect(verified.get(piece)).toBe(false)
    await store.close()
  })

  it('refuses a symbolic link that replaced a shared file, instead of serving what it points to', async () => {
    const share = await multiFileShare()
    const base = await tempDir()
    const folder = await writeShareFiles(base, share.manifest, share.files)
    await writeFile(join(base, 'secret.txt'), 'x'.repeat(100_000))
    const store = await openSeedStore(share.manifest, folder)
    await rm(join(folder, 'a.bin'))
    await symlink(join(base, 'secret.txt'), join(folder, 'a.bin'))
    await expectStoreError(store.readPiece(0), 'PATH_ESCAPE')
    await store.close()
  })

  it('refuses a content path of the wrong kind or that does not exist', async () => {
    const folder = await multiFileShare()
    const single = await singleFileShare()
    const base = await tempDir()
    const content = await writeShareFiles(base, folder.manifest, folder.files)
    await expectStoreError(openSeedStore(single.manifest, content), 'PATH_CONFLICT')
    await expectStoreError(openSeedStore(folder.manifest, join(content, 'a.bin')), 'PATH_CONFLICT')
    await expectStoreError(openSeedStore(folder.manifest, join(base, 'nothing')), 'DATA_MISSING')
  })
})
