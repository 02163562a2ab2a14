import * as fs from 'node:fs'

/** What the file-system piece store needs to know of a file. */
export interface FileInfo {
  /** Size in bytes. */
  readonly size: number
  /** Device and inode, to tell whether two paths are one file. */
  readonly dev: number
  /** Inode number. */
  readonly ino: number
  /** A regular file. */
  readonly isFile: boolean
  /** A folder. */
  readonly isDirectory: boolean
  /** A symbolic link (only from {@link FileSystem.lstat}). */
  readonly isSymbolicLink: boolean
}

/**
 * The file-system calls the file-system piece store makes, on file
 * descriptors with positioned I/O. The default, {@link nodeFileSystem}, is
 * `node:fs`; a wrapper around it can count open files, add latency or
 * simulate faults (a full disk) in tests. Failures reject with Node's errors
 * (`err.code` such as `ENOSPC`), which the store turns into `StoreError`s.
 */
export interface FileSystem {
  /** `open(2)`: resolves to a file descriptor. */
  open(path: string, flags: number, mode: number): Promise<number>
  /** `close(2)`. */
  close(fd: number): Promise<void>
  /** `pread(2)`: resolves to the bytes read (0 at the end of the file). */
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>
  /** `pwrite(2)`: resolves to the bytes written. */
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>
  /** `fstat(2)`. */
  fstat(fd: number): Promise<FileInfo>
  /** `ftruncate(2)`. */
  ftruncate(fd: number, length: number): Promise<void>
  /** `fdatasync(2)`. */
  fdatasync(fd: number): Promise<void>
  /** `lstat(2)` (does not follow a final symbolic link); undefined if nothing is there. */
  lstat(path: string): Promise<FileInfo | undefined>
  /** `stat(2)` (follows symbolic links); undefined if nothing is there. */
  stat(path: string): Promise<FileInfo | undefined>
  /** `mkdir(2)` of one folder, mode 0o777 before the umask. */
  mkdir(path: string): Promise<void>
  /** `mkdir -p`. */
  mkdirs(path: string): Promise<void>
  /** `realpath(3)`. */
  realpath(path: string): Promise<string>
  /** `access(2)` with `W_OK`. */
  checkWritable(path: string): Promise<void>
  /**
   * The path an open file descriptor refers to, as the kernel resolved it
   * (Linux: `/proc/self/fd/<fd>`), or undefined where the system does not
   * tell. Optional: without it the store relies on its checks before the open.
   */
  openedPath?(fd: number): Promise<string | undefined>
}

function info(stats: fs.Stats): FileInfo {
  return {
    size: stats.size,
    dev: stats.dev,
    ino: stats.ino,
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymbolicLink: stats.isSymbolicLink(),
  }
}

function orMissing(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined
  throw err
}

/**
 * {@link FileSystem} on `node:fs`, with the callback API (each call one
 * trip to libuv's thread pool, without the bookkeeping of `FileHandle`).
 */
export const nodeFileSystem: FileSystem = Object.freeze({
  open: (path: string, flags: number, mode: number) =>
    new Promise<number>((resolve, reject) =>
      fs.open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))),
    ),
  close: (fd: number) => new Promise<void>((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve()))),
  read: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) =>
    new Promise<number>((resolve, reject) =>
      fs.read(fd, buffer, offset, length, position, (err, bytes) => (err ? reject(err) : resolve(bytes))),
    ),
  write: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) =>
    new Promise<number>((resolve, reject) =>
      fs.write(fd, buffer, offset, length, position, (err, bytes) => (err ? reject(err) : resolve(bytes))),
    ),
  fstat: (fd: number) =>
    new Promise<FileInfo>((resolve, reject) =>
      fs.fstat(fd, (err, stats) => (err ? reject(err) : resolve(info(stats)))),
    ),
  ftruncate: (fd: number, length: number) =>
    new Promise<void>((resolve, reject) => fs.ftruncate(fd, length, (err) => (err ? reject(err) : resolve()))),
  fdatasync: (fd: number) =>
    new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
  lstat: (path: string) => fs.promises.lstat(path).then(info, orMissing),
  stat: (path: string) => fs.promises.stat(path).then(info, orMissing),
  mkdir: (path: string) => fs.promises.mkdir(path).then(() => undefined),
  mkdirs: (path: string) => fs.promises.mkdir(path, { recursive: true }).then(() => undefined),
  realpath: (path: string) => fs.promises.realpath(path),
  checkWritable: (path: string) => fs.promises.access(path, fs.constants.W_OK),
  openedPath: (fd: number) => fs.promises.readlink(`/proc/self/fd/${fd}`).catch(() => undefined),
})

/**
 * {@link FileSystem} on `node:fs` whose positioned reads and writes block
 * the calling thread (`readSync`/`writeSync`); everything else is as
 * {@link nodeFileSystem}. A 16 KiB read or write that hits the page cache
 * then costs a few microseconds instead of a trip to libuv's thread pool
 * (four threads by default), several times the throughput for small blocks;
 * but a slow disk, or a full page cache being written back, stalls the
 * event loop for as long. Use it where the data is on a local disk and the
 * process does little else; keep the default otherwise.
 */
export const blockingFileSystem: FileSystem = Object.freeze({
  ...nodeFileSystem,
  read: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
    try {
      return Promise.resolve(fs.readSync(fd, buffer, offset, length, position))
    } catch (err) {
      return Promise.reject(err)
    }
  },
  write: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
    try {
      return Promise.resolve(fs.writeSync(fd, buffer, offset, length, position))
    } catch (err) {
      return Promise.reject(err)
    }
  },
})
