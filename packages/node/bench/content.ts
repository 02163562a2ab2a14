/**
 * The bytes the benchmark transfers: a file of pseudo-random bytes (an
 * AES-128-CTR key stream under a random key, so nothing repeats and nothing
 * compresses), and the SHA-256 that every copy must match.
 */
import { execFileSync } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { closeSync, createReadStream, openSync, rmSync, writeSync } from 'node:fs'
import { open } from 'node:fs/promises'

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
