import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, Notifications, type TestDaemon } from './daemon-helpers.js'
import { ensureBuilt, ROOT, Sandbox, writeContent } from './helpers.js'

/** `npm run testnet` (examples/cli/scripts/testnet.ts) as a person runs it, stopped as Ctrl-C stops it. */

const SCRIPT = join(ROOT, 'examples/cli/scripts/testnet.ts')
const sandbox = new Sandbox()

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  await ensureBuilt()
  const built = spawnSync(
    'flock',
    [
      join(tmpdir(), 'mycel-cli-test-build.lock'),
      'npx',
      'turbo',
      'run',
      'build',
      '--filter=@mycel/tracker...',
      '--output-logs=errors-only',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
  )
  if (built.status !== 0) throw new Error(`building the tracker failed: ${built.stdout}${built.stderr}`)
}, 600_000)

afterAll(() => sandbox.cleanup())

describe('npm run testnet', () => {
  it('starts a DHT node, a tracker and daemons that share through them, and stops them all on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, '--nodes', '2', '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const value = JSON.parse(line) as Record<string, unknown>
          if (value.event === 'testnet') resolve(value)
        })
        void exited.then((code) => reject(new Error(`testnet exited with ${code}: ${stderr}`)))
      })
      const nodes = ready.nodes as (TestDaemon & { pid: number; name: string })[]
      expect(nodes.map((node) => node.name)).toEqual(['node-1', 'node-2'])
      expect(String(ready.bootstrap)).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(String(ready.tracker)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/announce$/)
      const [first, second] = nodes as unknown as [TestDaemon, TestDaemon]
      // each node's web UI address, the token in its fragment, serves the page
      for (const node of nodes as unknown as (TestDaemon & { ui: string })[]) {
        expect(node.ui).toBe(`${node.url}/#token=${node.token}`)
        const page = await fetch(node.ui)
        expect(page.status).toBe(200)
        expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      }
      // a share on one node is found by the other through the testnet (its tracker and DHT: no peer address given)
      const file = join(await sandbox.dir(), 'on-the-testnet.bin')
      await writeContent(file, 200_000, 41)
      const shared = await call<{ infohash: string; magnet: string }>(first, 'share', {
        path: file,
        trackers: [String(ready.tracker)],
      })
      const notifications = await Notifications.open(second)
      await call(second, 'add', { link: shared.magnet, dir: await sandbox.dir() })
      await notifications.waitFor((n) => n.method === 'done' && n.params.infohash === shared.infohash, 90_000)
      notifications.close()

      child.kill('SIGINT')
      expect(await exited).toBe(0)
      for (const node of nodes) expect(alive(node.pid), node.name).toBe(false)
      expect(existsSync(String(ready.dir))).toBe(false)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 180_000)
})
