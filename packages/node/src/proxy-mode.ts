/**
 * Proxy mode and anonymous mode of a Node node (`proxy`, `onion`,
 * `anonymous` of `createNode`): checks the options and what they imply
 * before anything is opened. See docs/anonymity.md.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto'
import { describeProxy, parseProxyUrl, type SocksProxy } from '@mycel/transport/socks'
import { NodeError } from './errors.js'
import type { NodeOptions, PrivacyStatus } from './options.js'
import { isOnionV3Host } from './peer/onion.js'

/** What the privacy options of `createNode` come to. @internal */
export interface PrivacySettings {
  /** The SOCKS5 proxy every dial goes through, if any. */
  proxy: SocksProxy | undefined
  /** The onion address told to peers, as a transport address (`tcp://<name>.onion:<port>`). */
  onion: string | undefined
  /** No agent in `hello`, and a fresh identity unless the app gives one. */
  anonymous: boolean
  /** What `node.stats().privacy` shows. */
  status: PrivacyStatus
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

function base32Decode(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8))
  let bits = 0
  let value = 0
  let index = 0
  for (const char of text) {
    value = (value << 5) | BASE32.indexOf(char)
    bits += 5
    if (bits >= 8) {
      out[index++] = (value >> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  return out
}

/**
 * Parses the onion address of this node's onion service:
 * `<56 characters>.onion:<port>` (or `tcp://` before it). The v3 checksum
 * (SHA3-256 of `.onion checksum`, the key and the version) is checked, so a
 * typing mistake is caught here rather than by peers that never reach us.
 *
 * @param text - the address as given with `--onion`
 * @returns the transport address, `tcp://<name>.onion:<port>`
 * @throws {@link NodeError} `ONION_INVALID`
 */
export function parseOnionAddress(text: string): string {
  const invalid = (why: string): NodeError =>
    new NodeError('ONION_INVALID', `invalid onion address ${JSON.stringify(text)}: ${why}`)
  if (typeof text !== 'string') throw invalid('not a string')
  const match = /^(?:tcp:\/\/)?([a-z2-7]{56}\.onion):(\d{1,5})$/i.exec(text.trim())
  if (match === null) throw invalid('expected <56 characters>.onion:<port> (a v3 onion service)')
  const host = (match[1] as string).toLowerCase()
  const port = Number(match[2])
  if (port < 1 || port > 65535) throw invalid('the port must be 1 to 65535')
  if (!isOnionV3Host(host)) throw invalid('not a version 3 onion address')
  const bytes = base32Decode(host.slice(0, 56))
  const key = bytes.subarray(0, 32)
  const checksum = createHash('sha3-256')
    .update(Buffer.from('.onion checksum'))
    .update(key)
    .update(Uint8Array.of(3))
    .digest()
  if (checksum[0] !== bytes[32] || checksum[1] !== bytes[33]) throw invalid('its checksum does not match')
  return `tcp://${host}:${port}`
}

function conflict(message: string): NodeError {
  return new NodeError('PROXY_CONFLICT', message)
}

/**
 * Checks the privacy options against the rest: with a proxy, nothing may
 * reach the network another way (no DHT, no transports of the app, no peer
 * source that sends UDP), and an onion address needs a proxy (without one,
 * the node's own dials would tie the onion service to its IP address).
 *
 * @param options - the options of `createNode`
 * @returns the settings
 * @throws TransportError `PROXY_URL_INVALID`; {@link NodeError} `PROXY_CONFLICT`, `ONION_INVALID`;
 *   TypeError for options of the wrong type
 */
export function resolvePrivacy(options: NodeOptions): PrivacySettings {
  if (options.proxy !== undefined && typeof options.proxy !== 'string') {
    throw new TypeError('proxy must be a socks5:// URL')
  }
  if (options.anonymous !== undefined && typeof options.anonymous !== 'boolean') {
    throw new TypeError('anonymous must be a boolean')
  }
  const proxy = options.proxy === undefined ? undefined : parseProxyUrl(options.proxy)
  const onion = options.onion === undefined ? undefined : parseOnionAddress(options.onion)
  const anonymous = options.anonymous ?? false
  if (onion !== undefined && proxy === undefined) {
    throw conflict('an onion address needs a proxy: without one, the dials of this node would tie it to its IP address')
  }
  if (proxy !== undefined) {
    if (options.dht !== undefined && options.dht !== false) {
      throw conflict('a DHT cannot be used with a proxy: its UDP would go around the proxy (leave dht unset or false)')
    }
    if (options.transports !== undefined) {
      throw conflict('transports cannot be given with a proxy: the node dials through the SOCKS transport only')
    }
    if (options.trackerTransport !== undefined) {
      throw conflict(
        'trackerTransport cannot be given with a proxy: trackers are asked through the proxy, never over UDP',
      )
    }
    const udp = (options.peerSources ?? []).filter((source) => source.usesUdp === true)
    if (udp.length > 0) {
      const names = udp.map((source) => source.name).join(', ')
      throw conflict(`peer sources that send UDP cannot be used with a proxy: ${names}`)
    }
  }
  return {
    proxy,
    onion,
    anonymous,
    status: {
      proxy: proxy === undefined ? undefined : describeProxy(proxy),
      udp: proxy === undefined && options.dht !== false,
      onion,
      anonymous,
    },
  }
}
