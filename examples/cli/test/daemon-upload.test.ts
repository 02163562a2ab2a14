/**
 * Uploads through the daemon (what a file dropped on the web UI becomes):
 * `upload.begin`, chunks to `POST /upload`, `upload.finish`, against a real
 * `mycel daemon` process; the file lands in `<download dir>/uploads` without
 * replacing anything, and is shared.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, rpc, startDaemon, type TestDaemon } from './daemon-helpers.js'
import { ensureBuilt, Sandbox } from './helpers.js'

const sandbox = new Sandbox()
let daemon: TestDaemon
let uploads: string

beforeAll(async () => {
  await ensureBuilt()
  daemon = await startDaemon(sandbox, await sandbox.dir('mycel-upload-'))
  uploads = join(daemon.dataDir, 'downloads', 'uploads')
}, 300_000)

afterAll(() => sandbox.cleanup())

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Declares a chunk of `length` bytes and sends none of it: the status the daemon answers with. */
function declareChunk(id: string, length: number): Promise<number> {
  const url = new URL(daemon.url)
  return new Promise((resolve, reject) => {
    const sending = request(
      {
        host: url.hostname,
        port: url.port,
        path: `/upload?id=${id}&offset=0`,
        method: 'POST',
        headers: { authorization: `Bearer ${daemon.token}`, 'content-length': String(length) },
      },
      (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
        sending.destroy()
      },
    )
    sending.on('error', reject)
    sending.flushHeaders()
  })
}

/** Sends one chunk; the daemon's answer. */
async function chunk(
  id: string,
  offset: number,
  bytes: Uint8Array,
  token = daemon.token,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${daemon.url}/upload?id=${id}&offset=${offset}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: bytes,
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** Uploads `bytes` as `name` in chunks of `size`, and finishes. */
async function upload(name: string, bytes: Uint8Array, size: number) {
  const { id } = await call<{ id: string; chunkBytes: number }>(daemon, 'upload.begin', { name, size: bytes.length })
  for (let offset = 0; offset < bytes.length; offset += size) {
    const sent = await chunk(id, offset, bytes.subarray(offset, offset + size))
    expect(sent).toEqual({ status: 200, body: { received: Math.min(bytes.length, offset + size) } })
  }
  return call<{ infohash: string; name: string; uploaded: string; magnet: string }>(daemon, 'upload.finish', { id })
}

describe('uploads through the daemon', () => {
  it('receives a file in chunks, keeps it in the uploads folder and shares it', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 777)
    const begun = await call<{ id: string; chunkBytes: number }>(daemon, 'upload.begin', { name: 'x', size: 1 })
    expect(begun.chunkBytes).toBe(8 * 1024 * 1024)
    await call(daemon, 'upload.abort', { id: begun.id })
    const shared = await upload('holiday film.bin', bytes, 1024 * 1024)
    expect(shared.uploaded).toBe(join(uploads, 'holiday film.bin'))
    expect(shared.name).toBe('holiday film.bin')
    expect(sha256(await readFile(shared.uploaded))).toBe(sha256(bytes))
    const listed = await call<{ infohash: string; role: string }[]>(daemon, 'list')
    expect(listed.find((share) => share.infohash === shared.infohash)).toMatchObject({ role: 'seed' })
  }, 120_000)

  it('never replaces a file: the same name again becomes "name (1)"', async () => {
    await writeFile(join(uploads, 'notes.txt'), 'not mycel’s\n')
    const shared = await upload('notes.txt', new TextEncoder().encode('uploaded notes\n'), 4)
    expect(shared.uploaded).toBe(join(uploads, 'notes (1).txt'))
    expect(await readFile(join(uploads, 'notes.txt'), 'utf8')).toBe('not mycel’s\n')
    expect(await readFile(shared.uploaded, 'utf8')).toBe('uploaded notes\n')
  }, 60_000)

  it('refuses names with folders, chunks out of order or past the size, unknown uploads and no token', async () => {
    for (const name of ['../escape.txt', 'a/b.txt', '..', '', 'tab\there', 'x'.repeat(256)]) {
      const answer = await rpc(daemon, 'upload.begin', { name, size: 10 })
      expect(answer.body.error?.data?.code, name).toBe('USAGE')
    }
    const { id } = await call<{ id: string }>(daemon, 'upload.begin', { name: 'ordered.bin', size: 10 })
    expect((await chunk(id, 4, new Uint8Array(4))).body.error).toMatchObject({ data: { code: 'USAGE' } })
    expect((await chunk(id, 0, new Uint8Array(11))).body.error).toMatchObject({ data: { code: 'USAGE' } })
    expect((await chunk(id, 0, new Uint8Array(4), 'f'.repeat(64))).status).toBe(401)
    expect((await rpc(daemon, 'upload.finish', { id })).body.error?.data?.code).toBe('USAGE') // bytes missing
    expect((await chunk('0'.repeat(24), 0, new Uint8Array(1))).status).toBe(404)
    // abort: the partial file goes, and the upload with it
    await call(daemon, 'upload.abort', { id })
    expect((await readdir(uploads)).filter((file) => file.endsWith('.part'))).toEqual([])
    expect((await chunk(id, 0, new Uint8Array(1))).body.error).toMatchObject({ data: { code: 'UPLOAD_NOT_FOUND' } })
  }, 60_000)

  it('holds at most 4 uploads open, and a chunk over 8 MiB is refused unread', async () => {
    const open: string[] = []
    for (let index = 0; index < 4; index++) {
      open.push((await call<{ id: string }>(daemon, 'upload.begin', { name: `open-${index}`, size: 1 })).id)
    }
    expect((await rpc(daemon, 'upload.begin', { name: 'one-more', size: 1 })).body.error?.data?.code).toBe('BUSY')
    expect(await declareChunk(open[0] as string, 8 * 1024 * 1024 + 1)).toBe(413)
    for (const id of open) await call(daemon, 'upload.abort', { id })
    expect((await call<{ id: string }>(daemon, 'upload.begin', { name: 'now-room', size: 0 })).id).toMatch(
      /^[0-9a-f]{24}$/,
    )
  }, 60_000)
})
