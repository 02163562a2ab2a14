import type { StateStore } from '@mycel/store'
import { type BrowserStorage, openBrowserStorage, openIndexedDbStateStore } from '@mycel/store/browser'
import { Identity, type Transport } from '@mycel/transport'
import { webSocketTransport } from '@mycel/transport/ws'
import { assembleNode } from '../assemble.js'
import type { CoreNodeOptions } from '../create-core-node.js'
import type { TrackerWebSocket } from '../discovery/ws-tracker/ws-tracker-client.js'
import { MycelNode } from '../node.js'
import { type WebRtcNodeOptions, webRtcParts } from '../signal/webrtc-wiring.js'
import { BrowserContent } from './browser-content.js'

/** The key of the state store's key/value area under which a browser node keeps its identity's secret key. */
export const BROWSER_IDENTITY_KEY = 'mycel/identity'

/** Options of {@link createBrowserNode}: every part of {@link CoreNodeOptions} may be given, none must be. */
export interface BrowserNodeOptions
  extends Partial<Omit<CoreNodeOptions, 'content' | 'state' | 'transports' | 'identity' | 'downloadDir'>> {
  /** The node's identity; default the one kept in the state store (made and kept there the first time). */
  identity?: Identity
  /** Where state is kept; default IndexedDB (`openIndexedDbStateStore()`, database `mycel-state`). */
  state?: StateStore
  /** Where shares' bytes live; default `openBrowserStorage()` (OPFS through a worker, else IndexedDB). */
  storage?: BrowserStorage
  /** Transports to dial with; default the browser's WebSocket (`webSocketTransport()`). */
  transports?: Transport[]
  /** The folder of the storage downloads go to; default `downloads`. */
  downloadDir?: string
  /**
   * WebRTC data channels to other browsers and Node peers, signalled through
   * connected peers (`signal/1`). Default on where the page has
   * `RTCPeerConnection`; `false` turns it off.
   */
  webrtc?: WebRtcNodeOptions | false
}

/**
 * Creates and starts a node in a web page (or a worker): the node core of
 * `@mycel/node/core` with browser defaults for every part: state in
 * IndexedDB, shares' bytes in OPFS (IndexedDB where there is none), the
 * browser's WebSocket to dial Node peers (`ws://` and `wss://` addresses;
 * a page cannot listen, so peers reach it over the connections it makes),
 * and an identity kept in the state store. There is no DHT in a page (no
 * UDP): peers come from links, direct addresses and trackers.
 *
 * @param options - any part to give instead of its default
 * @returns the running node; `close()` closes the state and storage it opened
 * @throws `StoreError` when IndexedDB or OPFS cannot be opened; as `createCoreNode`
 *
 * @example
 * ```ts
 * import { createBrowserNode } from '@mycel/node/browser'
 *
 * const node = await createBrowserNode()
 * const download = node.download(magnet, { peers: ['wss://seed.example.org/mycel'] })
 * download.on('progress', (p) => show(p.verifiedBytes / p.totalBytes))
 * await download.done()
 * ```
 */
export async function createBrowserNode(options: BrowserNodeOptions = {}): Promise<MycelNode> {
  const ownsState = options.state === undefined
  const state = options.state ?? (await openIndexedDbStateStore())
  let content: BrowserContent | undefined
  try {
    content = new BrowserContent(options.storage ?? (await openBrowserStorage()), options.storage === undefined)
    const identity = options.identity ?? (await keptIdentity(state))
    const hasRtc = typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function'
    const PageWebSocket = (globalThis as { WebSocket?: new (url: string) => TrackerWebSocket }).WebSocket
    const webrtc = webRtcParts(
      identity,
      options.webrtc,
      hasRtc,
      options.logger,
      PageWebSocket === undefined ? undefined : (url) => new PageWebSocket(url),
    )
    return await assembleNode(
      {
        identity,
        state,
        ownsState,
        storage: content,
        transports: [...(options.transports ?? [webSocketTransport()]), ...webrtc.transports],
        secure: options.secure,
        dht: options.dht,
        downloadDir: options.downloadDir ?? 'downloads',
        protocols: [...(options.protocols ?? []), ...webrtc.protocols],
        peerSources: [...(options.peerSources ?? []), ...webrtc.sources],
        trackers: options.trackers,
        wsTrackers: webrtc.wsTrackers,
        trackerTransport: options.trackerTransport,
        announceKey: options.announceKey,
        limits: options.limits,
        changeCheckInterval: options.changeCheckInterval,
        listen: [...(options.listen ?? []), ...webrtc.listen],
        logger: options.logger,
        clock: options.clock,
        signal: options.signal,
      },
      (parts) => new MycelNode(parts),
    )
  } catch (error) {
    await content?.close()
    if (ownsState) await state.close()
    throw error
  }
}

/** The identity kept in the state store, or a new one kept there. */
async function keptIdentity(state: StateStore): Promise<Identity> {
  const kept = await state.getValue(BROWSER_IDENTITY_KEY)
  if (kept !== undefined && kept.length === 32) return Identity.fromSecretKey(kept)
  const identity = Identity.generate()
  await state.setValue(BROWSER_IDENTITY_KEY, identity.exportSecretKey())
  return identity
}
