/**
 * WebTorrent's side of `webrtc.bench.ts`: the reference installed at bench
 * time (`webtorrent-install.ts`, outside the workspaces), a local WebSocket
 * tracker, pages running WebTorrent's browser bundle, and WebTorrent in Node
 * as a seeder over WebRTC.
 *
 * - The tracker is the `bittorrent-tracker` server WebTorrent itself depends
 *   on (WebSocket only, on 127.0.0.1): it relays offers and answers per
 *   swarm, as WebTorrent's public trackers do.
 * - WebTorrent in Node gets its WebRTC from `webrtc-polyfill`, which the
 *   install replaces by a stub; here the stub is handed the workspace's
 *   `node-datachannel/polyfill` (the library mycel's Node peers use), so both
 *   implementations run on the same native WebRTC stack.
 * @module
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { RTCIceCandidate, RTCPeerConnection, RTCSessionDescription } from 'node-datachannel/polyfill'
import type { Browser } from 'playwright-core'
import { openPage, type TestPage } from '../../../test/browser/support/chromium.js'

// What the stub of `webrtc-polyfill` hands out (see `webtorrent-install.ts`). Set when this module loads: the
// stub reads it once, when the first of WebTorrent's modules that import it loads, and the tracker server
// (`bittorrent-tracker`, whose client imports `simple-peer`) is one of them.
// Two things the real `webrtc-polyfill` does over `node-datachannel`'s polyfill, which `simple-peer` needs:
// descriptions whose `sdp` it may rewrite (the polyfill's are read-only), and the `icecandidate` event with
// no candidate when gathering ends (without it, simple-peer signals only after its 5 s gathering timeout).
class PlainDescriptionPeerConnection extends RTCPeerConnection {
  constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
    super(...args)
    this.addEventListener('icegatheringstatechange', () => {
      if (this.iceGatheringState === 'complete') {
        this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: null }))
      }
    })
  }
  override async createOffer(...args: Parameters<RTCPeerConnection['createOffer']>) {
    const made = await super.createOffer(...args)
    return { type: made.type, sdp: made.sdp } as typeof made
  }
  override async createAnswer(...args: Parameters<RTCPeerConnection['createAnswer']>) {
    const made = await super.createAnswer(...args)
    return { type: made.type, sdp: made.sdp } as typeof made
  }
}
;(globalThis as { __mycelBenchWebRtc?: unknown }).__mycelBenchWebRtc = {
  RTCPeerConnection: PlainDescriptionPeerConnection,
  RTCSessionDescription,
  RTCIceCandidate,
}

/**
 * WebTorrent's WebRTC configuration here: no STUN server, as mycel's
 * transport has by default. WebTorrent's default names two public STUN
 * servers; with no way out to them, every connection would first wait out
 * simple-peer's 5 s ICE gathering timeout (it signals once gathering ends).
 */
export const RTC_CONFIG = { iceServers: [] }

/** A running WebSocket tracker. */
export interface LocalTracker {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string
  close(): Promise<void>
}

interface TrackerServer {
  on(event: 'listening', listener: () => void): void
  on(event: 'error' | 'warning', listener: (error: Error) => void): void
  listen(port: number, hostname: string): void
  ws: { address(): { port: number } }
  close(callback: () => void): void
}

interface NodeTorrent {
  magnetURI: string
}
interface NodeWebTorrent {
  seed(path: string, options: Record<string, unknown>, onSeed: (torrent: NodeTorrent) => void): void
  on(event: 'error', listener: (error: Error) => void): void
  destroy(callback?: (error?: Error) => void): void
}

/**
 * Starts `bittorrent-tracker`'s server, WebSocket only, on 127.0.0.1.
 * @param dir - the WebTorrent install (the tracker is one of its dependencies)
 */
export async function startTracker(dir: string): Promise<LocalTracker> {
  const module = join(dir, 'node_modules', 'bittorrent-tracker', 'index.js')
  const { Server } = (await import(pathToFileURL(module).href)) as {
    Server: new (options: Record<string, unknown>) => TrackerServer
  }
  const server = new Server({ udp: false, http: false, ws: true, stats: false })
  server.on('warning', () => {})
  await new Promise<void>((resolve, reject) => {
    server.on('listening', resolve)
    server.on('error', reject)
    server.listen(0, '127.0.0.1')
  })
  return {
    url: `ws://127.0.0.1:${server.ws.address().port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * Opens a page running WebTorrent's browser bundle (`webrtc-webtorrent-page.ts`) in its own context.
 * @param dir - the WebTorrent install
 */
export async function openWebTorrentPage(browser: Browser, dir: string): Promise<TestPage> {
  const bundle = readFileSync(join(dir, 'node_modules', 'webtorrent', 'dist', 'webtorrent.min.js'), 'utf8')
  return openPage(browser, 'packages/node/bench/webrtc-webtorrent-page.ts', {
    scripts: { 'webtorrent.min.js': bundle },
  })
}

/** A WebTorrent client in this process, seeding one file over WebRTC through the tracker. */
export interface NodeWebTorrentSeeder {
  readonly magnet: string
  close(): Promise<void>
}

/**
 * Seeds `path` with WebTorrent in Node, announced to `tracker` only (DHT, LSD,
 * uTP, web seeds and its TCP listener's NAT traversal off), its WebRTC from
 * `node-datachannel`'s polyfill.
 * @throws when WebTorrent fails to load or to seed
 */
export async function seedWithNodeWebTorrent(
  dir: string,
  path: string,
  tracker: string,
): Promise<NodeWebTorrentSeeder> {
  const module = join(dir, 'node_modules', 'webtorrent', 'index.js')
  const { default: WebTorrent } = (await import(pathToFileURL(module).href)) as {
    default: new (options: Record<string, unknown>) => NodeWebTorrent
  }
  const client = new WebTorrent({
    dht: false,
    lsd: false,
    utp: false,
    natUpnp: false,
    natPmp: false,
    webSeeds: false,
    tracker: { rtcConfig: RTC_CONFIG },
  })
  const failed = new Promise<never>((_, reject) => client.on('error', reject))
  const torrent = await Promise.race([
    new Promise<NodeTorrent>((resolve) => client.seed(path, { announce: [tracker] }, resolve)),
    failed,
  ])
  return {
    magnet: torrent.magnetURI,
    close: () => new Promise<void>((resolve) => client.destroy(() => resolve())),
  }
}
