import { ed25519 } from '@noble/curves/ed25519.js'
import DHT from 'bittorrent-dht'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createItemKeyPair,
  type DhtNode,
  mutableItemTarget,
  type PeerAddress,
  randomNodeId,
  signMutableItem,
} from '../src/index.js'
import { createUdpDhtNode } from '../src/udp.js'
import { RawClient } from './raw-client.js'

// BEP 44 `get` takes an optional `seq`: "only return the item if its seq is
// greater". Most Mainline nodes ignore it, bittorrent-dht among them, so an
// answer may carry an item the reader already has. A network of 20 real UDP
// nodes on 127.0.0.1, 15 of them bittorrent-dht, shows that getMutable
// filters every answer itself.

const verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) =>
  ed25519.verify(signature, message, publicKey)

function startReference(bootstrap: string[]): Promise<DHT> {
  const dht = new DHT({ bootstrap, verify, timeBucketOutdated: 60 * 60_000 })
  return new Promise((resolve, reject) => {
    dht.once('error', reject)
    dht.listen(0, '127.0.0.1', () => dht.once('ready', () => resolve(dht)))
  })
}

function call<T>(fn: (callback: (err: Error | null, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
}

const REFERENCE_NODES = 15
const MYCEL_NODES = 5
let mycel: DhtNode[] = []
let reference: DHT[] = []
let raw: RawClient
const referenceAddress = (node: DHT): PeerAddress => ({ host: '127.0.0.1', port: node.address().port })
const text = (address: PeerAddress) => `${address.host}:${address.port}`
const everyNode = (): PeerAddress[] => [...mycel.map((node) => node.address), ...reference.map(referenceAddress)]

/** Stores a signed item on one node directly (`get` for a token, then `put`), as any node on the network may. */
async function putOn(
  node: PeerAddress,
  item: { secretKey: Uint8Array; publicKey: Uint8Array; seq: number; v: string; salt?: Uint8Array },
) {
  const target = mutableItemTarget(item.publicKey, item.salt)
  const { token } = await raw.values(node, 'get', { target })
  const sig = signMutableItem(item.secretKey, { value: item.v, seq: item.seq, salt: item.salt })
  const answer = await raw.ask(node, 'put', {
    token,
    k: item.publicKey,
    seq: item.seq,
    sig,
    v: item.v,
    salt: item.salt,
  })
  expect(answer?.kind).toBe('response')
}

/** How many bittorrent-dht nodes answer a `get` that carries `seq` with the value anyway. */
async function referenceNodesIgnoringSeq(target: Uint8Array, seq: number): Promise<number> {
  let count = 0
  for (const node of reference) {
    const values = await raw.values(referenceAddress(node), 'get', { target, seq })
    if (values.v !== undefined && values.seq === seq) count++
  }
  return count
}

beforeAll(async () => {
  const seed = await createUdpDhtNode({ host: '127.0.0.1', port: 0 })
  mycel.push(seed)
  const entry = text(seed.address)
  // Batches that join through the seed and the batch before, so every node meets several others.
  while (reference.length < REFERENCE_NODES) {
    const known = [entry, ...reference.slice(-3).map((node) => text(referenceAddress(node)))]
    reference.push(...(await Promise.all(Array.from({ length: 5 }, () => startReference(known)))))
  }
  const joiners = await Promise.all(
    Array.from({ length: MYCEL_NODES - 1 }, (_, i) =>
      createUdpDhtNode({ host: '127.0.0.1', port: 0, bootstrap: [text(referenceAddress(reference[i * 3] as DHT))] }),
    ),
  )
  mycel.push(...joiners)
  await Promise.all(joiners.map((node) => node.ready()))
  // Let the reference nodes learn the later mycel nodes too.
  await Promise.all(reference.map((node) => call((cb) => node.lookup(randomNodeId(), (err) => cb(err)))))
  raw = await RawClient.udp('127.0.0.1')
  raw.answerQueries = true // bittorrent-dht nodes learn of it from its queries and ask it in their lookups
}, 60_000)

afterAll(async () => {
  await raw?.close()
  await Promise.all(mycel.map((node) => node.close()))
  await Promise.all(reference.map((node) => new Promise<void>((resolve) => node.destroy(resolve))))
  mycel = []
  reference = []
})

describe('getMutable(key, { seq }) against bittorrent-dht nodes that ignore seq (20 UDP nodes)', () => {
  it('returns nothing when no node holds an item newer than seq, and the item when seq is lower', async () => {
    expect(everyNode().length).toBe(REFERENCE_NODES + MYCEL_NODES)
    const keys = createItemKeyPair()
    const target = mutableItemTarget(keys.publicKey)
    for (const node of everyNode()) await putOn(node, { ...keys, seq: 5, v: 'five' })
    // The bug needs nodes that answer with the item despite seq: bittorrent-dht nodes are such nodes.
    expect(await referenceNodesIgnoringSeq(target, 5)).toBe(REFERENCE_NODES)

    const reader = mycel[2] as DhtNode
    expect(await reader.getMutable(keys.publicKey, { seq: 5 })).toBeUndefined()
    expect(await reader.getMutable(keys.publicKey, { seq: 9 })).toBeUndefined()
    const older = await reader.getMutable(keys.publicKey, { seq: 4 })
    expect(older?.seq).toBe(5)
    expect(new TextDecoder().decode(older?.value as Uint8Array)).toBe('five')
  })

  it('finds the newer item among stale copies, and only it', async () => {
    const keys = createItemKeyPair()
    const salt = new TextEncoder().encode('status')
    // Every node holds seq 5; then bittorrent-dht publishes seq 8 to the nodes closest to the target.
    for (const node of everyNode()) await putOn(node, { ...keys, salt, seq: 5, v: 'five' })
    const sign = (message: Uint8Array) => Buffer.from(ed25519.sign(message, keys.secretKey))
    const put = { k: Buffer.from(keys.publicKey), salt: Buffer.from(salt), seq: 8, v: Buffer.from('eight'), sign }
    await call((cb) => (reference[4] as DHT).put(put, (err) => cb(err)))
    const target = mutableItemTarget(keys.publicKey, salt)
    const stale = await referenceNodesIgnoringSeq(target, 5)
    expect(stale).toBeGreaterThanOrEqual(1) // some nodes still answer seq 5 to a reader that has 5
    expect(stale).toBeLessThan(REFERENCE_NODES) // and some hold 8

    for (const reader of [mycel[1], mycel[3]] as DhtNode[]) {
      const newer = await reader.getMutable(keys.publicKey, { salt, seq: 5 })
      expect(newer?.seq).toBe(8)
      expect(new TextDecoder().decode(newer?.value as Uint8Array)).toBe('eight')
      expect(await reader.getMutable(keys.publicKey, { salt, seq: 8 })).toBeUndefined()
      expect((await reader.getMutable(keys.publicKey, { salt }))?.seq).toBe(8)
    }
  })
})
