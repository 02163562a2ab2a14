import { decodeMetadata, type Manifest } from '@mycel/pieces'
import type { ControlClient } from '../control/client.js'
import type { SearchHitView, ShareView, StatusView } from '../views.js'
import type { NodeAccess, PeersView } from './access.js'

/** {@link NodeAccess} to a node running in another process, through its control socket. */
export class RemoteAccess implements NodeAccess {
  readonly running = true

  constructor(private readonly client: ControlClient) {}

  async list(): Promise<ShareView[]> {
    return (await this.client.call('list', {})) as ShareView[]
  }

  async search(text: string, limit?: number): Promise<SearchHitView[]> {
    return (await this.client.call('search', limit === undefined ? { text } : { text, limit })) as SearchHitView[]
  }

  async manifest(infohash: string): Promise<Manifest | undefined> {
    const result = (await this.client.call('manifest', { infohash })) as { metadata: string } | null
    if (result === null) return undefined
    // checked again here: the infohash must be that of the bytes received
    return decodeMetadata(Buffer.from(result.metadata, 'base64'), Buffer.from(infohash, 'hex'))
  }

  async status(): Promise<StatusView> {
    return (await this.client.call('status', {})) as StatusView
  }

  async peers(): Promise<PeersView> {
    return (await this.client.call('peers', {})) as PeersView
  }

  async announce(infohash: string): Promise<number> {
    const result = (await this.client.call('announce', { infohash }, { timeoutMs: 90_000 })) as { nodes: number }
    return result.nodes
  }

  async remove(infohash: string): Promise<void> {
    // A daemon forgets the share; a `share`/`get` process answers DATA_DIR_BUSY.
    await this.client.call('remove', { infohash })
  }

  async close(): Promise<void> {}
}
