/**
 * Finds the libtorrent reference: Debian's `python3-libtorrent`, the binding
 * of the native engine inside qBittorrent and Deluge, for Debian's own
 * Python (`/usr/bin/python3`). When it is missing and this process is root on
 * a machine with apt-get, it is installed as the tests' system packages are
 * (`scripts/system-deps.sh`); otherwise the benchmark says so and runs
 * without it.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The Python that Debian's binding is installed for. */
export const LIBTORRENT_PYTHON = '/usr/bin/python3'

/** The libtorrent peer script, run with {@link LIBTORRENT_PYTHON}. */
export const LIBTORRENT_PEER = fileURLToPath(new URL('libtorrent-peer.py', import.meta.url))

/** The libtorrent reference of this run, or why there is none. */
export type LibtorrentInstall =
  | { readonly available: true; readonly version: string; readonly installSeconds: number }
  | { readonly available: false; readonly reason: string }

async function version(): Promise<string | undefined> {
  if (!existsSync(LIBTORRENT_PYTHON)) return undefined
  try {
    const { stdout } = await run(LIBTORRENT_PYTHON, ['-c', 'import libtorrent; print(libtorrent.__version__)'])
    return stdout.trim()
  } catch {
    return undefined
  }
}

async function hasAptGet(): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v apt-get'])
    return true
  } catch {
    return false
  }
}

/** Finds libtorrent's Python binding, installing it from Debian where this process may. */
export async function findLibtorrent(): Promise<LibtorrentInstall> {
  const found = await version()
  if (found !== undefined) return { available: true, version: found, installSeconds: 0 }
  if (process.getuid?.() !== 0 || !(await hasAptGet())) {
    return {
      available: false,
      reason:
        'python3-libtorrent is not installed and this is not root with apt-get (apt-get install python3-libtorrent)',
    }
  }
  const start = performance.now()
  const apt = ['-o', 'DPkg::Lock::Timeout=600', '-o', 'Acquire::Retries=3']
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  try {
    await run('apt-get', [...apt, 'update', '-qq'], { env })
    await run('apt-get', [...apt, 'install', '-y', '-qq', '--no-install-recommends', 'python3-libtorrent'], { env })
  } catch (error) {
    return { available: false, reason: `apt-get install python3-libtorrent failed: ${(error as Error).message}` }
  }
  const installed = await version()
  if (installed === undefined) return { available: false, reason: 'python3-libtorrent installed, but does not import' }
  return { available: true, version: installed, installSeconds: (performance.now() - start) / 1000 }
}
