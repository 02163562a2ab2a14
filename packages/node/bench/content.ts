/**
 * The bytes the benchmarks transfer: files of pseudo-random bytes (an
 * AES-128-CTR key stream under a random key, so nothing repeats and nothing
 * compresses), and the SHA-256 that every copy must match.
 */
import { execFileSync } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import {
  closeSync,
  createReadStream,
  type Dirent,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { open } from 'node:fs/promises'
import { join, relative } from 'node:path'

const CHUNK = 16 * 1024 * 1024

/** Writes `bytes` pseudo-random bytes to `path`. */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16))
  const zeros = new Uint8Array(CHUNK)
  const file = await open(path, 'wx')
  try {
    for (let written = 0; written < bytes; ) {
      const length = Math.min(CHUNK, bytes - written)
      const chunk = cipher.update(zeros.subarray(0, length))
      await file.write(chunk, 0, chunk.length, written)
      written += length
    }
  } finally {
    await file.close()
  }
}

/** The SHA-256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Flushes dirty pages to disk, so that one run's write-back does not slow the next. */
export function flushPageCache(): void {
  execFileSync('sync')
}

/**
 * System CPU seconds a plain loop spends writing `bytes` into a new file, in
 * 1 MiB writes from this process: the kernel's part of storing a download
 * (copying it into the page cache), which every client pays. The file is
 * removed afterwards.
 */
export function pageCacheWriteSeconds(path: string, bytes: number): number {
  const chunk = new Uint8Array(1024 * 1024).fill(1)
  const before = process.cpuUsage()
  const fd = openSync(path, 'wx')
  try {
    for (let at = 0; at < bytes; at += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - at), at)
  } finally {
    closeSync(fd)
  }
  const seconds = process.cpuUsage(before).system / 1e6
  rmSync(path)
  return seconds
}

/** Writes `count` files of `bytes` pseudo-random bytes each into the folder `dir` (created), named `00000.bin`, ... */
export async function writeRandomFiles(dir: string, count: number, bytes: number): Promise<void> {
  mkdirSync(dir, { recursive: true })
  const width = String(count - 1).length
  for (let i = 0; i < count; i++) await writeRandomFile(join(dir, `${String(i).padStart(width, '0')}.bin`), bytes)
}

/**
 * The SHA-256 of a folder's content, hex: of every file's path (relative to
 * the folder, in sorted order) and SHA-256. Two folders with the same files
 * and bytes have the same digest, whatever their own names.
 */
export async function sha256Tree(dir: string): Promise<string> {
  const paths = (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort()
  const hash = createHash('sha256')
  for (const path of paths) hash.update(`${path}\0${await sha256File(join(dir, path))}\n`)
  return hash.digest('hex')
}

/** The SHA-256 of a file, or of a folder's content (see {@link sha256Tree}). */
export async function sha256Path(path: string): Promise<string> {
  return statSync(path).isDirectory() ? sha256Tree(path) : sha256File(path)
}
