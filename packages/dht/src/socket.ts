import type { PeerAddress } from './address.js'

/**
 * Called for every datagram a {@link DatagramSocket} receives.
 *
 * @param datagram - the payload; the receiver may keep views into it
 * @param from - the sender's IP address (canonical text) and port
 */
export type DatagramHandler = (datagram: Uint8Array, from: PeerAddress) => void

/**
 * What a DHT node needs from the network: send and receive whole datagrams.
 * The routing and protocol logic knows nothing else about UDP, so the same
 * node runs on `@mycel/dht/udp` (node:dgram) or the simulated
 * `MemoryNetwork` of `@mycel/dht/testing`.
 *
 * Implementations must never throw from `send` (a datagram that cannot be
 * sent is lost, as UDP loses datagrams) and must deliver datagrams to the
 * handler set last by `onDatagram`.
 */
export interface DatagramSocket {
  /** The address this socket is bound to (the real port when bound to port 0). */
  readonly localAddress: PeerAddress
  /**
   * Sends one datagram. Never throws; failures are losses.
   * @param datagram - the payload
   * @param to - destination IP address and port
   */
  send(datagram: Uint8Array, to: PeerAddress): void
  /**
   * Sets the receiver of every incoming datagram (replacing any earlier one).
   * @param handler - called once per datagram
   */
  onDatagram(handler: DatagramHandler): void
  /**
   * Resolves a host name to IP addresses of this socket's family, for
   * bootstrap lists that name hosts. Optional: sockets without it accept only
   * IP addresses.
   * @param host - a host name
   * @param options - cancellation
   * @returns IP address text, first preferred
   */
  resolve?(host: string, options?: { signal?: AbortSignal }): Promise<string[]>
  /** Stops receiving and releases the socket. Idempotent. */
  close(): Promise<void>
}
