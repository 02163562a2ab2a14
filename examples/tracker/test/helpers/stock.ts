/**
 * Stock BitTorrent clients from Debian (aria2c, libtorrent's Python
 * binding). When one is missing, the test fails saying what to install:
 * tests never skip because a tool is absent.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

const HOW = '(as root, `npm test` installs it through scripts/system-deps.sh)'

/** The aria2c program, checked to be there. */
export async function aria2c(): Promise<string> {
  try {
    await run('aria2c', ['--version'])
    return 'aria2c'
  } catch {
    throw new Error(
      `aria2c is not installed: the tracker tests run it as a stock client. On Debian: apt-get install -y aria2 ${HOW}`,
    )
  }
}

/**
 * A Python that has libtorrent: Debian's /usr/bin/python3, where
 * python3-libtorrent installs (a python3 earlier in PATH, such as pyenv's,
 * does not see it).
 */
export async function libtorrentPython(): Promise<string> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      await run(python, ['-c', 'import libtorrent'])
      return python
    } catch {}
  }
  throw new Error(
    `libtorrent's Python binding is not installed: the tracker tests run it as a stock client. On Debian: apt-get install -y python3-libtorrent ${HOW}`,
  )
}

/** aria2c options for a client that finds peers only through its trackers. */
export const ARIA2_TRACKER_ONLY = [
  '--no-conf',
  '--enable-dht=false',
  '--enable-dht6=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--file-allocation=none',
  '--console-log-level=warn',
  '--summary-interval=0',
  '--auto-file-renaming=false',
  '--allow-overwrite=true',
  '--bt-tracker-connect-timeout=5',
  '--bt-tracker-timeout=5',
]
