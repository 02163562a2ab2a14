/**
 * A real PostgreSQL server for tests: a private cluster in a temporary
 * folder (initdb, pg_ctl), on 127.0.0.1 and a free port, stopped and
 * removed afterwards. As root it runs as the `postgres` user the Debian
 * package creates (PostgreSQL refuses to run as root). When PostgreSQL is
 * not installed the start fails with what to install: tests never skip.
 */
import { execFile } from 'node:child_process'
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)

const MISSING =
  'PostgreSQL is not installed: the tracker storage tests run a real PostgreSQL server (initdb, pg_ctl, postgres). ' +
  'On Debian: apt-get install -y postgresql (as root, `npm test` does it through scripts/system-deps.sh).'

/** Where to look for PostgreSQL's programs. */
export interface PostgresSearch {
  /** Debian's folder of versions. Default `/usr/lib/postgresql`. */
  readonly root?: string
  /** Whether to look in PATH too. Default true. */
  readonly path?: boolean
}

/** The folder of initdb and pg_ctl: Debian's /usr/lib/postgresql/<version>/bin (newest), else PATH. */
async function binaries(search: PostgresSearch): Promise<{ initdb: string; pgCtl: string }> {
  const root = search.root ?? '/usr/lib/postgresql'
  const versions = await readdir(root).catch(() => [] as string[])
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) {
    const bin = join(root, version, 'bin')
    const found = await readdir(bin).catch(() => [] as string[])
    if (found.includes('initdb') && found.includes('pg_ctl') && found.includes('postgres')) {
      return { initdb: join(bin, 'initdb'), pgCtl: join(bin, 'pg_ctl') }
    }
  }
  if (search.path === false) throw new Error(MISSING)
  try {
    await run('initdb', ['--version'])
    await run('pg_ctl', ['--version'])
    return { initdb: 'initdb', pgCtl: 'pg_ctl' }
  } catch {
    throw new Error(MISSING)
  }
}

/** As root: the uid and gid of the `postgres` user. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const passwd = await readFile('/etc/passwd', 'utf8')
  const line = passwd.split('\n').find((entry) => entry.startsWith('postgres:'))
  if (line === undefined) {
    throw new Error(
      'the tests run as root, and PostgreSQL refuses to: they run it as the "postgres" user, which does not exist here. ' +
        "Install Debian's postgresql package (it creates the user), or run the tests as another user.",
    )
  }
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** A running PostgreSQL server. */
export interface TestPostgres {
  /** The URL of a new, empty database on it (one per call). */
  database(): Promise<string>
  /** The URL of the server's `postgres` database. */
  readonly adminUrl: string
  /** Stops the server and removes its folder. */
  stop(): Promise<void>
}

/**
 * Starts a private PostgreSQL server.
 *
 * @param search - where to look for its programs (tests of this helper change it)
 * @returns the server
 * @throws Error saying what to install when PostgreSQL is missing
 */
export async function startPostgres(search: PostgresSearch = {}): Promise<TestPostgres> {
  const { initdb, pgCtl } = await binaries(search)
  const user = await serverUser()
  const dir = await mkdtemp(join(tmpdir(), 'mycel-tracker-pg-'))
  if (user !== undefined) await chown(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const as = user === undefined ? {} : { uid: user.uid, gid: user.gid }
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' }
  await run(initdb, ['-D', data, '-U', 'mycel', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C'], {
    ...as,
    env,
    cwd: dir,
  })
  const port = await freePort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`
  try {
    await run(pgCtl, ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'], {
      ...as,
      env,
      cwd: dir,
    })
  } catch (err) {
    const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '')
    await rm(dir, { recursive: true, force: true })
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`)
  }
  const adminUrl = `postgres://mycel@127.0.0.1:${port}/postgres`
  let count = 0
  return {
    adminUrl,
    async database() {
      const name = `tracker_test_${++count}`
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE ${name}`)
      } finally {
        await client.end()
      }
      return `postgres://mycel@127.0.0.1:${port}/${name}`
    },
    async stop() {
      await run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...as, env, cwd: dir }).catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}
