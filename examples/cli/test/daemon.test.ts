import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, Notifications, rpc, startDaemon, type TestDaemon, upgradeStatus } from './daemon-helpers.js'
import { ensureBuilt, jsonLines, Sandbox, sha256File, writeContent } from './helpers.js'

const SIZE = 2 * 1024 * 1024 + 4321

const sandbox = new Sandbox()
let seeder: TestDaemon
let leecher: TestDaemon
let work: string
let source: string

beforeAll(async () => {
  await ensureBuilt()
  work = await sandbox.dir('mycel-daemon-work-')
  source = join(work, 'holiday.bin')
  await writeContent(source, SIZE, 22)
  ;[seeder, leecher] = await Promise.all([
    startDaemon(sandbox, await sandbox.dir('mycel-daemon-a-')),
    startDaemon(sandbox, await sandbox.dir('mycel-daemon-b-')),
  ])
}, 300_000)

afterAll(() => sandbox.cleanup())

/** POSTs `bytes` of spaces in 64 KiB writes; the answer may come before the body is all sent. */
function postLarge(daemon: TestDaemon, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${daemon.url}/rpc`)
    const sending = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { authorization: `Bearer ${daemon.token}` },
      },
      (response) => {
        let body = ''
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString()
        })
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      },
    )
    sending.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    let sent = 0
    const write = () => {
      while (sent < bytes) {
        sent += chunk.length
        if (!sending.write(chunk)) {
          sending.once('drain', write)
          return
        }
      }
      sending.end()
    }
    write()
  })
}

describe('mycel daemon: access', () => {
  it('keeps its token in a file only its owner can read', () => {
    const mode = statSync(join(seeder.dataDir, 'daemon.token')).mode & 0o777
    expect(mode).toBe(0o600)
    expect(seeder.token).toMatch(/^[0-9a-f]{64}$/)
  })

  it('answers 401 without the token or with a wrong one, on HTTP and on the WebSocket', async () => {
    const none = await rpc(seeder, 'hello', {}, {})
    expect(none.status).toBe(401)
    expect(none.body.error?.data?.code).toBe('UNAUTHORIZED')
    const wrong = await rpc(seeder, 'hello', {}, { authorization: `Bearer ${'0'.repeat(64)}` })
    expect(wrong.status).toBe(401)
    const ws = `${seeder.url.replace('http', 'ws')}/ws`
    expect(await upgradeStatus(ws, {})).toBe(401)
    expect(await upgradeStatus(ws, { authorization: `Bearer ${seeder.token}` })).toBe(101)
    // browsers cannot set a WebSocket's headers: the token may come as a query parameter
    expect(await upgradeStatus(`${ws}?token=${seeder.token}`, {})).toBe(101)
  })

  it('refuses pages of another origin, and serves its own', async () => {
    const auth = { authorization: `Bearer ${seeder.token}` }
    const foreign = await rpc(seeder, 'hello', {}, { ...auth, origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
    expect(foreign.body.error?.data?.code).toBe('ORIGIN_REFUSED')
    const port = new URL(seeder.url).port
    const own = await rpc(seeder, 'hello', {}, { ...auth, origin: `http://localhost:${port}` })
    expect(own.status).toBe(200)
    const ws = `${seeder.url.replace('http', 'ws')}/ws`
    expect(await upgradeStatus(ws, { ...auth, origin: 'http://evil.example' })).toBe(403)
  })

  it('a second daemon for the same data folder refuses, naming the first', async () => {
    const second = await sandbox.run([
      '--data-dir',
      seeder.dataDir,
      '--bootstrap',
      'none',
      'daemon',
      '--listen',
      '127.0.0.1:0',
    ])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('a mycel daemon already runs for')
    expect(second.stderr).toContain(seeder.url)
    expect(await call(seeder, 'hello')).toMatchObject({ pid: seeder.process.child.pid })
  })

  it('will not listen off loopback without a password', async () => {
    const result = await sandbox.run(['--data-dir', await sandbox.dir(), 'daemon', '--listen', '0.0.0.0:0'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('needs --password')
  })
})

describe('mycel daemon: JSON-RPC', () => {
  it('answers malformed JSON, unknown methods, bad params and oversized bodies with JSON-RPC errors', async () => {
    const post = (body: string | Uint8Array) =>
      fetch(`${seeder.url}/rpc`, { method: 'POST', headers: { authorization: `Bearer ${seeder.token}` }, body })
    const malformed = await post('{"jsonrpc":')
    expect(malformed.status).toBe(200)
    expect(((await malformed.json()) as { error: { code: number } }).error.code).toBe(-32700)
    const unknown = await rpc(seeder, 'no.such.method')
    expect(unknown.body.error?.code).toBe(-32601)
    const bad = await rpc(seeder, 'search', { text: 42 })
    expect(bad.body.error).toMatchObject({ code: -32602, data: { code: 'USAGE' } })
    const relative = await rpc(seeder, 'share', { path: 'holiday.bin' })
    expect(relative.body.error).toMatchObject({ code: -32602, data: { code: 'USAGE' } })
    const missing = await rpc(seeder, 'stop', { infohash: 'ab'.repeat(32) })
    expect(missing.body.error).toMatchObject({ code: -32000, data: { code: 'SHARE_NOT_FOUND' } })
    const huge = await postLarge(seeder, 17 * 1024 * 1024)
    expect(huge.status).toBe(413)
    expect((JSON.parse(huge.body) as { error: { data: { code: string } } }).error.data.code).toBe('REQUEST_TOO_LARGE')
    // the daemon still serves
    expect(await call(seeder, 'hello')).toMatchObject({ api: 1 })
  })

  it('shares on one daemon and downloads on another, with progress over the WebSocket', async () => {
    const shared = await call<{ infohash: string; magnet: string; totalBytes: number }>(seeder, 'share', {
      path: source,
      pieceLength: '16KiB',
    })
    expect(shared.totalBytes).toBe(SIZE)
    const notifications = await Notifications.open(leecher)
    const into = await sandbox.dir('mycel-daemon-into-')
    const added = await call<{ infohash: string; added: boolean }>(leecher, 'add', {
      link: shared.magnet,
      dir: into,
      peers: [seeder.peerAddress],
    })
    expect(added).toMatchObject({ infohash: shared.infohash, added: true })
    const done = await notifications.waitFor(
      (n) => n.method === 'done' && n.params.infohash === shared.infohash,
      60_000,
    )
    expect(done.params.verifiedBytes).toBe(SIZE)
    const progress = notifications.received.filter(
      (n) => n.method === 'progress' && n.params.infohash === shared.infohash,
    )
    expect(progress.length).toBeGreaterThan(0)
    expect(notifications.received.some((n) => n.method === 'peer.connected')).toBe(true)
    notifications.close()
    expect(await sha256File(join(into, 'holiday.bin'))).toBe(await sha256File(source))
    const list = await call<{ infohash: string; status: string }[]>(leecher, 'list')
    expect(list.find((share) => share.infohash === shared.infohash)?.status).toBe('complete')
    // the seeder has the files it shares: downloading them there is refused with a stable code
    const again = await rpc(seeder, 'add', { link: shared.magnet })
    expect(again.body.error).toMatchObject({ code: -32000, data: { code: 'SHARE_EXISTS' } })
  })

  it('lists a download in the request right after the one that added it', async () => {
    const infohash = 'c7'.repeat(32)
    const response = await fetch(`${leecher.url}/rpc`, {
      method: 'POST',
      headers: { authorization: `Bearer ${leecher.token}` },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'add', params: { link: infohash, dir: await sandbox.dir() } },
        { jsonrpc: '2.0', id: 2, method: 'list' },
      ]),
    })
    const [added, listed] = (await response.json()) as [{ result: unknown }, { result: { infohash: string }[] }]
    expect(added.result).toMatchObject({ infohash, added: true })
    expect(listed.result.map((share) => share.infohash)).toContain(infohash)
    await call(leecher, 'remove', { infohash })
    expect((await call<{ infohash: string }[]>(leecher, 'list')).map((share) => share.infohash)).not.toContain(infohash)
  })

  it('makes a private share and gives it other readers (a new version under a new key)', async () => {
    const file = join(work, 'diary.txt')
    await writeContent(file, 40_000, 25)
    const { peerId } = await call<{ peerId: string }>(leecher, 'status')
    type Made = { infohash: string; link: string | null; readers: string[]; previous?: string }
    const made = await call<Made>(seeder, 'share.private', { path: file, readers: [peerId] })
    expect(made.link).toMatch(/^mycel:\/\/[0-9a-f]{64}#/)
    expect(made.readers).toEqual([peerId])
    expect(await call(seeder, 'readers', { infohash: made.infohash })).toMatchObject({ readers: [peerId] })
    const next = await call<Made>(seeder, 'readers.set', { infohash: made.infohash, readers: [] })
    expect(next.previous).toBe(made.infohash)
    expect(next.infohash).not.toBe(made.infohash)
    expect(next.readers).toEqual([])
    const publicShare = (await call<{ infohash: string; name: string }[]>(seeder, 'list')).find(
      (share) => share.name === 'holiday.bin',
    )
    const refused = await rpc(seeder, 'readers', { infohash: publicShare?.infohash })
    expect(refused.body.error?.data?.code).toBe('SHARE_NOT_FOUND')
  })

  it('publishes a channel on one daemon and follows it on another, with channel notifications', async () => {
    const bad = await rpc(seeder, 'channel', { op: 'publish', channel: 42, entries: [] })
    expect(bad.body.error).toMatchObject({ code: -32602, data: { code: 'USAGE' } })
    const seederNotes = await Notifications.open(seeder)
    const leecherNotes = await Notifications.open(leecher)
    const created = await call<{ channels: { publicKey: string; link: string }[] }>(seeder, 'channel', {
      op: 'create',
      title: 'Daemon channel',
      private: false,
    })
    const [channel] = created.channels
    if (channel === undefined) throw new Error('no channel created')
    await seederNotes.waitFor((n) => n.method === 'channel.update' && n.params.publicKey === channel.publicKey, 20_000)
    const file = join(work, 'channel-entry.bin')
    await writeContent(file, 100_000, 31)
    const shared = await call<{ infohash: string; magnet: string }>(seeder, 'share', { path: file })
    await call(seeder, 'channel', {
      op: 'publish',
      channel: channel.publicKey,
      entries: [{ infohash: shared.infohash }],
    })
    await call(leecher, 'channel', { op: 'subscribe', link: channel.link, policy: 'none' })
    // Connected to the publisher (here by a download from it), the follower hears the latest version.
    const into = await sandbox.dir('mycel-daemon-channel-')
    await call(leecher, 'add', { link: shared.magnet, dir: into, peers: [seeder.peerAddress] })
    const entry = await leecherNotes.waitFor(
      (n) => n.method === 'channel.entry' && n.params.publicKey === channel.publicKey,
      30_000,
    )
    expect(entry.params.entry).toMatchObject({ infohash: shared.infohash, name: 'channel-entry.bin', size: 100_000 })
    const update = leecherNotes.received.find(
      (n) => n.method === 'channel.update' && n.params.publicKey === channel.publicKey,
    )
    expect(update?.params).toMatchObject({ title: 'Daemon channel', source: 'gossip' })
    const followed = await call<{ channels: { publicKey: string }[] }>(leecher, 'channel', { op: 'subscriptions' })
    expect(followed.channels.map((c) => c.publicKey)).toEqual([channel.publicKey])
    seederNotes.close()
    leecherNotes.close()
  })

  it('answers requests sent over the WebSocket too', async () => {
    const notifications = await Notifications.open(seeder)
    const answered = new Promise<Record<string, unknown>>((resolve) => {
      notifications.socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as Record<string, unknown>
        if (message.id === 'ws-1') resolve(message)
      })
    })
    notifications.socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'hello', id: 'ws-1' }))
    expect(await answered).toMatchObject({ jsonrpc: '2.0', id: 'ws-1', result: { api: 1 } })
    notifications.close()
  })

  it('stops, starts and removes a share; its files stay', async () => {
    const file = join(work, 'notes.txt')
    await writeContent(file, 50_000, 23)
    const shared = await call<{ infohash: string }>(seeder, 'share', { path: file })
    const status = async () =>
      (await call<{ live: unknown }[]>(seeder, 'list')).find(
        (s) => (s as never as { infohash: string }).infohash === shared.infohash,
      )
    await call(seeder, 'stop', { infohash: shared.infohash })
    expect((await status())?.live).toBeNull()
    await call(seeder, 'start', { infohash: shared.infohash })
    expect((await status())?.live).not.toBeNull()
    const verified = await call<{ validPieces: number; pieceCount: number }>(seeder, 'verify', {
      infohash: shared.infohash,
    })
    expect(verified.pieceCount).toBeGreaterThan(1)
    expect(verified.validPieces).toBe(verified.pieceCount)
    await call(seeder, 'remove', { infohash: shared.infohash })
    expect(await status()).toBeUndefined()
    expect(existsSync(file)).toBe(true)
  })
})

describe('mycel daemon: the CLI goes through it', () => {
  it('ls, share, get and rm talk to the running daemon', async () => {
    const file = join(work, 'through-cli.bin')
    await writeContent(file, 300_000, 24)
    const shared = await sandbox.run(['--data-dir', seeder.dataDir, '--json', 'share', file])
    expect(shared.code).toBe(0)
    const event = jsonLines(shared.stdout).find((line) => line.event === 'shared') as Record<string, unknown>
    expect(event.daemon).toBe(seeder.url)
    // the daemon seeds it after the command returned
    const seeded = await call<{ infohash: string; live: unknown }[]>(seeder, 'list')
    expect(seeded.find((share) => share.infohash === event.infohash)?.live).not.toBeNull()

    const into = await sandbox.dir('mycel-daemon-cli-into-')
    const got = await sandbox.run(
      [
        '--data-dir',
        leecher.dataDir,
        '--json',
        'get',
        String(event.magnet),
        '-o',
        into,
        '--peer',
        seeder.peerAddress.replace('tcp://', ''),
      ],
      { timeoutMs: 90_000 },
    )
    expect(got.stderr).toBe('')
    expect(got.code).toBe(0)
    const done = jsonLines(got.stdout).find((line) => line.event === 'done')
    expect(done).toMatchObject({ infohash: event.infohash, daemon: leecher.url })
    expect(await readFile(join(into, 'through-cli.bin'))).toEqual(await readFile(file))

    const listed = await sandbox.run(['--data-dir', leecher.dataDir, '--json', 'ls'])
    expect(listed.code).toBe(0)
    const shares = jsonLines(listed.stdout) as { infohash: string; live: unknown }[]
    expect(shares.find((share) => share.infohash === event.infohash)?.live).not.toBeNull()

    const removed = await sandbox.run(['--data-dir', leecher.dataDir, 'rm', String(event.infohash)])
    expect(removed.stderr).toBe('')
    expect(removed.code).toBe(0)
    const after = await call<{ infohash: string }[]>(leecher, 'list')
    expect(after.some((share) => share.infohash === event.infohash)).toBe(false)
    expect(existsSync(join(into, 'through-cli.bin'))).toBe(true)
  }, 120_000)

  it('ignores a daemon.json left by a daemon that died, and sends its token nowhere', async () => {
    const dataDir = await sandbox.dir()
    // another program now listens where the dead daemon did
    let requests = 0
    const other = createServer((_request, response) => {
      requests++
      response.writeHead(401).end()
    })
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    try {
      const address = other.address() as { port: number }
      const dead = spawnSync(process.execPath, ['-e', '']).pid
      await writeFile(
        join(dataDir, 'daemon.json'),
        JSON.stringify({ pid: dead, url: `http://127.0.0.1:${address.port}`, startedAt: 1 }),
      )
      await writeFile(join(dataDir, 'daemon.token'), `${'7'.repeat(64)}\n`, { mode: 0o600 })
      const result = await sandbox.run([
        '--data-dir',
        dataDir,
        '--bootstrap',
        'none',
        '--host',
        '127.0.0.1',
        'get',
        'ab'.repeat(32),
        '--timeout',
        '1',
        '-o',
        await sandbox.dir(),
      ])
      expect(result.stderr).toContain('no peers found')
      expect(result.code).toBe(1)
      expect(requests).toBe(0)
    } finally {
      await new Promise((resolve) => other.close(resolve))
    }
  }, 120_000)

  it('share --private goes through the daemon too', async () => {
    const file = join(work, 'letters.txt')
    await writeContent(file, 30_000, 26)
    const { peerId } = await call<{ peerId: string }>(leecher, 'status')
    const result = await sandbox.run([
      '--data-dir',
      seeder.dataDir,
      '--json',
      'share',
      file,
      '--private',
      '--reader',
      peerId,
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const event = jsonLines(result.stdout).find((line) => line.event === 'shared') as Record<string, unknown>
    expect(event).toMatchObject({ private: true, readers: [peerId], daemon: seeder.url })
    expect(await call(seeder, 'readers', { infohash: event.infohash })).toMatchObject({ readers: [peerId] })
  }, 120_000)

  it('get of a mycel:// link, seed --blind and readers rm go through the daemon too', async () => {
    const file = join(work, 'minutes.txt')
    await writeContent(file, 200_000, 27)
    const { peerId } = await call<{ peerId: string }>(leecher, 'status')
    const shared = await sandbox.run([
      '--data-dir',
      seeder.dataDir,
      '--json',
      'share',
      file,
      '--private',
      '--reader',
      peerId,
    ])
    expect(shared.code).toBe(0)
    const share = jsonLines(shared.stdout).find((line) => line.event === 'shared') as Record<string, string>
    const seederPeer = seeder.peerAddress.replace('tcp://', '')

    // the reader's daemon downloads and decrypts (a link without the key: its identity opens it)
    const into = await sandbox.dir('mycel-daemon-private-into-')
    const got = await sandbox.run(
      ['--data-dir', leecher.dataDir, '--json', 'get', share.blindLink as string, '-o', into, '--peer', seederPeer],
      { timeoutMs: 90_000 },
    )
    expect(got.stderr).toBe('')
    expect(got.code).toBe(0)
    const done = jsonLines(got.stdout).find((line) => line.event === 'done')
    expect(done).toMatchObject({ private: true, infohash: share.infohash, daemon: leecher.url })
    expect(await readFile(join(into, 'minutes.txt'))).toEqual(await readFile(file))

    // a blind seeder's daemon fetches the ciphertext; the key in the link never reaches it
    const blind = await startDaemon(sandbox, await sandbox.dir('mycel-daemon-blind-'))
    const seeded = await sandbox.run(
      ['--data-dir', blind.dataDir, '--json', 'seed', '--blind', share.link as string, '--peer', seederPeer],
      { timeoutMs: 90_000 },
    )
    expect(seeded.stderr).toBe('')
    expect(seeded.code).toBe(0)
    expect(jsonLines(seeded.stdout).find((line) => line.event === 'blind')).toMatchObject({
      infohash: share.infohash,
      daemon: blind.url,
    })
    const held = await call<{ infohash: string; status: string; live: unknown }[]>(blind, 'list')
    expect(held.find((entry) => entry.infohash === share.infohash)).toMatchObject({ status: 'complete' })
    expect(held.find((entry) => entry.infohash === share.infohash)?.live).not.toBeNull()

    // the publisher's daemon makes a version without that reader
    const removed = await sandbox.run([
      '--data-dir',
      seeder.dataDir,
      '--json',
      'readers',
      'rm',
      share.infohash as string,
      peerId,
    ])
    expect(removed.stderr).toBe('')
    expect(removed.code).toBe(0)
    const version = jsonLines(removed.stdout).find((line) => line.event === 'version') as Record<string, unknown>
    expect(version).toMatchObject({ private: true, readers: [], daemon: seeder.url })
    expect(version.infohash).not.toBe(share.infohash)
    expect(await call(seeder, 'readers', { infohash: version.infohash })).toMatchObject({ readers: [] })
  }, 240_000)

  it('stops on the shutdown method and frees the data folder for commands run alone', async () => {
    const dataDir = await sandbox.dir()
    const daemon = await startDaemon(sandbox, dataDir)
    expect(existsSync(join(dataDir, 'daemon.json'))).toBe(true)
    await call(daemon, 'shutdown', { confirm: true })
    const ended = await daemon.process.exit()
    expect(ended.code).toBe(0)
    expect(existsSync(join(dataDir, 'daemon.json'))).toBe(false)
    const alone = await sandbox.run(['--data-dir', dataDir, '--json', 'status'])
    expect(alone.code).toBe(0)
    expect(JSON.parse(alone.stdout)).toMatchObject({ running: false })
  }, 120_000)
})
