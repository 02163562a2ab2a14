/**
 * BEP 15 connection ids that need no state per client: 4 bytes of issue
 * time (seconds) and 4 bytes of an HMAC-SHA256, under the tracker's secret,
 * of that time and the client's address. A client that spoofs its source
 * address never sees the id, so it cannot announce from it; an id is
 * accepted for 2 minutes (BEP 15: clients use one for 1 minute). The secret
 * lives in storage, so ids survive a restart and hold across the processes
 * of one database.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { PeerAddress } from '../address.js'

/** Seconds an id is accepted after it was issued. */
export const CONNECTION_ID_LIFETIME = 120

/** Issues and checks connection ids. */
export class ConnectionIds {
  /**
   * @param secret - the tracker's secret
   * @param nowSeconds - the tracker's clock, in seconds
   * @param lifetime - seconds an id is accepted (default {@link CONNECTION_ID_LIFETIME})
   */
  constructor(
    private readonly secret: Uint8Array,
    private readonly nowSeconds: () => number,
    private readonly lifetime = CONNECTION_ID_LIFETIME,
  ) {}

  private mac(issued: number, address: PeerAddress): Buffer {
    const head = Buffer.allocUnsafe(4)
    head.writeUInt32BE(issued >>> 0)
    return createHmac('sha256', this.secret).update(head).update(address.ip).digest().subarray(0, 4)
  }

  /**
   * A new id for a client.
   *
   * @param address - where its connect request came from
   * @returns 8 bytes
   */
  issue(address: PeerAddress): Uint8Array {
    const issued = Math.floor(this.nowSeconds()) >>> 0
    const id = Buffer.allocUnsafe(8)
    id.writeUInt32BE(issued)
    this.mac(issued, address).copy(id, 4)
    return id
  }

  /**
   * Whether an id was issued to this address by a tracker with this secret
   * within the lifetime.
   *
   * @param id - the 8 bytes a request carries
   * @param address - where the request came from
   * @returns true when it is valid
   */
  check(id: Uint8Array, address: PeerAddress): boolean {
    if (id.length !== 8) return false
    const issued =
      ((id[0] as number) * 2 ** 24 + (((id[1] as number) << 16) | ((id[2] as number) << 8) | (id[3] as number))) >>> 0
    const age = (Math.floor(this.nowSeconds()) >>> 0) - issued
    if (age < 0 || age > this.lifetime) return false
    return timingSafeEqual(this.mac(issued, address), id.subarray(4, 8))
  }
}
