import { type FileSystem, nodeFileSystem } from '../src/fs.js'

/** A Node errno error, as node:fs rejects with. */
export function errno(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: simulated, ${syscall}${path ? ` '${path}'` : ''}`)
  err.code = code
  err.syscall = syscall
  if (path !== undefined) err.path = path
  return err
}

/**
 * The real file system with counters and injectable faults: how many files
 * are open now and at most, a byte budget after which writes fail with
 * ENOSPC (a full disk), and errors to throw from chosen calls.
 */
export class ProbeFileSystem {
  openNow = 0
  peakOpen = 0
  opens = 0
  /** Bytes that may still be written before writes fail with ENOSPC. */
  spaceLeft = Number.POSITIVE_INFINITY
  /** Errors to throw from a call, by call name (consumed once unless `sticky`). */
  readonly faults = new Map<keyof FileSystem, { code: string; sticky: boolean }>()
  /** Called before each read, to hold reads (e.g. to keep a file in use). */
  beforeRead: (() => Promise<void>) | undefined

  readonly fs: FileSystem

  constructor(base: FileSystem = nodeFileSystem) {
    const fault = (call: keyof FileSystem, path?: string) => {
      const planned = this.faults.get(call)
      if (planned === undefined) return
      if (!planned.sticky) this.faults.delete(call)
      throw errno(planned.code, call, path)
    }
    this.fs = {
      ...base,
      open: async (path, flags, mode) => {
        fault('open', path)
        const fd = await base.open(path, flags, mode)
        this.opens++
        this.openNow++
        this.peakOpen = Math.max(this.peakOpen, this.openNow)
        return fd
      },
      close: async (fd) => {
        await base.close(fd)
        this.openNow--
      },
      read: async (fd, buffer, offset, length, position) => {
        fault('read')
        await this.beforeRead?.()
        return base.read(fd, buffer, offset, length, position)
      },
      write: async (fd, buffer, offset, length, position) => {
        fault('write')
        // a full disk, as pwrite(2) behaves: a short write of what fits, then ENOSPC
        if (this.spaceLeft <= 0) throw errno('ENOSPC', 'write')
        const count = Math.min(length, this.spaceLeft)
        this.spaceLeft -= count
        return base.write(fd, buffer, offset, count, position)
      },
      fdatasync: async (fd) => {
        fault('fdatasync')
        return base.fdatasync(fd)
      },
      mkdir: async (path) => {
        fault('mkdir', path)
        return base.mkdir(path)
      },
      mkdirs: async (path) => {
        fault('mkdirs', path)
        return base.mkdirs(path)
      },
      checkWritable: async (path) => {
        fault('checkWritable', path)
        return base.checkWritable(path)
      },
    }
  }

  /** Makes the next call (or every call, if `sticky`) of `call` fail with `code`. */
  fail(call: keyof FileSystem, code: string, sticky = false): void {
    this.faults.set(call, { code, sticky })
  }
}
