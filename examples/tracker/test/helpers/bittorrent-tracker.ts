/**
 * Installs the `bittorrent-tracker` npm package (its client for the tests,
 * its server for the benchmark) into a folder of its own, outside the
 * workspaces, so it never becomes a project dependency and `npm ci` stays
 * untouched. Reused while it holds the pinned version.
 *
 * Its WebRTC stack (`@thaunknown/simple-peer` -> `webrtc-polyfill` ->
 * `node-datachannel`, whose install script downloads a binary) is replaced
 * through `overrides` by a local stub: HTTP and UDP trackers need no
 * WebRTC. `--ignore-scripts` keeps every install script from running and
 * `--omit=optional` leaves out the optional native helpers of `ws`.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** The release used (the newest when this was written). */
export const BITTORRENT_TRACKER_VERSION = '11.2.3'

const STUB_VERSION = '0.0.0-mycel-test-stub'

const STUB_SOURCE = `// Stands in for webrtc-polyfill: HTTP and UDP trackers need no WebRTC.
class Unavailable {
  constructor () { throw new Error('WebRTC is not available in the mycel tests') }
}
export const RTCPeerConnection = Unavailable
export const RTCSessionDescription = Unavailable
export const RTCIceCandidate = Unavailable
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
`

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
 * Installs bittorrent-tracker (pinned) into `dir` unless it is there already
 * (`flock` keeps a test and the benchmark from running npm in it at once).
 *
 * @param dir - the folder; default `<tmpdir>/mycel-bittorrent-tracker`
 * @returns the folder whose `node_modules` holds the package
 * @throws when npm fails or the result is not the expected one
 */
export async function installBittorrentTracker(dir = join(tmpdir(), 'mycel-bittorrent-tracker')): Promise<string> {
  const ready = () =>
    installedVersion(dir, 'bittorrent-tracker') === BITTORRENT_TRACKER_VERSION &&
    installedVersion(dir, 'webrtc-polyfill') === STUB_VERSION
  if (ready()) return dir
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true })
  const stubDir = join(dir, 'webrtc-polyfill-stub')
  mkdirSync(stubDir, { recursive: true })
  writeFileSync(
    join(stubDir, 'package.json'),
    JSON.stringify({
      name: 'webrtc-polyfill',
      version: STUB_VERSION,
      type: 'module',
      exports: { '.': './index.js', './polyfill': './index.js' },
    }),
  )
  writeFileSync(join(stubDir, 'index.js'), STUB_SOURCE)
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'mycel-bittorrent-tracker-reference',
      private: true,
      type: 'module',
      dependencies: { 'bittorrent-tracker': BITTORRENT_TRACKER_VERSION },
      overrides: { 'webrtc-polyfill': 'file:./webrtc-polyfill-stub' },
    }),
  )
  await promisify(execFile)(
    'flock',
    [
      join(tmpdir(), 'mycel-bittorrent-tracker.lock'),
      'npm',
      'install',
      '--ignore-scripts',
      '--omit=optional',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: dir, env: cleanEnvironment(), maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
  )
  if (!ready()) {
    throw new Error(
      `bittorrent-tracker ${BITTORRENT_TRACKER_VERSION} with the WebRTC stub is not in ${dir} after npm install`,
    )
  }
  if (existsSync(join(dir, 'node_modules', 'node-datachannel'))) throw new Error('node-datachannel was installed')
  return dir
}
