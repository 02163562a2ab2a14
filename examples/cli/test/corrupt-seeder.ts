/**
 * A seeder that lies: it speaks the peer protocol over TCP on 127.0.0.1,
 * serves a share's real metadata, claims every piece, and answers every
 * piece request with zeros, so that a downloader bans it for a corrupt
 * piece.
 */
import { encodeMetadata, formatMagnet } from '@mycel/pieces'
import { ingestPath } from '@mycel/pieces/node'
import { Identity, type Listener, type SecureConnection, type Transport } from '@mycel/transport'
import { secure } from '@mycel/transport/node'
import { tcpTransport } from '@mycel/transport/tcp'
import { decodeMessage, encodeMessage, MESSAGE_LIMITS, type Message, PROTOCOL_VERSION } from '@mycel/wire'

export class CorruptSeeder {
  readonly identity = Identity.generate()
  private readonly connections = new Set<SecureConnection>()

  private constructor(
    private readonly transport: Transport,
    private readonly listener: Listener,
    readonly magnet: string,
  ) {}

  /** Hashes `file` and listens on 127.0.0.1 for downloaders. */
  static async start(file: string): Promise<CorruptSeeder> {
    const manifest = await ingestPath(file)
    const metadata = encodeMetadata(manifest)
    const bits = new Uint8Array(Math.ceil(manifest.pieceCount / 8)).fill(0xff)
    const spare = bits.length * 8 - manifest.pieceCount
    bits[bits.length - 1] = (0xff << spare) & 0xff
    let seeder: CorruptSeeder | undefined
    const transport = tcpTransport()
    const listener = await transport.listen('tcp://127.0.0.1:0', {
      onConnection: (stream) => {
        void (async () => {
          const owner = seeder as CorruptSeeder
          const connection = await secure(stream, owner.identity, { initiator: false }).catch(() => undefined)
          if (connection === undefined) return
          owner.connections.add(connection)
          const send = (message: Message) => {
            if (!connection.isClosed) connection.write(encodeMessage(message))
          }
          send({ type: 'hello', version: PROTOCOL_VERSION, agent: 'corrupt-test-seeder', listen: [], capabilities: [] })
          connection.onMessage((bytes) => {
            const message = decodeMessage(bytes)
            if (message.type === 'bitfield') send({ type: 'bitfield', infohash: manifest.infohash, bits })
            else if (message.type === 'meta-get') {
              const slice = metadata.subarray(message.offset, message.offset + MESSAGE_LIMITS.maxMetaChunkBytes)
              send({ type: 'meta', id: message.id, total: metadata.length, offset: message.offset, bytes: slice })
            } else if (message.type === 'request') {
              send({ type: 'data', id: message.id, bytes: new Uint8Array(message.length) })
            }
          })
        })()
      },
    })
    seeder = new CorruptSeeder(transport, listener, formatMagnet({ infohash: manifest.infohash, name: manifest.name }))
    return seeder
  }

  /** `host:port` for `--peer`. */
  get hostPort(): string {
    return (this.listener.addresses[0] as string).replace('tcp://', '')
  }

  /** The peer id downloaders see. */
  get peerId(): string {
    return this.identity.toString()
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.connections].map((connection) => connection.close()))
    await this.listener.close()
    await this.transport.close()
  }
}
