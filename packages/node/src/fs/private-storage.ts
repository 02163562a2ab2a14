import { constants } from 'node:fs'
import { chmod, type FileHandle, lstat, mkdir, open, rm, unlink } from 'node:fs/promises'
import { dirname, relative, resolve, sep } from 'node:path'
import { encryptedSources, fileSources } from '@mycel/pieces/node'
import { NodeError } from '../errors.js'
import type { FileSink, PrivateStorage } from '../private/storage.js'

class FileHandleSink implements FileSink {
  private closed = false

  constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    let done = 0
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done)
      done += bytesWritten
    }
  }

  async writeAt(position: number, bytes: Uint8Array): Promise<void> {
    let done = 0
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, position + done)
      done += bytesWritten
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.handle.close()
  }

  async discard(): Promise<void> {
    await this.close().catch(() => {})
    await unlink(this.path).catch(() => {})
  }
}

/**
 * The {@link PrivateStorage} of a Node process: plaintext read from the
 * file system (as `fileSystemContent` hashes it), ciphertext versions under
 * `versionsFolder`, decrypted files created with `O_EXCL` (never written
 * over) and `O_NOFOLLOW`.
 *
 * @param versionsFolder - where ciphertext versions live (`createNode` uses `dataDir/private`)
 * @returns the storage
 *
 * @example
 * ```ts
 * const storage = fileSystemPrivateStorage('./.mycel/private')
 * ```
 */
export function fileSystemPrivateStorage(versionsFolder: string): PrivateStorage {
  const root = resolve(versionsFolder)
  return {
    versionsFolder: root,
    async listFiles(path, options) {
      const { name, sources } = await fileSources(path, options.signal ? { signal: options.signal } : {})
      return { name, files: [...sources] }
    },
    encryptedSources(version, options) {
      return encryptedSources(version, options.signal ? { signal: options.signal } : {})
    },
    async createFile(path, options = {}) {
      await mkdir(dirname(path), { recursive: true })
      let handle: FileHandle
      try {
        const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)
        handle = await open(path, flags, options.executable ? 0o755 : 0o644)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new NodeError('DESTINATION_EXISTS', `${path} already exists; nothing was written over`)
        }
        throw error
      }
      return new FileHandleSink(path, handle)
    },
    async setExecutable(path) {
      const { mode } = await lstat(path)
      // Executable by whoever may read it (as a file created 0o755 under the umask).
      await chmod(path, (mode & 0o777) | ((mode & 0o444) >> 2))
    },
    async removeVersion(folder) {
      const inside = relative(root, resolve(folder))
      // Only a version folder directly under ours, which this node wrote.
      if (inside === '' || inside.startsWith('..') || inside.includes(sep) || !inside.startsWith('private-')) {
        throw new RangeError(`${folder} is not a version folder of ${root}`)
      }
      await rm(resolve(folder), { recursive: true, force: true })
    },
  }
}
