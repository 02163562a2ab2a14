/**
 * What the daemon adds for its web UI: the UI's static files at `/` (found
 * through `MYCEL_WEB_UI_DIR` here, a folder of the test's), with their
 * content types and a CSP and no way out of the folder; the `pieces`
 * method (per-file progress from the piece bitfield), `settings`, and
 * `peers` with the peers the state store remembers.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findWebUi, WEB_UI_DIR_ENV, webUiCandidates, webUiCsp, webUiFile } from '../src/daemon/web-ui.js'
import { call, Notifications, rpc, startDaemon, type TestDaemon } from './daemon-helpers.js'
import { ensureBuilt, Sandbox, writeContent } from './helpers.js'

const sandbox = new Sandbox()
let seeder: TestDaemon
let leecher: TestDaemon
let ui: string
let work: string

/** A GET with the path sent as it is (no normalisation of `..` by a client). */
function rawGet(
  daemon: TestDaemon,
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(daemon.url)
  return new Promise((resolve, reject) => {
    const sending = request({ host: url.hostname, port: url.port, path, method }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
    })
    sending.on('error', reject)
    sending.end()
  })
}

beforeAll(async () => {
  await ensureBuilt()
  ui = await sandbox.dir('mycel-daemon-ui-')
  await writeFile(
    join(ui, 'index.html'),
    '<!doctype html><title>ui</title><script type="module" src="/app.js"></script>',
  )
  await writeFile(join(ui, 'app.js'), 'console.log("ui")\n')
  await mkdir(join(ui, 'assets'))
  await writeFile(join(ui, 'assets', 'style.css'), 'body{}\n')
  await writeFile(join(ui, 'notes.txt'), 'not a file of the UI\n')
  await writeFile(join(ui, '.secret.js'), 'dot file\n')
  work = await sandbox.dir('mycel-daemon-ui-work-')
  await writeFile(join(work, 'outside.js'), 'outside the UI folder\n')
  // the daemons inherit it (Sandbox.start passes this process's environment)
  process.env[WEB_UI_DIR_ENV] = ui
  ;[seeder, leecher] = await Promise.all([
    startDaemon(sandbox, await sandbox.dir('mycel-daemon-ui-a-')),
    startDaemon(sandbox, await sandbox.dir('mycel-daemon-ui-b-')),
  ])
}, 300_000)

afterAll(async () => {
  delete process.env[WEB_UI_DIR_ENV]
  await sandbox.cleanup()
})

describe('where the daemon finds the UI', () => {
  it('looks at MYCEL_WEB_UI_DIR, then beside the bundle, then in the repository, from the bundle or the sources', () => {
    const bundle = webUiCandidates('file:///r/examples/cli/dist/bin.js', { [WEB_UI_DIR_ENV]: '/opt/ui' })
    expect(bundle).toEqual(['/opt/ui', '/r/examples/cli/dist/web-ui/', '/r/examples/web-ui/dist/', '/r/web-ui/dist/'])
    const sources = webUiCandidates('file:///r/examples/cli/src/daemon/web-ui.ts', {})
    expect(sources).toContain('/r/examples/web-ui/dist/')
    expect(sources[0]).toBe('/r/examples/cli/src/daemon/web-ui/')
  })

  it('takes the first folder that holds an index.html', () => {
    expect(findWebUi([join(work, 'none'), work, ui])).toBe(ui)
    expect(findWebUi([join(work, 'none')])).toBeUndefined()
    expect(webUiCandidates(pathToFileURL(join(ui, 'x.js')).href, {})[0]).toBe(join(ui, 'web-ui/'))
  })

  it('names the page host WebSocket in the CSP only for a plain host', () => {
    expect(webUiCsp('localhost:9092')).toContain("connect-src 'self' ws://localhost:9092;")
    expect(webUiCsp('[::1]:9092')).toContain("connect-src 'self' ws://[::1]:9092;")
    for (const host of [undefined, 'evil.example; script-src *', 'a b', '']) {
      expect(webUiCsp(host), String(host)).toContain("connect-src 'self';")
    }
  })

  it('maps only plain names with a known extension inside the folder', () => {
    expect(webUiFile('/ui', '/')).toBe('/ui/index.html')
    expect(webUiFile('/ui', '/app.js')).toBe('/ui/app.js')
    expect(webUiFile('/ui', '/assets/style.css')).toBe('/ui/assets/style.css')
    for (const path of [
      '/../x.js',
      '/a/../../x.js',
      '/..',
      '/.secret.js',
      '/%2e%2e/x.js',
      '/a//b.js',
      '/x.txt',
      '/x',
    ]) {
      expect(webUiFile('/ui', path), path).toBeUndefined()
    }
  })
})

describe('the UI files over HTTP', () => {
  it('serves the page and its files with their content types, a CSP, nosniff and no referrer, without the token', async () => {
    const page = await rawGet(seeder, '/')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>ui</title>')
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    const port = new URL(seeder.url).port
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
        `connect-src 'self' ws://127.0.0.1:${port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    )
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    const script = await rawGet(seeder, '/app.js')
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.body).toBe('console.log("ui")\n')
    expect((await rawGet(seeder, '/assets/style.css')).headers['content-type']).toBe('text/css; charset=utf-8')
    const head = await rawGet(seeder, '/app.js', 'HEAD')
    expect([head.status, head.body, head.headers['content-length']]).toEqual([200, '', '18'])
  })

  it('refuses paths out of the folder, dot files, other extensions and methods other than GET', async () => {
    for (const path of [
      '/../outside.js',
      `/..${join(work, 'outside.js')}`,
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/../../outside.js',
      '/.secret.js',
      '/notes.txt',
      '/nothing.js',
      '/assets',
    ]) {
      const answer = await rawGet(seeder, path)
      expect(answer.status, path).toBe(404)
      expect(answer.body, path).not.toContain('outside the UI folder')
    }
    expect((await rawGet(seeder, '/', 'DELETE')).status).toBe(405)
    // the API's paths stay the API's
    expect((await rawGet(seeder, '/rpc')).status).toBe(401)
    expect((await rawGet(seeder, '/ws')).status).toBe(404)
  })
})

describe('the address the daemon prints', () => {
  it('has the token in its fragment in text output, and no token in --json output', async () => {
    const dataDir = await sandbox.dir('mycel-daemon-ui-text-')
    const text = sandbox.start([
      '--data-dir',
      dataDir,
      '--host',
      '127.0.0.1',
      '--bootstrap',
      'none',
      'daemon',
      '--listen',
      '127.0.0.1:0',
    ])
    let printed = ''
    // the lines come at once; `token` is the last of those naming addresses
    await new Promise<void>((resolve, reject) => {
      text.child.stdout?.on('data', (chunk: Buffer) => {
        printed += chunk.toString()
        if (/^token +/m.test(printed)) resolve()
      })
      text.child.on('exit', () => reject(new Error(`the daemon ended: ${printed}${text.stderr}`)))
    })
    const line = /^web UI +(\S+)$/m.exec(printed)?.[1]
    const token = (await readFile(join(dataDir, 'daemon.token'), 'utf8')).trim()
    expect(line).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/#token=${token}$`))
    await text.stop()

    const json = await startDaemon(sandbox, await sandbox.dir('mycel-daemon-ui-json-'))
    const started = await json.process.waitFor('daemon')
    expect(started.ui).toBe(`${json.url}/`)
    const ended = await json.process.stop()
    expect(ended.stdout).not.toContain(json.token)
    expect(ended.stderr).not.toContain(json.token)
  }, 60_000)
})

describe('the methods the UI uses', () => {
  it('pieces: per-file progress from the bitfield of a seed, and of a download of one file of two', async () => {
    const folder = join(work, 'album')
    await mkdir(folder)
    await writeContent(join(folder, 'a.bin'), 300_000, 3)
    await writeContent(join(folder, 'b.bin'), 200_000, 4)
    const shared = await call<{ infohash: string; magnet: string; pieceCount: number }>(seeder, 'share', {
      path: folder,
      pieceLength: '16KiB',
    })
    const seeded = await call<{
      pieceCount: number
      verifiedPieces: number
      bitfield: string
      files: { path: string; verifiedBytes: number; length: number; pieceCount: number }[]
    }>(seeder, 'pieces', { infohash: shared.infohash })
    expect(seeded.pieceCount).toBe(shared.pieceCount)
    expect(seeded.verifiedPieces).toBe(shared.pieceCount)
    const bits = Buffer.from(seeded.bitfield, 'base64')
    expect(bits.length).toBe(Math.ceil(shared.pieceCount / 8))
    expect(seeded.files.map((file) => [file.path, file.verifiedBytes, file.pieceCount])).toEqual([
      ['a.bin', 300_000, 19],
      ['b.bin', 200_000, 13],
    ])

    const notes = await Notifications.open(leecher)
    const into = await sandbox.dir('mycel-daemon-ui-into-')
    await call(leecher, 'add', { link: shared.magnet, dir: into, peers: [seeder.peerAddress], files: ['a.bin'] })
    await notes.waitFor((n) => n.method === 'done' && n.params.infohash === shared.infohash, 60_000)
    notes.close()
    const partial = await call<typeof seeded>(leecher, 'pieces', { infohash: shared.infohash })
    expect(partial.verifiedPieces).toBe(19)
    expect(partial.files.map((file) => [file.path, file.verifiedBytes])).toEqual([
      ['a.bin', 300_000],
      ['b.bin', 0],
    ])
    // piece 0 is the high bit of the first byte; a.bin's 19 pieces come first
    const have = Buffer.from(partial.bitfield, 'base64')
    expect([have[0], have[1], have[2], have[3]]).toEqual([0xff, 0xff, 0b1110_0000, 0])

    const unknown = await rpc(seeder, 'pieces', { infohash: 'ab'.repeat(32) })
    expect(unknown.body.result).toBeNull()
    const bad = await rpc(seeder, 'pieces', { infohash: 'xyz' })
    expect(bad.body.error?.code).toBe(-32602)
  }, 90_000)

  it('settings: the folders, limits and listen addresses the daemon runs with', async () => {
    const settings = await call<Record<string, unknown>>(seeder, 'settings')
    expect(settings).toMatchObject({
      dataDir: seeder.dataDir,
      downloadDir: join(seeder.dataDir, 'downloads'),
      uploadLimit: 0,
      downloadLimit: 0,
      api: seeder.url,
      bootstrap: [],
      proxy: null,
      trackerAccounts: [],
    })
    expect(settings.addresses).toContain(seeder.peerAddress)
  })

  it('peers: the connected peers and the peers the node remembers, with their scores', async () => {
    type Peers = { connected: { peerId: string }[]; known: { peerId: string; score: number }[] }
    const seederId = (await call<{ peerId: string }>(seeder, 'status')).peerId
    // the node writes score changes every 5 s: wait for the seeder's good pieces to be counted
    const deadline = Date.now() + 30_000
    let peers = await call<Peers>(leecher, 'peers')
    while (!peers.known.some((peer) => peer.peerId === seederId) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      peers = await call<Peers>(leecher, 'peers')
    }
    expect(peers.connected.map((peer) => peer.peerId)).toContain(seederId)
    const known = peers.known.find((peer) => peer.peerId === seederId)
    expect(known?.score).toBeGreaterThan(0)
  }, 45_000)
})
