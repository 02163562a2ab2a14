import { constants } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { downloadContentPath, type FileSystem, nodeFileSystem, openDownloadStore } from '../src/fs.js'
import { AlignedBuffers, DIRECT_ALIGNMENT, DIRECT_MIN_BYTES } from '../src/node/fs/direct-io.js'
import { makeTestShare, pieceBytes, shuffled, type TestShare } from '../src/testing.js'
import { expectStoreError, removeTempDirs, tempDir } from './helpers.js'
import { errno } from './probe-fs.js'

afterEach(removeTempDirs)

const O_DIRECT = constants.O_DIRECT ?? 0

/** The real file system, recording which descriptors were opened with O_DIRECT and the writes made through each kind. */
class DirectProbe {
  readonly directFds = new Set<number>()
  directOpens = 0
  /** Bytes written through direct descriptors, and through the others. */
  directBytes = 0
  plainBytes = 0
  /** Writes through direct descriptors that were not aligned (the kernel would refuse them). */
  unaligned = 0
  /** What a direct open or write does instead of the real call. */
  refuseOpen: string | undefined
  refuseWrite: string | undefined
  readonly fs: FileSystem

  constructor() {
    this.fs = {
      ...nodeFileSystem,
      open: async (path, flags, mode) => {
        const direct = O_DIRECT !== 0 && (flags & O_DIRECT) !== 0
        if (direct) {
          this.directOpens++
          if (this.refuseOpen !== undefined) throw errno(this.refuseOpen, 'open', path)
        }
        const fd = await nodeFileSystem.open(path, flags, mode)
        if (direct) this.directFds.add(fd)
        else this.directFds.delete(fd)
        return fd
      },
      write: async (fd, buffer, offset, length, position) => {
        if (!this.directFds.has(fd)) {
          this.plainBytes += length
          return nodeFileSystem.write(fd, buffer, offset, length, position)
        }
        if (this.refuseWrite !== undefined) throw errno(this.refuseWrite, 'write')
        if (position % DIRECT_ALIGNMENT !== 0 || length % DIRECT_ALIGNMENT !== 0) this.unaligned++
        this.directBytes += length
        return nodeFileSystem.write(fd, buffer, offset, length, position)
      },
    }
  }
}

const MiB = 1024 * 1024

/**
 * Pieces of 2 MiB: a.bin has a whole piece and a last one of 1 MiB + 1,000
 * bytes (an aligned run and a tail), b.bin one piece of exactly 1 MiB, c.bin
 * and d.bin pieces shorter than DIRECT_MIN_BYTES.
 */
function oddShare(): Promise<TestShare> {
  return makeTestShare(
    'odd',
    [
      { path: ['a.bin'], length: 3 * MiB + 1000 },
      { path: ['b.bin'], length: MiB },
      { path: ['c.bin'], length: 700 },
      { path: ['d.bin'], length: 64 * 1024 },
    ],
    2 * MiB,
  )
}

async function writeAll(share: TestShare, fileSystem: FileSystem, directWrites?: boolean): Promise<string> {
  const dir = await tempDir()
  const store = await openDownloadStore(share.manifest, dir, {
    fileSystem,
    ...(directWrites === undefined ? {} : { directWrites }),
  })
  for (const piece of shuffled(share.manifest.pieceCount, 5)) await store.writePiece(piece, pieceBytes(share, piece))
  for (let piece = 0; piece < share.manifest.pieceCount; piece++) expect(await store.has(piece)).toBe(true)
  await store.close()
  return join(dir, share.manifest.name)
}

async function expectFiles(content: string, share: TestShare): Promise<void> {
  for (const [index, file] of share.manifest.files.entries()) {
    const written = await readFile(join(content, ...file.path))
    expect(Buffer.compare(written, share.files[index] as Uint8Array), file.path.join('/')).toBe(0)
  }
}

describe('direct writes', () => {
  it('write aligned runs of long pieces past the page cache, tails and short pieces the ordinary way', async () => {
    const share = await oddShare()
    const probe = new DirectProbe()
    const content = await writeAll(share, probe.fs)
    await expectFiles(content, share)
    expect(probe.unaligned).toBe(0)
    if (O_DIRECT === 0) {
      expect(probe.directOpens).toBe(0) // no O_DIRECT on this system: ordinary writes only
      return
    }
    expect(DIRECT_MIN_BYTES).toBe(MiB)
    // a.bin: 2 MiB, then 1 MiB of its last piece (the 1,000 bytes after it go
    // the ordinary way); b.bin: 1 MiB; c.bin and d.bin: under DIRECT_MIN_BYTES.
    expect(probe.directBytes).toBe(4 * MiB)
    expect(probe.plainBytes).toBe(1000 + 700 + 64 * 1024)
  })

  it('write a long range that starts off a block boundary past the page cache from the first boundary in it', async () => {
    // A private share's reader writes each decrypted piece where its plaintext falls: anywhere in a block.
    const share = await makeTestShare('shifted', [{ path: ['plain.bin'], length: 4 * MiB }], 2 * MiB)
    const probe = new DirectProbe()
    const dir = await tempDir()
    const store = await openDownloadStore(share.manifest, dir, { fileSystem: probe.fs })
    const file = share.files[0] as Uint8Array
    const cuts = [0, 100, MiB + 100, 2 * MiB + 5000, 4 * MiB] // ranges of 100 B, 1 MiB, 1 MiB + 4,900 B, 2 MiB - 5,000 B
    for (let i = cuts.length - 2; i >= 0; i--) {
      const [from, to] = [cuts[i] as number, cuts[i + 1] as number]
      await store.write(0, from, file.slice(from, to))
    }
    await store.close()
    const written = await readFile(downloadContentPath(share.manifest, dir))
    expect(Buffer.compare(written, file)).toBe(0)
    expect(probe.unaligned).toBe(0)
    if (O_DIRECT === 0) return
    // Direct: the whole blocks inside each range of 1 MiB or more.
    const blocks = (from: number, to: number) =>
      Math.max(0, Math.floor(to / DIRECT_ALIGNMENT) - Math.ceil(from / DIRECT_ALIGNMENT)) * DIRECT_ALIGNMENT
    const direct = blocks(100, MiB + 100) + blocks(MiB + 100, 2 * MiB + 5000) + blocks(2 * MiB + 5000, 4 * MiB)
    expect(probe.directBytes).toBe(direct)
    expect(probe.plainBytes).toBe(4 * MiB - direct)
    expect(probe.directBytes).toBeGreaterThan(3.9 * MiB)
  })

  it('are off with directWrites: false', async () => {
    const share = await oddShare()
    const probe = new DirectProbe()
    await expectFiles(await writeAll(share, probe.fs, false), share)
    expect(probe.directOpens).toBe(0)
    expect(probe.plainBytes).toBe(share.manifest.totalLength)
  })

  it.runIf(O_DIRECT !== 0)('stop for the store when the file system refuses them, losing nothing', async () => {
    const share = await oddShare()
    const refusedOpen = new DirectProbe()
    refusedOpen.refuseOpen = 'EINVAL'
    await expectFiles(await writeAll(share, refusedOpen.fs), share)
    expect(refusedOpen.directOpens).toBe(1) // refused once, never tried again
    expect(refusedOpen.plainBytes).toBe(share.manifest.totalLength)

    const refusedWrite = new DirectProbe()
    refusedWrite.refuseWrite = 'EINVAL'
    await expectFiles(await writeAll(share, refusedWrite.fs), share)
    expect(refusedWrite.directBytes).toBe(0)
    expect(refusedWrite.plainBytes).toBe(share.manifest.totalLength)
  })

  it.runIf(O_DIRECT !== 0)('report other failures as the ordinary writes do (a full disk)', async () => {
    const share = await oddShare()
    const probe = new DirectProbe()
    probe.refuseWrite = 'ENOSPC'
    const store = await openDownloadStore(share.manifest, await tempDir(), { fileSystem: probe.fs })
    await expectStoreError(store.writePiece(0, pieceBytes(share, 0)), 'DISK_FULL')
    expect(await store.has(0)).toBe(false)
    await store.close()
  })
})

describe('aligned buffers', () => {
  it('hand out distinct page-aligned slots until none is free, and take them back', () => {
    const buffers = new AlignedBuffers(65536, 3)
    const slots = [buffers.take(), buffers.take(), buffers.take()]
    expect(buffers.take()).toBeUndefined()
    const offsets = slots.map((slot) => slot?.byteOffset)
    expect(new Set(offsets).size).toBe(3)
    for (const slot of slots) {
      expect(slot?.length).toBe(65536)
      expect((slot?.byteOffset ?? 1) % DIRECT_ALIGNMENT).toBe(0)
    }
    buffers.give(slots[1] as Uint8Array)
    expect(buffers.take()).toBe(slots[1])
    expect(() => new AlignedBuffers(1000, 1)).toThrow(RangeError)
  })
})
