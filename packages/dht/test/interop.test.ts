import { ed25519 } from '@noble/curves/ed25519.js'
import DHT from 'bittorrent-dht'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createItemKeyPair, type DhtNode, immutableItemTarget, mutableItemTarget, randomNodeId } from '../src/index.js'
import { createUdpDhtNode } from '../src/udp.js'

// mycel nodes and nodes of bittorrent-dht (an independent Mainline
// implementation, the one WebTorrent uses) form one DHT on 127.0.0.1: half of
// each kind joins through a node of the other kind.

const verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) =>
  ed25519.verify(signature, message, publicKey)

function startReference(bootstrap: string[]): Promise<DHT> {
  const dht = new DHT({ bootstrap, verify, timeBucketOutdated: 60 * 60_000 })
  return new Promise((resolve, reject) => {
    dht.once('error', reject)
    dht.listen(0, '127.0.0.1', () => {
      if (bootstrap.length === 0) resolve(dht)
      else dht.once('ready', () => resolve(dht))
    })
  })
}

function call<T>(fn: (callback: (err: Error | null, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
}

let mycel: DhtNode[] = []
let reference: DHT[] = []
const address = (node: DHT) => `127.0.0.1:${node.address().port}`

/** Which kinds of node answered a lookup for `target` with the field `field` set (checks who stored what). */
async function holders(
  target: Uint8Array,
  method: 'get_peers' | 'get',
  field: string,
): Promise<{ mycel: number; reference: number }> {
  const referencePorts = new Set(reference.map((node) => node.address().port))
  const count = { mycel: 0, reference: 0 }
  for await (const event of (mycel[0] as DhtNode).query(target, { method })) {
    if (event.type !== 'response' || event.values[field] === undefined) continue
    if (referencePorts.has(event.from.port)) count.reference++
    else count.mycel++
  }
  return count
}

beforeAll(async () => {
  const seed = await createUdpDhtNode({ host: '127.0.0.1', port: 0 })
  mycel.push(seed)
  const seedAddress = `127.0.0.1:${seed.address.port}`
  reference = [await startReference([seedAddress])]
  reference.push(
    ...(await Promise.all([startReference([seedAddress]), startReference([address(reference[0] as DHT)])])),
  )
  const joiners = await Promise.all(
    [seedAddress, address(reference[0] as DHT), address(reference[1] as DHT)].map((entry) =>
      createUdpDhtNode({ host: '127.0.0.1', port: 0, bootstrap: [entry] }),
    ),
  )
  mycel.push(...joiners)
  await Promise.all(joiners.map((node) => node.ready()))
  // Let the reference nodes learn the later mycel nodes too.
  await Promise.all(reference.map((node) => call((cb) => node.lookup(randomNodeId(), (err) => cb(err)))))
}, 30_000)

afterAll(async () => {
  await Promise.all(mycel.map((node) => node.close()))
  await Promise.all(reference.map((node) => new Promise<void>((resolve) => node.destroy(resolve))))
  mycel = []
  reference = []
})

describe('interoperability with bittorrent-dht on 127.0.0.1', () => {
  it('forms one network: each kind has the other in its routing table', () => {
    const mycelPorts = new Set(mycel.map((node) => node.address.port))
    const referencePorts = new Set(reference.map((node) => node.address().port))
    for (const node of mycel.slice(1)) {
      expect(node.snapshot().nodes.some((entry) => referencePorts.has(entry.port))).toBe(true)
    }
    for (const node of reference) {
      expect(node.toJSON().nodes.some((entry) => mycelPorts.has(entry.port))).toBe(true)
    }
  })

  it('bittorrent-dht finds the peers mycel announced', async () => {
    const key = randomNodeId()
    expect(await (mycel[1] as DhtNode).announce(key, 7001)).toBeGreaterThanOrEqual(3)
    const lookupNode = reference[2] as DHT
    const found: string[] = []
    const onPeer = (peer: { host: string; port: number }, infoHash: Buffer) => {
      if (Buffer.compare(infoHash, Buffer.from(key)) === 0) found.push(`${peer.host}:${peer.port}`)
    }
    lookupNode.on('peer', onPeer)
    await call((cb) => lookupNode.lookup(key, (err) => cb(err)))
    lookupNode.off('peer', onPeer)
    expect(found).toContain('127.0.0.1:7001')
    expect((await holders(key, 'get_peers', 'values')).reference).toBeGreaterThanOrEqual(1)
  })

  it('mycel finds the peers bittorrent-dht announced (port and implied port)', async () => {
    const key = randomNodeId()
    await call((cb) => (reference[0] as DHT).announce(key, 6001, (err) => cb(err)))
    await call((cb) => (reference[1] as DHT).announce(key, 0, (err) => cb(err))) // implied_port: 1
    const found: string[] = []
    for await (const peer of (mycel[3] as DhtNode).lookup(key)) found.push(`${peer.host}:${peer.port}`)
    expect(found.sort()).toEqual(['127.0.0.1:6001', address(reference[1] as DHT)].sort())
    expect((await holders(key, 'get_peers', 'values')).mycel).toBeGreaterThanOrEqual(1)
  })

  it('bittorrent-dht reads immutable and mutable items mycel put', async () => {
    const writer = mycel[2] as DhtNode
    const reader = reference[2] as DHT
    const immutable = await writer.putImmutable('from mycel')
    expect(immutable.stored).toBeGreaterThanOrEqual(3)
    const got = await call<{ v: Buffer }>((cb) =>
      reader.get(immutable.target, {}, (err, res) => cb(err, res ?? undefined)),
    )
    expect(got?.v.toString()).toBe('from mycel')
    expect((await holders(immutable.target, 'get', 'v')).reference).toBeGreaterThanOrEqual(1)

    const { secretKey, publicKey } = createItemKeyPair()
    const salt = new TextEncoder().encode('status')
    const mutable = await writer.putMutable({ secretKey, salt, seq: 3, value: 'mutable from mycel' })
    expect(mutable.stored).toBeGreaterThanOrEqual(3)
    expect(mutable.target).toEqual(mutableItemTarget(publicKey, salt))
    const item = await call<{ v: Buffer; seq?: number }>((cb) =>
      reader.get(mutable.target, { salt: Buffer.from(salt), verify }, (err, res) => cb(err, res ?? undefined)),
    )
    expect(item?.v.toString()).toBe('mutable from mycel')
    expect(item?.seq).toBe(3)
    expect((await holders(mutable.target, 'get', 'sig')).reference).toBeGreaterThanOrEqual(1)
  })

  it('mycel reads immutable and mutable items bittorrent-dht put', async () => {
    const writer = reference[1] as DHT
    const reader = mycel[1] as DhtNode
    const value = Buffer.from('from bittorrent-dht')
    const stored = await call<Buffer>((cb) => writer.put({ v: value }, (err, hash) => cb(err, hash)))
    expect(stored).toEqual(Buffer.from(immutableItemTarget(new Uint8Array(value))))
    const immutable = await reader.getImmutable(new Uint8Array(stored as Buffer))
    expect(immutable?.value).toEqual(new Uint8Array(value))
    expect((await holders(immutable?.target as Uint8Array, 'get', 'v')).mycel).toBeGreaterThanOrEqual(1)

    const { secretKey, publicKey } = createItemKeyPair()
    const salt = Buffer.from('profile')
    const sign = (message: Uint8Array) => Buffer.from(ed25519.sign(message, secretKey))
    const options = { k: Buffer.from(publicKey), seq: 5, salt, v: Buffer.from('mutable from bittorrent-dht'), sign }
    await call((cb) => writer.put(options, (err) => cb(err)))
    const item = await reader.getMutable(publicKey, { salt: new Uint8Array(salt) })
    expect(item?.seq).toBe(5)
    expect(new TextDecoder().decode(item?.value as Uint8Array)).toBe('mutable from bittorrent-dht')
    expect((await holders(item?.target as Uint8Array, 'get', 'sig')).mycel).toBeGreaterThanOrEqual(1)
  })

  it('both kinds answer a stale mutable put with BEP 44 error 302', async () => {
    const { secretKey } = createItemKeyPair()
    const writer = mycel[3] as DhtNode
    await writer.putMutable({ secretKey, seq: 10, value: 'ten' })
    const stale = await writer.putMutable({ secretKey, seq: 9, value: 'nine' })
    expect(stale.stored).toBe(0)
    expect(stale.rejections.length).toBeGreaterThanOrEqual(3)
    for (const rejection of stale.rejections) expect(rejection.code).toBe(302)
    const referencePorts = new Set(reference.map((node) => node.address().port))
    expect(stale.rejections.some((rejection) => referencePorts.has(rejection.node.port))).toBe(true)
  })
})
