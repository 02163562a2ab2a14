import type { Manifest } from '@mycel/pieces'
import type { StateStore } from '@mycel/store'
import type { Identity } from '@mycel/transport'
import type { CryptoProvider } from '@mycel/wire/crypto'
import type { ContentStorage } from '../content.js'
import { NodeError } from '../errors.js'
import type { Download, Share } from '../handles.js'
import type { DownloadOptions, ShareOptions } from '../options.js'
import type { ReadStreamOptions } from '../read-stream.js'
import type { PrivateReads } from './private-content.js'
import type { PrivateStorage } from './storage.js'

/** What private shares need of the node. @internal */
export interface PrivateContext {
  readonly identity: Identity
  readonly state: StateStore
  readonly storage: ContentStorage
  readonly privateStorage: PrivateStorage | undefined
  readonly downloadDir: string
  readonly crypto: CryptoProvider
  /** The private downloads this node reads (their stores decrypt pieces as they are stored). */
  readonly reads: PrivateReads
  /** Seeds a share already hashed, from `contentPath`. */
  seed(manifest: Manifest, contentPath: string, options: ShareOptions): Promise<Share>
  download(link: string, options: DownloadOptions): Download
  read(infohashHex: string, path: string, options: ReadStreamOptions): AsyncIterable<Uint8Array>
  /** The manifest of a share the node runs, once known. */
  manifestOf(infohashHex: string): Manifest | undefined
  remove(infohashHex: string): Promise<void>
  /** Stops a share and forgets it (its state, its private records). */
  forget(infohashHex: string): Promise<void>
}

/** The node's private storage, or `PRIVATE_UNSUPPORTED`. @internal */
export function privateStorageOf(context: PrivateContext): PrivateStorage {
  if (context.privateStorage === undefined) {
    throw new NodeError('PRIVATE_UNSUPPORTED', 'this node has no private storage (NodeParts.privateStorage)')
  }
  return context.privateStorage
}
