/**
 * The code of the encryption workers of `encrypt-workers.ts`, kept apart
 * because it is a program of its own: plain JavaScript, run with `eval`.
 * @module
 * @internal
 */

/**
 * The worker's code, plain JavaScript run with `eval` (so that it works the
 * same from sources, from tests and from a bundle). For each chunk: the
 * bytes come with the job, or the worker reads them (`read`: the head as
 * given, the files' bytes with `readSync` from the descriptors in
 * `workerData.files`, zeros for the padding) into its own buffer; then XOR
 * `bytes[encryptFrom..]` in place with the ChaCha20 key stream from stream
 * offset `streamOffset` (a segment of 2^31 blocks per nonce: 4 zero bytes,
 * then the segment as a big-endian u64; OpenSSL's IV is the block counter,
 * little-endian, then the nonce), then SHA-256 of each 16 KiB block. The
 * cipher is the native module of `@mycel/wire` when `workerData.native`
 * names it (in place, a run at a time), else `node:crypto`'s.
 * `node:crypto`'s cipher is fed 16 KiB at a time: OpenSSL's output is a new buffer each
 * time, and several 64 KiB answers from one cipher map and fault in fresh
 * pages (a cipher per 512 KiB chunk, 256 MiB: 0.65-1.06 s of CPU fed 64 KiB
 * at a time, 0.33-0.36 s fed 16 KiB), as a 512 KiB answer does every time.
 */
export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const crypto = require('node:crypto')
const { readSync } = require('node:fs')
const { key, disk } = workerData
// The native ChaCha20 (in place, the path checked by the thread that made this worker), or null.
const native = workerData.native ? require(workerData.native) : null
const BLOCK = 16384
const SEGMENT_BLOCKS = 2 ** 31
const STEP = 16384
const sha256 = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'buffer')
  : (data) => crypto.createHash('sha256').update(data).digest()
let own = null

function encrypt(bytes, length, encryptFrom, streamOffset) {
  if (streamOffset % 64 !== 0) throw new Error('a chunk must start on a ChaCha20 block')
  let at = encryptFrom
  let block = streamOffset / 64
  while (at < length) {
    const segment = Math.floor(block / SEGMENT_BLOCKS)
    const counter = block % SEGMENT_BLOCKS
    const run = Math.min(length - at, (SEGMENT_BLOCKS - counter) * 64)
    const iv = Buffer.alloc(16)
    iv.writeUInt32LE(counter, 0)
    iv.writeBigUInt64BE(BigInt(segment), 8)
    if (native !== null) {
      const range = bytes.subarray(at, at + run)
      native.xor(native.open(key, iv), range, range)
    } else {
      const cipher = crypto.createCipheriv('chacha20', key, iv)
      for (let from = at; from < at + run; from += STEP) {
        bytes.set(cipher.update(bytes.subarray(from, Math.min(from + STEP, at + run))), from)
      }
    }
    at += run
    block += run / 64
  }
}

// Fills bytes[0, length) with data file bytes from dataOffset; -1, or the index in files of one that ended early.
function read(bytes, dataOffset, length) {
  const { head, contentStart, contentEnd, files } = disk
  let at = dataOffset
  const end = dataOffset + length
  if (at < contentStart) {
    const until = Math.min(end, contentStart)
    bytes.set(head.subarray(at, until), 0)
    at = until
  }
  // files are in stream order: the first that ends after 'at', then on.
  let index = 0
  while (index < files.length && files[index].offset + files[index].length <= at - contentStart) index++
  while (at < Math.min(end, contentEnd)) {
    const file = files[index++]
    const from = at - contentStart - file.offset
    const count = Math.min(file.length - from, end - at)
    for (let done = 0; done < count; ) {
      const got = readSync(file.fd, bytes, at - dataOffset + done, count - done, from + done)
      if (got === 0) return index - 1
      done += got
    }
    at += count
  }
  if (at < end) bytes.fill(0, at - dataOffset, length)
  return -1
}

parentPort.on('message', (job) => {
  let bytes
  if (job.buffer === undefined) {
    // One buffer, made again only for a longer chunk (the first chunk a worker gets may be the short last one).
    if (own === null || own.length < job.length) own = new Uint8Array(job.length)
    bytes = own
    const short = read(bytes, job.dataOffset, job.length)
    if (short >= 0) {
      parentPort.postMessage({ seq: job.seq, short })
      return
    }
  } else {
    bytes = new Uint8Array(job.buffer, 0, job.length)
  }
  const hashes = new Uint8Array(Math.ceil(job.length / BLOCK) * 32)
  encrypt(bytes, job.length, job.encryptFrom, job.streamOffset)
  for (let from = 0; from < job.length; from += BLOCK) {
    hashes.set(sha256(bytes.subarray(from, Math.min(from + BLOCK, job.length))), (from / BLOCK) * 32)
  }
  // The job's own buffer goes back; a read chunk's bytes only when asked for (a copy: the worker keeps its buffer).
  const buffer = job.buffer ?? (job.keepBytes ? bytes.slice(0, job.length).buffer : undefined)
  parentPort.postMessage({ seq: job.seq, buffer, hashes }, buffer === undefined ? [hashes.buffer] : [buffer, hashes.buffer])
})
`
