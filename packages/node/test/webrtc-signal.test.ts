import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { Identity } from '@mycel/transport'
import { tcpTransport } from '@mycel/transport/tcp'
import { type WebRtcSignaller, webRtcTransport } from '@mycel/transport/webrtc'
import { WireError } from '@mycel/wire'
import { createTextLogger } from '@mycel/wire/log'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { createNode, type MycelNode, NodeError, type NodeOptions } from '../src/index.js'
import { reachableAt } from '../src/peer/reachable.js'
import { decodeSignalMessage, encodeSignalMessage, MAX_SDP_BYTES, type SignalMessage } from '../src/signal/messages.js'
import { SIGNAL_LIMITS } from '../src/signal/signal-protocol.js'
import { cleanup, removeDir, sha256, sha256File, tempDir, untilEvent, writeContent } from './helpers.js'

const peerId = fc.uint8Array({ minLength: 32, maxLength: 32 })
const id = fc.integer({ min: 0, max: 2 ** 32 - 1 })
const sdp = fc.string({ minLength: 1, maxLength: 2000, unit: 'grapheme' })
const message: fc.Arbitrary<SignalMessage> = fc.oneof(
  fc.record({ type: fc.constant('relay' as const), id, target: peerId, sdp }),
  fc.record({ type: fc.constant('offer' as const), id, source: peerId, sdp }),
  fc.record({ type: fc.constant('answer' as const), id, sdp }),
  fc.record({
    type: fc.constant('refuse' as const),
    id,
    reason: fc.constantFrom('unreachable' as const, 'busy' as const, 'refused' as const, 'timeout' as const),
  }),
  fc.record({ type: fc.constant('join' as const), key: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
  fc.record({
    type: fc.constant('peers' as const),
    key: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    peers: fc.array(peerId, { maxLength: 50 }),
  }),
)

describe('signal/1 messages', () => {
  it('decode what they encode', () => {
    fc.assert(
      fc.property(message, (sent) => {
        const got = decodeSignalMessage(encodeSignalMessage(sent))
        expect(got).toEqual(sent)
      }),
    )
  })

  it('refuse any other bytes with a WireError, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeSignalMessage(bytes)
        } catch (error) {
          expect(error).toBeInstanceOf(WireError)
        }
      }),
    )
  })

  it('refuse messages whose fields break a rule', () => {
    const enc = new TextEncoder()
    const bad = [
      'd1:i0:1:m1:a1:s1:xe', // id not an integer
      'd1:ii-1e1:m1:a1:s1:xe', // negative id
      'd1:ii4294967296e1:m1:a1:s1:xe', // id over 2^32 - 1
      'd1:ii1e1:m1:ae', // answer without sdp
      'd1:ii1e1:m1:o1:s1:xe', // offer with neither t nor f
      'd1:ii1e1:m1:r1:c3:fooe'.replace('1:c3:foo', '1:c3:foo'), // unknown refusal (keys out of order too)
      'd1:ii1e1:m1:o1:s1:x1:t3:abce', // target not 32 bytes
      'd1:ii1e1:m1:x1:s1:xe', // unknown kind
      'li1ee', // not a dictionary
      'd1:k0:1:m1:je', // empty share key
      `d1:k33:${'k'.repeat(33)}1:m1:je`, // share key over 32 bytes
      `d1:k1:k1:m1:p1:p31:${'p'.repeat(31)}e`, // peers not a multiple of 32 bytes
      `d1:k1:k1:m1:p1:p${51 * 32}:${'p'.repeat(51 * 32)}e`, // more than 50 peers
    ]
    for (const text of bad) expect(() => decodeSignalMessage(enc.encode(text))).toThrow(WireError)
    const tooLong = enc.encode(`d1:ii1e1:m1:a1:s${MAX_SDP_BYTES + 1}:${'x'.repeat(MAX_SDP_BYTES + 1)}e`)
    expect(() => decodeSignalMessage(tooLong)).toThrow(WireError)
    expect(() => encodeSignalMessage({ type: 'answer', id: 1, sdp: 'x'.repeat(MAX_SDP_BYTES + 1) })).toThrow(WireError)
    expect(() => decodeSignalMessage(new Uint8Array([0xff, 0xfe]))).toThrow(WireError)
  })
})

describe('webrtc addresses', () => {
  it('are believed only for the peer that says it listens there', () => {
    const self = Identity.generate().toString()
    const other = Identity.generate().toString()
    const hello = (listen: string[]) => ({ type: 'hello' as const, version: 1, agent: '', listen, capabilities: [] })
    const peer = { outbound: false, address: 'tcp://127.0.0.1:5000', peerIdText: self }
    expect(reachableAt({ ...peer, hello: hello([`webrtc://${self}`, `webrtc://${other}`]) })).toEqual([
      `webrtc://${self}`,
    ])
  })
})

describe('WebRTC between Node nodes, signalled through a third', () => {
  const nodes: MycelNode[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await cleanup(nodes.splice(0), dirs.splice(0))
  })

  /** Resolves once `of` has `count` connections whose `hello` arrived (their protocols are open). */
  function helloed(of: MycelNode, count: number): Promise<void> {
    const ready = () => of.peers().filter((peer) => peer.agent !== undefined).length >= count
    return untilEvent(of, 'peer-connected', ready)
  }

  async function node(options: Partial<NodeOptions> = {}): Promise<MycelNode> {
    const dataDir = await tempDir()
    dirs.push(dataDir)
    const made = await createNode({
      dataDir,
      listen: ['tcp://127.0.0.1:0'],
      transports: [tcpTransport()],
      dht: false,
      state: new MemoryStateStore(),
      ...options,
    })
    nodes.push(made)
    return made
  }

  it('downloads a share from a peer reached only over a data channel, its SHA-256 intact', async () => {
    // The middle node has no WebRTC of its own and not the share: it relays offers and answers.
    const middle = await node()
    const seeder = await node({ webrtc: {} })
    const leecher = await node({ webrtc: {} })
    const middleAddress = middle.addresses.find((address) => address.startsWith('tcp://')) as string
    await seeder.connect(middleAddress)
    await leecher.connect(middleAddress)
    expect(seeder.addresses).toContain(`webrtc://${seeder.peerId}`)

    const source = join(dirs[1] as string, 'video.bin')
    const bytes = await writeContent(source, 3 * 1024 * 1024 + 123, 7)
    const share = await seeder.share(source)
    const dir = await tempDir()
    dirs.push(dir)
    const download = leecher.download(share.magnet, { dir, peers: [`webrtc://${seeder.peerId}`] })
    await download.done()
    expect(await sha256File(join(dir, 'video.bin'))).toBe(sha256(bytes))
    // The bytes came over the data channel: the leecher's one connection to the seeder is a WebRTC one.
    const toSeeder = leecher.peers().filter((peer) => peer.peerId === seeder.peerId)
    expect(toSeeder.map((peer) => peer.address)).toEqual([`webrtc://${seeder.peerId}`])
  })

  it('learns a WebRTC-only member of the swarm by peer exchange from a member, and connects to it over WebRTC', async () => {
    // The member seeds over TCP and relays; the other member listens on nothing but webrtc://.
    const member = await node()
    const webrtcOnly = await node({ webrtc: {}, listen: [] })
    expect(webrtcOnly.addresses).toEqual([`webrtc://${webrtcOnly.peerId}`])
    const source = join(dirs[0] as string, 'album.bin')
    const bytes = await writeContent(source, 2 * 1024 * 1024 + 5, 9)
    const share = await member.share(source)
    const firstDir = await tempDir()
    dirs.push(firstDir)
    await webrtcOnly.download(share.magnet, { dir: firstDir, peers: [member.addresses[0] as string] }).done()

    // Slowed down, so that it still wants peers when the member's peer exchange comes (half a second after it joins).
    const leecher = await node({ webrtc: {}, limits: { downloadRate: 512 * 1024 } })
    const dir = await tempDir()
    dirs.push(dir)
    const download = leecher.download(share.magnet, { dir, peers: [member.addresses[0] as string] })
    await untilEvent(leecher, 'peer-connected', () =>
      leecher.peers().some((peer) => peer.address === `webrtc://${webrtcOnly.peerId}`),
    )
    await download.done()
    expect(await sha256File(join(dir, 'album.bin'))).toBe(sha256(bytes))
  })

  it('does not dial a webrtc:// address heard by peer exchange when it has no WebRTC itself', async () => {
    const member = await node()
    const webrtcOnly = await node({ webrtc: {}, listen: [] })
    const source = join(dirs[0] as string, 'skip.bin')
    await writeContent(source, 1024 * 1024, 13)
    const share = await member.share(source)
    const firstDir = await tempDir()
    dirs.push(firstDir)
    await webrtcOnly.download(share.magnet, { dir: firstDir, peers: [member.addresses[0] as string] }).done()

    const lines: string[] = []
    const logger = createTextLogger({ level: 'debug', components: 'mycel:peer', write: (line) => lines.push(line) })
    // Relays only (no WebRTC transport); slowed down so that it still wants peers when the peer exchange comes.
    const leecher = await node({ limits: { downloadRate: 256 * 1024 }, logger })
    const dir = await tempDir()
    dirs.push(dir)
    const webrtcAddress = `webrtc://${webrtcOnly.peerId}`
    const skipped = () => lines.some((line) => line.includes('skipped') && line.includes(webrtcAddress))
    const download = leecher.download(share.magnet, { dir, peers: [member.addresses[0] as string] })
    await untilEvent(leecher, 'download-progress', skipped)
    await download.done()
    expect(lines.some((line) => line.includes(`dial ${webrtcAddress}`))).toBe(false)
  })

  it('finds a WebRTC seeder through a middle peer that has not the share (join, peers) and downloads from it', async () => {
    const middle = await node()
    const seeder = await node({ webrtc: {}, listen: [] })
    const leecher = await node({ webrtc: {}, listen: [] })
    await seeder.connect(middle.addresses[0] as string)
    await leecher.connect(middle.addresses[0] as string)
    const source = join(dirs[1] as string, 'notes.bin')
    const bytes = await writeContent(source, 1024 * 1024 + 3, 11)
    const share = await seeder.share(source)
    const dir = await tempDir()
    dirs.push(dir)
    // No peer given: the leecher's lookup asks the middle peer, which names the seeder.
    await leecher.download(share.magnet, { dir }).done()
    expect(await sha256File(join(dir, 'notes.bin'))).toBe(sha256(bytes))
    expect(leecher.peers().map((peer) => peer.address)).toContain(`webrtc://${seeder.peerId}`)
    expect(middle.getShare(share.infohashHex)).toBeUndefined()
  })

  it('sends its offer through the middle peer that named the target first, past peers that cannot reach it', async () => {
    // More peers that relay but do not know the seeder than the 4 routes an offer tries.
    const decoys = await Promise.all(Array.from({ length: SIGNAL_LIMITS.maxRoutes }, () => node()))
    const middle = await node()
    const seeder = await node({ webrtc: {}, listen: [] })
    const leecher = await node({ webrtc: {}, listen: [] })
    for (const decoy of decoys) await leecher.connect(decoy.addresses[0] as string)
    await leecher.connect(middle.addresses[0] as string)
    await seeder.connect(middle.addresses[0] as string)
    await Promise.all([helloed(leecher, decoys.length + 1), helloed(middle, 2)])
    const source = join(dirs[2] as string, 'routes.bin')
    const bytes = await writeContent(source, 256 * 1024 + 7, 14)
    const share = await seeder.share(source)
    const dir = await tempDir()
    dirs.push(dir)
    await leecher.download(share.magnet, { dir }).done()
    expect(await sha256File(join(dir, 'routes.bin'))).toBe(sha256(bytes))
  })

  it('hears of a seeder that joins after its own lookup (the middle peer pushes it)', async () => {
    const middle = await node()
    const seeder = await node({ webrtc: {}, listen: [] })
    const leecher = await node({ webrtc: {}, listen: [] })
    const source = join(dirs[1] as string, 'late.bin')
    const bytes = await writeContent(source, 512 * 1024 + 1, 12)
    const share = await seeder.share(source)
    const dir = await tempDir()
    dirs.push(dir)
    await leecher.connect(middle.addresses[0] as string)
    const download = leecher.download(share.magnet, { dir })
    await helloed(middle, 1)
    // The leecher joined first; the seeder joins when it connects.
    await seeder.connect(middle.addresses[0] as string)
    await download.done()
    expect(await sha256File(join(dir, 'late.bin'))).toBe(sha256(bytes))
  })

  it('fails a dial with SIGNAL_FAILED in its cause when the middle peer does not know the target', async () => {
    const middle = await node()
    const leecher = await node({ webrtc: {} })
    await leecher.connect(middle.addresses[0] as string)
    await helloed(leecher, 1)
    const error = await leecher.connect(`webrtc://${Identity.generate().toString()}`).catch((err: unknown) => err)
    expect((error as { code?: string }).code).toBe('DIAL_FAILED')
    const cause = (error as Error).cause
    expect(cause).toBeInstanceOf(NodeError)
    expect((cause as NodeError).code).toBe('SIGNAL_FAILED')
    expect((cause as NodeError).message).toMatch(/unreachable/)
  })

  it('refuses to relay more than the burst of offers of one peer', async () => {
    const middle = await node()
    const target = await node({ webrtc: { connect: false } })
    const leecher = await node({ webrtc: {} })
    await target.connect(middle.addresses[0] as string)
    await leecher.connect(middle.addresses[0] as string)
    await Promise.all([helloed(middle, 2), helloed(leecher, 1), helloed(target, 1)])
    // The target answers no offer (no WebRTC of its own): each is refused, the middle's budget spent.
    const outcomes: string[] = []
    for (let i = 0; i < SIGNAL_LIMITS.offerBurst + 2; i++) {
      const error = await leecher.connect(`webrtc://${target.peerId}`).catch((err: unknown) => err)
      outcomes.push(((error as Error).cause as Error).message)
    }
    expect(outcomes.slice(0, SIGNAL_LIMITS.offerBurst).every((text) => /refused: refused/.test(text))).toBe(true)
    expect(outcomes.slice(SIGNAL_LIMITS.offerBurst).every((text) => /refused: busy/.test(text))).toBe(true)
  })

  it('refuses a connection answered by another peer than the one the address names (PEER_ID_MISMATCH)', async () => {
    // A lying signaller: every offer, whatever peer it is for, is answered by `impostor`.
    let answerImpostor: ((from: string, sdp: string) => Promise<string>) | undefined
    const liar: WebRtcSignaller = {
      exchange: async (_peerId, offer) =>
        (answerImpostor as (from: string, sdp: string) => Promise<string>)('x', offer),
      onOffer: (_localPeerId, answer) => {
        answerImpostor = answer
        return () => {}
      },
    }
    const impostorIdentity = Identity.generate()
    await node({
      identity: impostorIdentity,
      transports: [tcpTransport(), webRtcTransport({ signaller: liar })],
      listen: ['tcp://127.0.0.1:0', `webrtc://${impostorIdentity.toString()}`],
      webrtc: false,
    })
    const dialler = await node({ transports: [tcpTransport(), webRtcTransport({ signaller: liar })], webrtc: false })
    const claimed = Identity.generate().toString()
    const error = await dialler.connect(`webrtc://${claimed}`).catch((err: unknown) => err)
    expect((error as { code?: string }).code).toBe('PEER_ID_MISMATCH')
    expect(dialler.peers()).toEqual([])
  })

  it('is off in proxy mode, says so, and asking for it there is PROXY_CONFLICT', async () => {
    const dataDir = await tempDir()
    dirs.push(dataDir)
    const error = await createNode({ dataDir, proxy: 'socks5://127.0.0.1:9', webrtc: {} }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(NodeError)
    expect((error as NodeError).code).toBe('PROXY_CONFLICT')
    const lines: string[] = []
    const proxied = await createNode({
      dataDir,
      proxy: 'socks5://127.0.0.1:9',
      state: new MemoryStateStore(),
      logger: createTextLogger({ level: 'info', write: (line) => lines.push(line) }),
    })
    nodes.push(proxied)
    expect(lines.some((line) => line.includes('no WebRTC'))).toBe(true)
    expect(proxied.addresses.some((address) => address.startsWith('webrtc://'))).toBe(false)
    await removeDir(dataDir)
  })
})
