/**
 * Onion addresses (Tor v3 onion services) in transport addresses: how the
 * node tells them apart. They are dialled only through a SOCKS proxy, by
 * name, and never resolved locally (RFC 7686).
 * @internal
 * @module
 */

/** A v3 onion host: 56 base32 characters (a key, a checksum and version 3), then `.onion`. */
const ONION_HOST = /^[a-z2-7]{55}d\.onion$/

/** Whether a host name is in the `.onion` domain (any label before it, any case). */
export function isOnionHost(host: string): boolean {
  return /\.onion\.?$/i.test(host)
}

/** Whether a host is a well-formed v3 onion name (lower case; the checksum is not checked here). */
export function isOnionV3Host(host: string): boolean {
  return ONION_HOST.test(host)
}

/**
 * Whether a transport address names an onion host (`tcp://<name>.onion:<port>`).
 * Text that is not an address is not one.
 */
export function isOnionAddress(address: string): boolean {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/:[\]]+)(?::\d+)?(?:\/.*)?$/i.exec(address)
  return match !== null && isOnionHost(match[1] as string)
}
