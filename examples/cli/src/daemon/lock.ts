import { readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CliError } from '../errors.js'
import { DAEMON_FILE_NAME, type DaemonFile } from './protocol.js'

/**
 * Whether a process with this pid runs (one of another user counts as running).
 *
 * @param pid - a process id
 * @returns true when it runs
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Reads `daemon.json` of a data folder.
 *
 * @param dataDir - the data folder
 * @returns what it holds, or undefined when there is none (or it is not ours)
 */
export async function readDaemonFile(dataDir: string): Promise<DaemonFile | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dataDir, DAEMON_FILE_NAME), 'utf8')) as Partial<DaemonFile>
    if (!Number.isSafeInteger(value.pid) || typeof value.url !== 'string') return undefined
    return { pid: value.pid as number, url: value.url, startedAt: Number(value.startedAt) || 0 }
  } catch {
    return undefined
  }
}

/**
 * The one-daemon-per-data-folder lock: `daemon.json`, created exclusively
 * with the daemon's pid, then given its URL once the server listens (so
 * clients find it there). A file left by a daemon that died (its pid runs
 * no more) is replaced; one of a live daemon refuses the start.
 */
export class DaemonLock {
  private released: Promise<void> | undefined

  private constructor(
    private readonly path: string,
    private readonly startedAt: number,
  ) {}

  /**
   * Takes the lock of a data folder.
   *
   * @param dataDir - the data folder (it exists)
   * @returns the lock; release it when the daemon stops
   * @throws {@link CliError} `DATA_DIR_BUSY` when a daemon runs for the folder
   */
  static async acquire(dataDir: string): Promise<DaemonLock> {
    const path = join(dataDir, DAEMON_FILE_NAME)
    const startedAt = Date.now()
    const content = JSON.stringify({ pid: process.pid, url: '', startedAt } satisfies DaemonFile)
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(path, content, { flag: 'wx', mode: 0o600 })
        return new DaemonLock(path, startedAt)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(dataDir, error)
      }
      const holder = await readDaemonFile(dataDir)
      if (holder !== undefined && holder.pid !== process.pid && processAlive(holder.pid)) {
        throw new CliError(
          'DATA_DIR_BUSY',
          `a mycel daemon already runs for ${dataDir} (pid ${holder.pid}${holder.url === '' ? '' : `, ${holder.url}`})`,
          'use it (mycel commands talk to it), stop it first, or give another --data-dir',
        )
      }
      await unlink(path).catch(() => {}) // left by a daemon that died
    }
  }

  /**
   * Writes the server's URL into the lock file (atomically: clients never read half of it).
   *
   * @param url - `http://host:port`
   */
  async publish(url: string): Promise<void> {
    const next = `${this.path}.${process.pid}.tmp`
    await writeFile(next, JSON.stringify({ pid: process.pid, url, startedAt: this.startedAt }), { mode: 0o600 })
    await rename(next, this.path)
  }

  /** Removes the lock file if it is still this process's. Idempotent. */
  release(): Promise<void> {
    this.released ??= (async () => {
      const dataDir = join(this.path, '..')
      if ((await readDaemonFile(dataDir))?.pid === process.pid) await unlink(this.path).catch(() => {})
    })()
    return this.released
  }
}

function lockError(dataDir: string, cause: unknown): CliError {
  return new CliError('PERMISSION_DENIED', `cannot write the daemon lock in ${dataDir}`, 'check the data folder', {
    cause,
  })
}
