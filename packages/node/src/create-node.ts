import { mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { DhtNode, RoutingTableSnapshot } from '@mycel/dht'
import { bindUdpSocket, createUdpDhtNode } from '@mycel/dht/udp'
import type { StateStore } from '@mycel/store'
import { openSqliteStateStore } from '@mycel/store/sqlite'
import type { Transport } from '@mycel/transport'
import { Identity } from '@mycel/transport'
import { loadOrCreateIdentity } from '@mycel/transport/node'
import { describeProxy, socksFetch, socksTransport } from '@mycel/transport/socks'
import { tcpTransport } from '@mycel/transport/tcp'
import { openNodeWebSocket, webSocketTransport } from '@mycel/transport/ws'
import { findNativeChaCha20, nativeChaCha20Problem } from '@mycel/wire/crypto'
import { type ComponentLogger, componentLogger, describeError, type Logger, silentLogger } from '@mycel/wire/log'
import { assembleNode, checkPeerSources, resolveLimits } from './assemble.js'
import { checkTrackers } from './discovery/share-trackers.js'
import { MAX_WS_TRACKER_MESSAGE_CHARS } from './discovery/ws-tracker/messages.js'
import type { TrackerTransport } from './discovery.js'
import { checkAnnounceKey } from './discovery.js'
import { NodeError } from './errors.js'
import { fileSystemContent } from './fs/content.js'
import { MycelNode } from './fs/mycel-node.js'
import { fileSystemPrivateStorage } from './fs/private-storage.js'
import type { NodeOptions } from './options.js'
import { type PrivacySettings, resolvePrivacy } from './proxy-mode.js'
import { checkTrackerAccounts } from './receipts/account-wiring.js'
import { webRtcParts } from './signal/webrtc-wiring.js'
import { DHT_ROUTING_TABLE_KEY } from './state-keys.js'

/**
 * Creates and starts a node: loads (or creates) its identity, opens its
 * state, binds its listeners and DHT socket, and resumes the shares and
 * downloads it had before. With no options at all it works: state and
 * identity under `~/.mycel`, TCP on a free port, a DHT on a free UDP port.
 *
 * @param options - where to keep state, what to listen on, DHT bootstrap nodes, limits
 * @returns the running node
 * @throws `TransportError` (`LISTEN_FAILED` for a port in use, `PROXY_URL_INVALID`),
 *   `StoreError` (a state database that is corrupt or locked), `NodeError`
 *   (`PROXY_CONFLICT` for options that would go around the proxy,
 *   `ONION_INVALID`), `ABORTED`; whatever was opened is closed again
 *
 * @example
 * ```ts
 * import { createNode } from '@mycel/node'
 *
 * const node = await createNode({ dataDir: './.mycel', bootstrap: ['127.0.0.1:6881'] })
 * const download = node.download('magnet:?xt=urn:btmh:1220...', { dir: './downloads' })
 * await download.done()
 * await node.close()
 * ```
 */
export async function createNode(options: NodeOptions = {}): Promise<MycelNode> {
  const dataDir = resolve(options.dataDir ?? join(homedir(), '.mycel'))
  const limits = resolveLimits(options.limits ?? {})
  // Checked before anything is opened (assembleNode checks them again).
  checkAnnounceKey(options.announceKey)
  checkPeerSources(options.peerSources)
  checkTrackers(options.trackers)
  checkTrackerAccounts(options.trackerAccounts)
  const privacy = resolvePrivacy(options)
  if (privacy.proxy !== undefined && typeof options.webrtc === 'object' && options.webrtc.connect !== false) {
    throw new NodeError(
      'PROXY_CONFLICT',
      'webrtc goes around the proxy (ICE uses UDP and tells peers local addresses): it is off in proxy mode',
    )
  }
  if (options.directWrites !== undefined && typeof options.directWrites !== 'boolean') {
    throw new TypeError('directWrites must be a boolean')
  }
  const { signal } = options
  const logger: Logger = options.logger ?? silentLogger
  const log = componentLogger(logger, 'mycel:node')
  const opened: Array<() => Promise<void>> = []
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    // Anonymous mode: an identity for this session only, never written.
    const identity =
      options.identity ??
      (privacy.anonymous ? Identity.generate() : await loadOrCreateIdentity(join(dataDir, 'identity.json')))
    const state = options.state ?? (await openSqliteStateStore(join(dataDir, 'state.db'), { logger }))
    if (options.state === undefined) opened.push(() => state.close())
    const storage =
      options.content ??
      fileSystemContent({ maxOpenFiles: limits.maxOpenFiles, directWrites: options.directWrites ?? true, logger })
    opened.push(() => storage.close())
    const native = findNativeChaCha20()
    log.debug(
      native === undefined
        ? `private shares: ChaCha20 through node:crypto, no native module (${nativeChaCha20Problem()})`
        : `private shares: the native ChaCha20 (${native.path})`,
    )
    const dht = privacy.proxy === undefined ? await openDht(options, state, logger, log) : undefined
    if (dht !== undefined) opened.push(() => dht.close())
    if (privacy.proxy !== undefined) {
      log.info(
        `proxy mode: every connection goes through ${describeProxy(privacy.proxy)}; no DHT and no UDP at all ` +
          '(UDP cannot go through a SOCKS proxy): peers come from peer exchange, links, HTTP trackers and peer sources over the proxy' +
          (privacy.onion === undefined ? '; no listen address is told to peers' : `; peers are told ${privacy.onion}`) +
          '; no WebRTC (ICE would use UDP and tell peers local addresses)',
      )
    }
    if (signal?.aborted) throw NodeError.aborted(signal.reason)
    const webrtc =
      privacy.proxy === undefined
        ? webRtcParts(
            identity,
            options.webrtc,
            false,
            logger,
            // (a message of more UTF-8 bytes than the decoder takes characters is over its bound either way)
            (url) => openNodeWebSocket(url, { maxPayload: 4 * MAX_WS_TRACKER_MESSAGE_CHARS }),
          )
        : undefined
    const assembly = {
      identity,
      state,
      ownsState: options.state === undefined,
      storage,
      privateStorage: fileSystemPrivateStorage(join(dataDir, 'private')),
      transports: [...transportsOf(options, privacy, logger), ...(webrtc?.transports ?? [])],
      secure: options.secure,
      dht,
      downloadDir: resolve(options.downloadDir ?? join(dataDir, 'downloads')),
      protocols: [...(options.protocols ?? []), ...(webrtc?.protocols ?? [])],
      peerSources: [...(options.peerSources ?? []), ...(webrtc?.sources ?? [])],
      trackers: options.trackers,
      wsTrackers: webrtc?.wsTrackers,
      trackerTransport: trackerTransportOf(options, privacy),
      trackerAccounts: options.trackerAccounts,
      announceKey: options.announceKey,
      limits,
      changeCheckInterval: options.changeCheckInterval,
      // Behind a proxy, inbound connections come from the local Tor (an onion service), not the network.
      listen: [
        ...(options.listen ?? [privacy.proxy === undefined ? 'tcp://0.0.0.0:0' : 'tcp://127.0.0.1:0']),
        ...(webrtc?.listen ?? []),
      ],
      logger,
      clock: options.clock,
      channels: options.channels,
      signal,
      privacy: {
        status: privacy.status,
        advertise: privacy.proxy === undefined ? undefined : privacy.onion === undefined ? [] : [privacy.onion],
        dialsOnion: privacy.proxy !== undefined,
        anonymous: privacy.anonymous,
      },
    }
    opened.length = 0 // the node owns them now (and closes them if it fails to start)
    return await assembleNode(assembly, (parts) => new MycelNode(parts))
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => {})
    throw error
  }
}

/**
 * How trackers are reached: the global `fetch` and `node:dgram` sockets, or
 * with a proxy `fetch` through it and no UDP (`udp:` trackers then fail
 * with `TRACKER_UNSUPPORTED`).
 */
function trackerTransportOf(options: NodeOptions, privacy: PrivacySettings): TrackerTransport {
  if (privacy.proxy !== undefined) return { fetch: socksFetch({ proxy: privacy.proxy }) }
  return {
    ...options.trackerTransport,
    bindUdp: options.trackerTransport?.bindUdp ?? ((type) => bindUdpSocket({ type })),
  }
}

/** TCP and WebSocket, or with a proxy only the SOCKS transport (which listens on local TCP). */
function transportsOf(options: NodeOptions, privacy: PrivacySettings, logger: Logger): Transport[] {
  if (privacy.proxy !== undefined) return [socksTransport({ proxy: privacy.proxy, logger })]
  return options.transports ?? [tcpTransport({ logger }), webSocketTransport({ logger })]
}

async function openDht(
  options: NodeOptions,
  state: StateStore,
  logger: Logger,
  log: ComponentLogger,
): Promise<DhtNode | undefined> {
  if (options.dht === false) return undefined
  const settings = options.dht ?? {}
  if (settings.node !== undefined) return settings.node
  const saved = await state.getValue(DHT_ROUTING_TABLE_KEY)
  let routingTable: RoutingTableSnapshot | undefined
  try {
    routingTable = saved ? (JSON.parse(new TextDecoder().decode(saved)) as RoutingTableSnapshot) : undefined
  } catch (error) {
    routingTable = undefined // a damaged snapshot only costs a cold start
    log.info(`the saved DHT routing table does not parse, starting without it: ${describeError(error)}`)
  }
  return createUdpDhtNode({
    ...(settings.host !== undefined ? { host: settings.host } : {}),
    port: settings.port ?? 0,
    bootstrap: options.bootstrap ?? [],
    ...(routingTable ? { routingTable } : {}),
    logger,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
}
