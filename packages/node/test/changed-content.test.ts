import { mkdir, open, readFile, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { createMemoryNetwork } from '@mycel/transport/testing'
import type { Message } from '@mycel/wire'
import { afterEach, describe, expect, it } from 'vitest'
import type { MycelNode, Share, ShareChange } from '../src/index.js'
import { cleanup, contentBytes, memoryNode, sha256, sha256File, tempDir, writeContent } from './helpers.js'
import { RawPeer } from './raw-peer.js'

const nodes: MycelNode[] = []
const dirs: string[] = []
const rawPeers: RawPeer[] = []
afterEach(async () => {
  await Promise.allSettled(rawPeers.splice(0).map((peer) => peer.close()))
  await cleanup(nodes.splice(0), dirs.splice(0))
})

const PIECE = 64 * 1024
const SIZE = 10 * PIECE

async function dir(): Promise<string> {
  const made = await tempDir()
  dirs.push(made)
  return made
}

/** The next `share-changed` event of a node. */
function nextChange(node: MycelNode): Promise<ShareChange> {
  return new Promise((resolve) => node.once('share-changed', resolve))
}

/** Overwrites `bytes` at `offset` in place: same size, new modification time. */
async function overwrite(path: string, offset: number, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    await handle.write(bytes, 0, bytes.length, offset)
  } finally {
    await handle.close()
  }
}

/** A peer that joins the share and asks for pieces by hand, seeing every answer. */
async function joinedRawPeer(network: ReturnType<typeof createMemoryNetwork>, seeder: MycelNode, share: Share) {
  const raw = await RawPeer.dial(network.transport(), seeder.addresses[0] as string)
  rawPeers.push(raw)
  await raw.next('hello')
  raw.send({ type: 'bitfield', infohash: share.infohash, bits: new Uint8Array(0) })
  await raw.next('bitfield')
  let id = 0
  /** Asks for the first block of a piece: the `data` or `reject` that answers it. */
  const ask = (piece: number): Promise<Message> => {
    const request = ++id
    const answer = new Promise<Message>((resolve) =>
      raw.on((message) => {
        if ((message.type === 'data' || message.type === 'reject') && message.id === request) resolve(message)
      }),
    )
    raw.send({ type: 'request', id: request, infohash: share.infohash, piece, offset: 0, length: 16384, proof: false })
    return answer
  }
  return { raw, ask }
}

describe('a seeder whose shared file changes', () => {
  it('re-verifies a file modified in place before serving from it, refuses what no longer matches, and says so', async () => {
    const network = createMemoryNetwork()
    const source = await dir()
    const path = join(source, 'data.bin')
    const original = await writeContent(path, SIZE, 41)
    const seeder = await memoryNode(network.transport(), { changeCheckInterval: 0 })
    nodes.push(seeder)
    const share = await seeder.share(path, { pieceLength: PIECE })
    const { raw, ask } = await joinedRawPeer(network, seeder, share)
    expect(await ask(3)).toMatchObject({ type: 'data' })

    await overwrite(path, 3 * PIECE + 100, contentBytes(1000, 5)) // piece 3 changes, the size stays
    const changed = nextChange(seeder)
    expect(await ask(3)).toMatchObject({ type: 'reject', code: 'NOT_AVAILABLE' })
    expect(await changed).toEqual({
      infohash: share.infohashHex,
      name: 'data.bin',
      path,
      mismatchedPieces: 1,
      filePieces: 10,
    })
    // every other piece verified again and is served; members heard a bitfield without piece 3
    const data = await ask(4)
    expect(data).toMatchObject({ type: 'data' })
    expect(sha256((data as Extract<Message, { type: 'data' }>).bytes)).toBe(
      sha256(original.subarray(4 * PIECE, 4 * PIECE + 16384)),
    )
    expect(await ask(3)).toMatchObject({ type: 'reject', code: 'NOT_AVAILABLE' })
    const bitfields = raw.received.filter((message) => message.type === 'bitfield')
    const last = bitfields[bitfields.length - 1] as Extract<Message, { type: 'bitfield' }>
    expect([...last.bits]).toEqual([0b00000000, 0b00000000])

    // The file is put back: a file with pieces that do not match is looked at again (nobody asks for
    // those pieces any more); piece 3 matches again, and is served again.
    const back = nextChange(seeder)
    await overwrite(path, 3 * PIECE + 100, original.subarray(3 * PIECE + 100, 3 * PIECE + 1100))
    expect(await back).toMatchObject({ path, mismatchedPieces: 0 })
    expect(await ask(3)).toMatchObject({ type: 'data' })
  })

  it('looks before the first read whatever the interval: a leecher gets the other files, never altered bytes', async () => {
    const network = createMemoryNetwork()
    const changedSource = await dir()
    const honestSource = await dir()
    for (const source of [changedSource, honestSource]) {
      await mkdir(join(source, 'album'))
      await writeContent(join(source, 'album', 'a.bin'), 3 * PIECE, 42)
      await writeContent(join(source, 'album', 'b.bin'), 4 * PIECE, 43)
    }
    const expected = await sha256File(join(honestSource, 'album', 'b.bin'))
    const changing = await memoryNode(network.transport()) // default interval: looks every 2 s at most
    const honest = await memoryNode(network.transport(), { limits: { uploadRate: 64 * 1024 } })
    const leecher = await memoryNode(network.transport())
    nodes.push(changing, honest, leecher)
    const share = await changing.share(join(changedSource, 'album'), { pieceLength: PIECE })
    await honest.share(join(honestSource, 'album'), { pieceLength: PIECE })
    const banned: string[] = []
    leecher.on('peer-banned', (peerId) => banned.push(peerId))
    const target = await dir()

    // The leecher takes a.bin from the seeder whose files will change, alone.
    await leecher.download(share.magnet, { dir: target, peers: changing.addresses, files: ['a.bin'] }).done()
    // b.bin changes in place; then the leecher wants it too, from both seeders.
    await overwrite(join(changedSource, 'album', 'b.bin'), 0, contentBytes(4 * PIECE, 99))
    const changed = nextChange(changing)
    await leecher.connect(honest.addresses[0] as string)
    await leecher.download(share.magnet, { files: ['b.bin'] }).done()
    expect(await sha256File(join(target, 'album', 'b.bin'))).toBe(expected)
    expect(banned).toEqual([])
    expect(await changed).toMatchObject({ path: join(changedSource, 'album', 'b.bin'), mismatchedPieces: 4 })
    expect(leecher.peers().map((peer) => peer.peerId)).toContain(changing.peerId)
  })

  it('treats a file that shrank or vanished the same way', async () => {
    const network = createMemoryNetwork()
    const source = await dir()
    const path = join(source, 'data.bin')
    await writeContent(path, SIZE, 44)
    const seeder = await memoryNode(network.transport(), { changeCheckInterval: 0 })
    nodes.push(seeder)
    const share = await seeder.share(path, { pieceLength: PIECE })
    const { ask } = await joinedRawPeer(network, seeder, share)

    await truncate(path, 6 * PIECE + 10) // pieces 7, 8 and 9 are gone, piece 6 is cut
    const cut = nextChange(seeder)
    expect(await ask(8)).toMatchObject({ type: 'reject', code: 'NOT_AVAILABLE' })
    expect(await cut).toMatchObject({ path, mismatchedPieces: 4, filePieces: 10 })
    expect(await ask(5)).toMatchObject({ type: 'data' })
    expect(await ask(6)).toMatchObject({ type: 'reject', code: 'NOT_AVAILABLE' })

    await rm(path)
    const gone = nextChange(seeder)
    expect(await ask(0)).toMatchObject({ type: 'reject', code: 'NOT_AVAILABLE' })
    expect(await gone).toMatchObject({ path, mismatchedPieces: 10 })
  })

  it('looks at every shared file when it is resumed at start', async () => {
    const network = createMemoryNetwork()
    const source = await dir()
    const path = join(source, 'data.bin')
    await writeContent(path, SIZE, 45)
    const state = new MemoryStateStore()
    const first = await memoryNode(network.transport(), { state })
    const share = await first.share(path, { pieceLength: PIECE })
    await first.close()
    await overwrite(path, 9 * PIECE, contentBytes(10, 6)) // while no node runs

    const again = await memoryNode(network.transport(), { state })
    nodes.push(again)
    const changed = await nextChange(again)
    expect(changed).toMatchObject({ infohash: share.infohashHex, path, mismatchedPieces: 1 })
    expect(await readFile(path)).toHaveLength(SIZE) // the file is read, never written
  })
})
