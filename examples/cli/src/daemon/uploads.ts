import { randomBytes } from 'node:crypto'
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CliError } from '../errors.js'

/** Bounds of uploads through the daemon (docs/limits.md, "Daemon"). */
export const UPLOAD_LIMITS = {
  /** Bytes of one upload: a file larger than this is shared by its path on the daemon's machine. */
  maxFileBytes: 64 * 1024 * 1024 * 1024,
  /** Bytes of one chunk (one `POST /upload` request). */
  maxChunkBytes: 8 * 1024 * 1024,
  /** Uploads begun and not finished, at once. */
  maxOpenUploads: 4,
  /** An upload that receives no chunk for this long is dropped and its partial file removed. */
  idleMs: 10 * 60 * 1000,
  /** Bytes of a file name, as UTF-8. */
  maxNameBytes: 255,
}

/** An upload in progress. */
interface Upload {
  readonly id: string
  readonly name: string
  readonly size: number
  /** The partial file (`.upload-<id>.part` in the uploads folder). */
  readonly partPath: string
  readonly handle: FileHandle
  received: number
  /** A chunk is being written (chunks come one at a time, in order). */
  writing: boolean
  timer: ReturnType<typeof setTimeout>
}

/**
 * Files dropped on the web UI, received in chunks and kept in the uploads
 * folder (`<download dir>/uploads`): the daemon shares a file where it is,
 * and a browser does not tell where a dropped file is, so the file comes to
 * the daemon. Each upload is begun (name and size), sent in order in chunks
 * of at most 8 MiB (each one request, so no request outlasts the server's
 * request timeout), then finished: the partial file is renamed to a name
 * no file has in the folder (`photo (1).jpg` beside `photo.jpg`: nothing is
 * overwritten). An upload left idle is dropped with its partial file, which
 * only this class wrote.
 */
export class DaemonUploads {
  private readonly uploads = new Map<string, Upload>()

  /** @param dir - the uploads folder (made on the first upload) */
  constructor(readonly dir: string) {}

  /**
   * Begins an upload.
   *
   * @param name - the file's name (a plain name: no folder, no `..`)
   * @param size - its length in bytes
   * @returns the upload's id, and the largest chunk to send
   * @throws {@link CliError} `USAGE` for a name or size not taken; `BUSY` over the open uploads bound
   */
  async begin(name: string, size: number): Promise<{ id: string; chunkBytes: number }> {
    checkName(name)
    if (!Number.isSafeInteger(size) || size < 0 || size > UPLOAD_LIMITS.maxFileBytes) {
      throw CliError.usage(
        `an upload is 0 to ${UPLOAD_LIMITS.maxFileBytes} bytes, not ${JSON.stringify(size)}`,
        'share a larger file by its path on the daemon machine',
      )
    }
    if (this.uploads.size >= UPLOAD_LIMITS.maxOpenUploads) {
      throw new CliError('BUSY', `${UPLOAD_LIMITS.maxOpenUploads} uploads are open already`, 'finish one first')
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const id = randomBytes(12).toString('hex')
    const partPath = join(this.dir, `.upload-${id}.part`)
    const handle = await open(partPath, 'wx', 0o600)
    const upload: Upload = { id, name, size, partPath, handle, received: 0, writing: false, timer: this.idle(id) }
    this.uploads.set(id, upload)
    return { id, chunkBytes: UPLOAD_LIMITS.maxChunkBytes }
  }

  /**
   * Writes the next chunk of an upload.
   *
   * @param id - the upload
   * @param offset - where the chunk starts: the bytes received so far
   * @param bytes - the chunk, at most `maxChunkBytes`
   * @returns the bytes received so far
   * @throws {@link CliError} `UPLOAD_NOT_FOUND`; `USAGE` for an offset that is not the next byte, or bytes past the size
   */
  async write(id: string, offset: number, bytes: Uint8Array): Promise<number> {
    const upload = this.get(id)
    if (upload.writing) throw CliError.usage('a chunk of this upload is being written: send the next after it')
    if (offset !== upload.received) {
      throw CliError.usage(`the next chunk starts at byte ${upload.received}, not ${offset}`)
    }
    if (upload.received + bytes.length > upload.size) {
      throw CliError.usage(`the chunk goes past the ${upload.size} bytes the upload was begun with`)
    }
    upload.writing = true
    clearTimeout(upload.timer)
    try {
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await upload.handle.write(bytes, done, bytes.length - done, offset + done)
        done += bytesWritten
      }
      upload.received += bytes.length
      return upload.received
    } catch (error) {
      await this.drop(upload)
      throw error
    } finally {
      upload.writing = false
      if (this.uploads.has(id)) upload.timer = this.idle(id)
    }
  }

  /**
   * Finishes an upload: its file gets its name in the uploads folder.
   *
   * @param id - the upload, every byte received
   * @returns where the file is
   * @throws {@link CliError} `UPLOAD_NOT_FOUND`; `USAGE` while bytes are missing
   */
  async finish(id: string): Promise<string> {
    const upload = this.get(id)
    if (upload.writing || upload.received !== upload.size) {
      throw CliError.usage(`${upload.received} of ${upload.size} bytes received: send the rest first`)
    }
    this.uploads.delete(id)
    clearTimeout(upload.timer)
    await upload.handle.sync()
    await upload.handle.close()
    for (let copy = 0; ; copy++) {
      const path = join(this.dir, copy === 0 ? upload.name : numbered(upload.name, copy))
      try {
        // The name is taken with an empty file of our own (never an existing one), then the
        // partial file replaces it.
        await (await open(path, 'wx', 0o600)).close()
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' && copy < 999) continue
        await rm(upload.partPath, { force: true })
        throw error
      }
      await rename(upload.partPath, path)
      return path
    }
  }

  /**
   * Drops an upload and its partial file.
   *
   * @param id - the upload
   */
  async abort(id: string): Promise<void> {
    const upload = this.uploads.get(id)
    if (upload !== undefined) await this.drop(upload)
  }

  /** Uploads open now. */
  get open(): number {
    return this.uploads.size
  }

  /** Drops every upload (the daemon stops). */
  async close(): Promise<void> {
    await Promise.all([...this.uploads.values()].map((upload) => this.drop(upload)))
  }

  private get(id: string): Upload {
    const upload = this.uploads.get(id)
    if (upload === undefined) {
      throw new CliError(
        'UPLOAD_NOT_FOUND',
        'no such upload here (finished, dropped after 10 minutes idle, or never begun)',
        'begin it again',
      )
    }
    return upload
  }

  private idle(id: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => void this.abort(id), UPLOAD_LIMITS.idleMs)
    timer.unref()
    return timer
  }

  private async drop(upload: Upload): Promise<void> {
    this.uploads.delete(upload.id)
    clearTimeout(upload.timer)
    await upload.handle.close().catch(() => {})
    await rm(upload.partPath, { force: true })
  }
}

/** A plain file name: no folder, not `.` or `..`, no control character, at most 255 bytes. */
function checkName(name: unknown): asserts name is string {
  const plain =
    typeof name === 'string' &&
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !/[/\\]/.test(name) &&
    ![...name].some((char) => (char.codePointAt(0) ?? 0) < 0x20 || char === '\u007f') &&
    Buffer.byteLength(name) <= UPLOAD_LIMITS.maxNameBytes
  if (!plain) {
    throw CliError.usage(
      `not a plain file name: ${JSON.stringify(String(name).slice(0, 80))}`,
      'a name without / or \\',
    )
  }
}

/** `photo (2).jpg` for `photo.jpg`. */
function numbered(name: string, copy: number): string {
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? `${name} (${copy})` : `${name.slice(0, dot)} (${copy})${name.slice(dot)}`
}
