import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, jsonLines, local, type RunResult, Sandbox, startDht } from './helpers.js'

const sandbox = new Sandbox()
let bootstrap: string
let work: string
let file: string

beforeAll(async () => {
  await ensureBuilt()
  ;({ bootstrap } = await startDht(sandbox))
  work = await sandbox.dir()
  file = join(work, 'notes.txt')
  await writeFile(file, 'some notes\n')
}, 300_000)

afterAll(() => sandbox.cleanup())

/** A failure: one line on stderr (no stack trace), nothing on stdout, a non-zero status. */
function expectOneLine(result: RunResult, code: number, pattern: RegExp): void {
  expect(result.code).toBe(code)
  expect(result.stdout).toBe('')
  const lines = result.stderr.split('\n').filter((line) => line !== '')
  expect(lines, result.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^mycel: /)
  expect(lines[0]).toMatch(pattern)
  expect(result.stderr).not.toMatch(/^\s+at /m)
}

function dataDir(name: string): string {
  return join(work, name)
}

describe('errors a person understands', () => {
  it('a bad magnet link: what is wrong and what a link looks like; status 2', async () => {
    const result = await sandbox.run([
      'get',
      'magnet:?xt=urn:btmh:1220c12fe1c06bba254a9dc9f519b335aa7c1367a88a', // 40 digits: not SHA-256
      ...local(dataDir('a'), bootstrap),
    ])
    expectOneLine(
      result,
      2,
      /not a magnet link or infohash: .*urn:btmh.* \(give a magnet:\?xt=urn:btmh:1220\.\.\. link or 64 hex digits\)$/,
    )
    const short = await sandbox.run(['get', 'abc123', ...local(dataDir('a'), bootstrap)])
    expectOneLine(short, 2, /not a magnet link, infohash or \.torrent file/)
  })

  it('a missing file: the path; status 1', async () => {
    const missing = join(work, 'no-such-file.bin')
    expectOneLine(
      await sandbox.run(['share', missing, ...local(dataDir('b'), bootstrap)]),
      1,
      new RegExp(`no such file or folder: ${missing} \\(check the path\\)$`),
    )
  })

  it('a TCP port in use: which port, and what to do', async () => {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as { port: number }
    try {
      const result = await sandbox.run(['share', file, ...local(dataDir('c'), bootstrap), '--port', String(port)])
      expectOneLine(
        result,
        1,
        new RegExp(
          `TCP port ${port} is already in use \\(choose another with --port, or stop the program that uses it\\)$`,
        ),
      )
    } finally {
      server.close()
    }
  })

  it('a UDP port in use (the DHT follows --port)', async () => {
    const socket = createSocket('udp4')
    socket.bind(0, '127.0.0.1')
    await once(socket, 'listening')
    const { port } = socket.address()
    try {
      const result = await sandbox.run(['share', file, ...local(dataDir('d'), bootstrap), '--port', String(port)])
      expectOneLine(result, 1, new RegExp(`UDP port ${port} is already in use`))
      const dht = await sandbox.run(['dht', '--host', '127.0.0.1', '--port', String(port)])
      expectOneLine(dht, 1, new RegExp(`UDP port ${port} is already in use`))
    } finally {
      socket.close()
    }
  })

  it('no peers found after --timeout: says so and what to check; status 1', async () => {
    const infohash = 'ab'.repeat(32)
    const started = Date.now()
    const result = await sandbox.run([
      'get',
      infohash,
      ...local(dataDir('e'), bootstrap),
      '--timeout',
      '2',
      '--quiet',
      '-o',
      work,
    ])
    expectOneLine(
      result,
      1,
      new RegExp(`no peers found for ${infohash} in 2s \\(check that a seeder is running .*--peer.*\\)$`),
    )
    expect(Date.now() - started).toBeLessThan(20_000)
    // without --quiet, plain progress lines (stderr is not a terminal) come before the error line
    const chatty = await sandbox.run(['get', infohash, ...local(dataDir('e'), bootstrap), '--timeout', '1', '-o', work])
    expect(chatty.code).toBe(1)
    const lines = chatty.stderr.trim().split('\n')
    expect(lines[0]).toMatch(/^looking for peers: 0 peers, 1s$/)
    expect(lines.at(-1)).toMatch(/^mycel: no peers found for/)
  })

  it('another process using the data folder', async () => {
    const busy = dataDir('f')
    const seeder = sandbox.start(['share', file, ...local(busy, bootstrap), '--json'])
    await seeder.waitFor('seeding')
    expectOneLine(
      await sandbox.run(['share', file, ...local(busy, bootstrap)]),
      1,
      /another mycel process is using .* \(stop it, or pass another --data-dir\)$/,
    )
    expectOneLine(await sandbox.run(['rm', 'notes.txt', '--data-dir', busy]), 2, /not an infohash/)
    await seeder.stop()
  })

  it('commands that need a running process, or a share that is not there', async () => {
    const dir = dataDir('g')
    const seeder = sandbox.start(['share', file, ...local(dir, bootstrap), '--json'])
    const { infohash } = await seeder.waitFor('shared')
    await seeder.stop()
    expectOneLine(
      await sandbox.run(['announce', String(infohash), '--data-dir', dir]),
      1,
      /no mycel process is running for .* \(start mycel share or mycel get first/,
    )
    expectOneLine(await sandbox.run(['export', 'ffff', '--data-dir', dir]), 1, /no share ffff in .* \(see mycel ls/)
    expectOneLine(await sandbox.run(['export', 'xyz', '--data-dir', dir]), 2, /not an infohash/)
  })

  it('wrong usage: unknown command or option, bad values; status 2', async () => {
    expectOneLine(await sandbox.run(['sahre', file]), 2, /unknown command 'sahre'.*share.*\(see mycel --help\)$/)
    expectOneLine(await sandbox.run(['ls', '--colour']), 2, /unknown option '--colour'/)
    expectOneLine(await sandbox.run(['get']), 2, /missing required argument 'link'/)
    expectOneLine(await sandbox.run(['ls', '--port', '70000']), 2, /--port must be a port number/)
    expectOneLine(await sandbox.run(['ls', '--bootstrap', 'nowhere']), 2, /bad --bootstrap address "nowhere"/)
    expectOneLine(
      await sandbox.run(['share', file, '--piece-length', '1000']),
      2,
      /--piece-length must be a power of two/,
    )
    expectOneLine(
      await sandbox.run(['get', 'ab'.repeat(32), '--timeout', 'soon']),
      2,
      /--timeout must be a number of seconds/,
    )
  })

  it('--json errors are one JSON line with a stable code', async () => {
    const result = await sandbox.run(['get', 'nonsense', '--json', ...local(dataDir('h'), bootstrap)])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(jsonLines(result.stderr)).toEqual([
      { error: { code: 'MAGNET_INVALID', message: expect.stringContaining('magnet'), hint: expect.any(String) } },
    ])
    const usage = await sandbox.run(['frobnicate', '--json'])
    expect(usage.code).toBe(2)
    expect(jsonLines(usage.stderr)).toEqual([{ error: expect.objectContaining({ code: 'USAGE' }) }])
  })

  it('--debug adds the stack trace', async () => {
    const result = await sandbox.run(['get', 'nonsense', '--debug', ...local(dataDir('i'), bootstrap)])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^mycel: not a magnet link/)
    expect(result.stderr).toMatch(/^\s+at /m)
    expect(result.stderr).toMatch(/MAGNET_MALFORMED/)
  })
})
