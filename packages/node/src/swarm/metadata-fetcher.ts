import { decodeMetadata, MANIFEST_LIMITS, type Manifest, PiecesError } from '@mycel/pieces'
import { type ComponentLogger, silentLogger } from '@mycel/wire/log'
import type { MetadataAnswer, SwarmPeer } from './peer.js'

const REQUEST_TIMEOUT_MS = 20_000

/** What the fetcher reports. @internal */
export interface MetadataFetcherHooks {
  /** The metadata arrived and is valid. */
  onManifest(manifest: Manifest, metadata: Uint8Array): void
  /** A peer sent metadata that is not the share's (wrong infohash, malformed, unsafe paths). */
  onBadMetadata(peer: SwarmPeer, error: PiecesError): void
  /** Where bad metadata and peers given up on are logged, with why (`mycel:swarm`). Default: silent. */
  readonly log?: ComponentLogger
}

/**
 * Fetches a share's metadata (info dictionary and piece layers) with
 * `meta-get`, one peer at a time, slice by slice. Nothing is used before
 * `decodeMetadata` has checked the infohash and validated every field and
 * path; a peer whose metadata fails is reported and not asked again.
 * @internal
 */
export class MetadataFetcher {
  private readonly candidates: SwarmPeer[] = []
  private readonly tried = new Set<SwarmPeer>()
  private current: { peer: SwarmPeer; buffer?: Uint8Array; received: number; id?: number } | undefined
  private done = false
  private readonly log: ComponentLogger

  constructor(
    private readonly infohash: Uint8Array,
    private readonly hooks: MetadataFetcherHooks,
  ) {
    this.log = hooks.log ?? silentLogger.forComponent('mycel:swarm')
  }

  /** A member of the swarm that may have the metadata. */
  addPeer(peer: SwarmPeer): void {
    if (this.done || this.tried.has(peer) || this.candidates.includes(peer)) return
    this.candidates.push(peer)
    if (this.current === undefined) this.next()
  }

  /** The peer left. */
  removePeer(peer: SwarmPeer): void {
    const index = this.candidates.indexOf(peer)
    if (index >= 0) this.candidates.splice(index, 1)
    if (this.current?.peer === peer) {
      this.current = undefined
      this.next()
    }
  }

  /** Stops fetching. */
  stop(): void {
    this.done = true
    if (this.current?.id !== undefined) this.current.peer.cancel(this.current.id)
    this.current = undefined
    this.candidates.length = 0
  }

  private next(): void {
    if (this.done) return
    const peer = this.candidates.shift()
    if (peer === undefined) return
    this.tried.add(peer)
    this.current = { peer, received: 0 }
    this.ask(0)
  }

  private ask(offset: number): void {
    const current = this.current
    if (current === undefined) return
    const { peer } = current
    current.id = peer.requestMetadata(
      offset,
      REQUEST_TIMEOUT_MS,
      (answer) => this.onAnswer(peer, offset, answer),
      () => this.giveUp(peer, `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`),
    )
  }

  private onAnswer(peer: SwarmPeer, offset: number, answer: MetadataAnswer): void {
    const current = this.current
    if (current?.peer !== peer || this.done) return
    if (answer.type !== 'meta') {
      this.giveUp(peer, `it rejected our meta-get (${answer.code})`)
      return
    }
    if (answer.offset !== offset || answer.bytes.length === 0) {
      this.giveUp(peer, `it answered offset ${offset} with ${answer.bytes.length} bytes at ${answer.offset}`)
      return
    }
    if (answer.total > MANIFEST_LIMITS.maxMetadataBytes) {
      const message = `metadata of ${answer.total} bytes is over the limit of ${MANIFEST_LIMITS.maxMetadataBytes}`
      this.bad(peer, new PiecesError('MANIFEST_TOO_LARGE', message))
      return
    }
    current.buffer ??= new Uint8Array(answer.total)
    if (current.buffer.length !== answer.total) {
      this.giveUp(peer, `its metadata was ${current.buffer.length} bytes, now ${answer.total}`)
      return
    }
    current.buffer.set(answer.bytes, offset)
    current.received = offset + answer.bytes.length
    if (current.received < answer.total) {
      this.ask(current.received)
      return
    }
    this.finish(peer, current.buffer)
  }

  private finish(peer: SwarmPeer, metadata: Uint8Array): void {
    let manifest: Manifest
    try {
      manifest = decodeMetadata(metadata, this.infohash)
    } catch (error) {
      if (!(error instanceof PiecesError)) throw error
      this.bad(peer, error)
      return
    }
    this.done = true
    this.current = undefined
    this.candidates.length = 0
    this.hooks.onManifest(manifest, metadata)
  }

  /** A peer sent metadata that is not the share's: reported, and not asked again. */
  private bad(peer: SwarmPeer, error: PiecesError): void {
    this.log.debug(`the metadata from ${peer.link.key} is bad: ${error.code}: ${error.message}`)
    this.hooks.onBadMetadata(peer, error)
    this.giveUp(peer)
  }

  /** Stops asking a peer (another is asked next); `why` is logged when given. */
  private giveUp(peer: SwarmPeer, why?: string): void {
    if (this.current?.peer !== peer) return
    if (why !== undefined) this.log.debug(`stopped asking ${peer.link.key} for the metadata: ${why}`)
    this.current = undefined
    this.next()
  }
}
