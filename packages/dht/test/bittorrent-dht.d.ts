// The interop tests drive bittorrent-dht (a dev dependency without types) through a minimal shape.
declare module 'bittorrent-dht' {
  import type { EventEmitter } from 'node:events'

  interface Peer {
    host: string
    port: number
  }
  interface GetResult {
    v: Buffer
    seq?: number
    k?: Buffer
    sig?: Buffer
  }
  class DHT extends EventEmitter {
    constructor(options?: Record<string, unknown>)
    nodeId: Buffer
    listen(port: number, host: string, callback: () => void): void
    address(): { address: string; port: number }
    announce(infoHash: Uint8Array, port: number, callback: (err: Error | null) => void): void
    lookup(infoHash: Uint8Array, callback: (err: Error | null) => void): () => void
    put(options: Record<string, unknown>, callback: (err: Error | null, hash: Buffer, stored: number) => void): Buffer
    get(
      target: Uint8Array,
      options: Record<string, unknown>,
      callback: (err: Error | null, result: GetResult | null) => void,
    ): void
    destroy(callback: () => void): void
    toJSON(): { nodes: Peer[] }
  }
  export default DHT
}
