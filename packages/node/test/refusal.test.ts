import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { tcpTransport } from '@mycel/transport/tcp'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode } from '../src/index.js'
import { cleanup, tempDir, writeContent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
const transports: Array<ReturnType<typeof tcpTransport>> = []
afterEach(async () => {
  await Promise.allSettled(transports.splice(0).map((transport) => transport.close()))
  await cleanup(nodes.splice(0), dirs.splice(0))
})

describe('a refused request, over TCP on 127.0.0.1', () => {
  it('is answered with a BAD_REQUEST reject that arrives before the connection closes', async () => {
    const source = await tempDir()
    const dataDir = await tempDir()
    dirs.push(source, dataDir)
    await writeContent(join(source, 'a.bin'), 500_000, 8)
    const seeder = await createNode({
      dataDir,
      listen: ['tcp://127.0.0.1:0'],
      dht: false,
      state: new MemoryStateStore(),
    })
    nodes.push(seeder)
    const share = await seeder.share(join(source, 'a.bin'))
    const disconnected = new Promise<Error | undefined>((resolve) => {
      seeder.on('peer-disconnected', (_peer, reason) => resolve(reason))
    })
    const tcp = tcpTransport()
    transports.push(tcp)
    const raw = await RawPeer.dial(tcp, seeder.addresses[0] as string)
    await raw.next('hello')
    raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
    await raw.next('bitfield')
    const { pieceLength } = share.manifest
    // A range that runs past the end of the piece: a protocol violation.
    raw.send({
      type: 'request',
      id: 7,
      infohash: share.infohash,
      piece: 0,
      offset: pieceLength - 100,
      length: 200,
      proof: false,
    })
    // The connection ends from the seeder's side, cleanly, after its answer.
    expect(await raw.connection?.closed).toBeUndefined()
    expect(raw.received.filter((message) => message.type === 'reject')).toEqual([
      { type: 'reject', id: 7, code: 'BAD_REQUEST' },
    ])
    expect(raw.received.at(-1)).toEqual({ type: 'reject', id: 7, code: 'BAD_REQUEST' })
    expect(await disconnected).toMatchObject({ name: 'NodeError', code: 'PEER_PROTOCOL' })
  })
})
