import { toHex } from '@mycel/wire'
import { NodeError, type RejectCode } from '../errors.js'
import type { BlockAnswer, BlockRange, MetadataAnswer, SwarmPeer } from '../swarm/peer.js'
import type { PeerConnection } from './connection.js'

/**
 * A mycel connection as one share's swarm sees it: the swarm's verbs become
 * peer-protocol messages carrying the share's infohash (answers and
 * cancels are matched by request id on the connection).
 * @internal
 */
export class SharePeer implements SwarmPeer {
  /** The share's infohash as hex. */
  readonly infohashHex: string

  constructor(
    readonly link: PeerConnection,
    readonly infohash: Uint8Array,
  ) {
    this.infohashHex = toHex(infohash)
  }

  sendBitfield(bits: Uint8Array): void {
    this.link.send({ type: 'bitfield', infohash: this.infohash, bits })
  }

  sendHave(piece: number): void {
    this.link.send({ type: 'have', infohash: this.infohash, piece })
  }

  requestBlock(
    range: BlockRange,
    timeoutMs: number,
    onAnswer: (answer: BlockAnswer) => void,
    onTimeout: () => void,
  ): number {
    const { piece, offset, length, proof } = range
    return this.link.request(
      { type: 'request', infohash: this.infohash, piece, offset, length, proof },
      timeoutMs,
      (answer) => {
        if (answer.type === 'meta') this.misanswered('a block request with metadata')
        else onAnswer(answer.type === 'reject' ? { type: 'reject', code: rejectCode(answer.code) } : answer)
      },
      onTimeout,
    )
  }

  requestMetadata(
    offset: number,
    timeoutMs: number,
    onAnswer: (answer: MetadataAnswer) => void,
    onTimeout: () => void,
  ): number {
    return this.link.request(
      { type: 'meta-get', infohash: this.infohash, offset },
      timeoutMs,
      (answer) => {
        if (answer.type === 'data') this.misanswered('a metadata request with data')
        else onAnswer(answer.type === 'reject' ? { type: 'reject', code: rejectCode(answer.code) } : answer)
      },
      onTimeout,
    )
  }

  cancel(id: number): void {
    this.link.cancel(id)
  }

  sendBlock(id: number, bytes: Uint8Array, proof?: Uint8Array): boolean {
    return this.link.send(proof === undefined ? { type: 'data', id, bytes } : { type: 'data', id, bytes, proof })
  }

  sendMetadata(id: number, total: number, offset: number, bytes: Uint8Array): boolean {
    return this.link.send({ type: 'meta', id, total, offset, bytes })
  }

  reject(id: number, code: RejectCode): void {
    this.link.send({ type: 'reject', id, code })
  }

  private misanswered(what: string): void {
    void this.link.close(NodeError.protocol(`${this.link.peerIdText} answered ${what}`))
  }
}

/** A reject code from the wire; codes this version does not know count as `NOT_AVAILABLE`. */
function rejectCode(code: string): RejectCode {
  return code === 'BAD_REQUEST' || code === 'BUSY' ? code : 'NOT_AVAILABLE'
}
