/**
 * Installs the WebTorrent reference at bench time into a folder of its own,
 * outside the workspaces, so it never becomes a project dependency and the
 * project's lockfile and `npm ci` stay untouched. Reused while it holds the
 * pinned version.
 *
 * WebTorrent's WebRTC stack (`@thaunknown/simple-peer` -> `webrtc-polyfill`
 * -> `node-datachannel`, a native module whose install script downloads a
 * binary) is replaced through `overrides` by a local stub package: the
 * transfer benchmarks use TCP only. The WebRTC benchmark (`webrtc.bench.ts`)
 * sets `globalThis.__mycelBenchWebRtc` to the workspace's own
 * `node-datachannel/polyfill` before it loads WebTorrent, and the stub hands
 * that out instead. `--ignore-scripts` keeps every install script from
 * running and `--omit=optional` leaves out `utp-native` (uTP is off) and the
 * optional native helpers of `ws`.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** The WebTorrent release measured (the newest when this bench was written). */
export const WEBTORRENT_VERSION = '3.0.21'

const STUB_VERSION = '0.0.0-mycel-bench-stub'

const STUB_SOURCE = `// Stands in for webrtc-polyfill. The transfer benchmarks use TCP peers only; the WebRTC benchmark
// sets globalThis.__mycelBenchWebRtc (node-datachannel's polyfill, the workspace's) before it loads WebTorrent.
class Unavailable {
  constructor () { throw new Error('WebRTC is not available in the mycel benchmark') }
}
const given = globalThis.__mycelBenchWebRtc
export const RTCPeerConnection = given?.RTCPeerConnection ?? Unavailable
export const RTCSessionDescription = given?.RTCSessionDescription ?? Unavailable
export const RTCIceCandidate = given?.RTCIceCandidate ?? Unavailable
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
`

/** Where WebTorrent is installed, and how it got there. */
export interface WebTorrentInstall {
  dir: string
  version: string
  /** Seconds the install took; 0 when an earlier install was reused. */
  installSeconds: number
}

function installedVersion(dir: string, name: string): string | undefined {
  const manifest = join(dir, 'node_modules', name, 'package.json')
  if (!existsSync(manifest)) return undefined
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

/** The environment without what `npm run` sets, so the nested install does not see the workspace's settings. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')))
}

/**
 * Installs WebTorrent (pinned) into `dir` unless it is there already.
 *
 * @param dir - the isolated folder; default `<tmpdir>/mycel-bench-webtorrent`
 * @returns the folder and the version installed
 * @throws when npm fails or the result is not the expected one
 */
export async function installWebTorrent(dir = join(tmpdir(), 'mycel-bench-webtorrent')): Promise<WebTorrentInstall> {
  const ready = () =>
    installedVersion(dir, 'webtorrent') === WEBTORRENT_VERSION &&
    installedVersion(dir, 'webrtc-polyfill') === STUB_VERSION
  // The stub is linked (`file:`), so its source is rewritten on every run: an older install takes the new one.
  const stubDir = join(dir, 'webrtc-polyfill-stub')
  mkdirSync(stubDir, { recursive: true })
  writeFileSync(join(stubDir, 'index.js'), STUB_SOURCE)
  if (ready()) return { dir, version: WEBTORRENT_VERSION, installSeconds: 0 }
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true })
  writeFileSync(
    join(stubDir, 'package.json'),
    JSON.stringify({
      name: 'webrtc-polyfill',
      version: STUB_VERSION,
      type: 'module',
      exports: { '.': './index.js', './polyfill': './index.js' },
    }),
  )
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'mycel-bench-webtorrent',
      private: true,
      type: 'module',
      dependencies: { webtorrent: WEBTORRENT_VERSION },
      overrides: { 'webrtc-polyfill': 'file:./webrtc-polyfill-stub' },
    }),
  )
  const start = performance.now()
  await promisify(execFile)(
    'npm',
    ['install', '--ignore-scripts', '--omit=optional', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: dir, env: cleanEnvironment(), maxBuffer: 16 * 1024 * 1024 },
  )
  if (!ready())
    throw new Error(`WebTorrent ${WEBTORRENT_VERSION} with the WebRTC stub is not in ${dir} after npm install`)
  if (existsSync(join(dir, 'node_modules', 'node-datachannel'))) throw new Error('node-datachannel was installed')
  return { dir, version: WEBTORRENT_VERSION, installSeconds: (performance.now() - start) / 1000 }
}
