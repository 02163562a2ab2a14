import { STORE_LIMITS } from '../limits.js'
import type { SearchHit, StateStore } from '../state-store.js'
import { rejectionCode, type StateContext } from './context.js'
import type { TestRunner } from './runner.js'
import { makeTestShare } from './shares.js'

function peer(byte: number, length = 32): Uint8Array {
  return new Uint8Array(length).fill(byte)
}

/** Three shares that exercise the search rules: folding, every-term matching, file paths. */
async function searchFixture(store: StateStore, clock: { time: number }) {
  const album = await makeTestShare(
    'Holiday Photos 2024',
    [
      { path: ['Beach', 'IMG_0001.JPG'], length: 10 },
      { path: ['Beach', 'img_0002.jpg'], length: 20 },
      { path: ['Mountains', 'ＦＵＬＬ-width.png'], length: 30 },
      { path: ['notes.txt'], length: 40 },
    ],
    16384,
  )
  const movie = await makeTestShare('Straße Movie.mkv', [{ path: ['Straße Movie.mkv'], length: 50 }], 16384)
  await store.putManifest(album.manifest)
  await store.putManifest(movie.manifest)
  await store.addShare({
    infohash: album.manifest.infohash,
    name: 'Holiday Photos 2024',
    role: 'seed',
    contentPath: '/p',
  })
  clock.time += 1
  await store.addShare({
    infohash: movie.manifest.infohash,
    name: 'Straße Movie.mkv',
    role: 'download',
    contentPath: '/m',
  })
  clock.time += 1
  await store.addShare({ infohash: peer(9), name: 'photos backup', role: 'download', contentPath: '/b' })
  clock.time += 1
  await store.addShare({ infohash: peer(8), name: 'Cafe\u0301 ＭＵＳＩＣ', role: 'download', contentPath: '/c' })
  return { album: album.manifest, movie: movie.manifest }
}

function describeHits(hits: SearchHit[]): string[] {
  return hits.map((hit) => (hit.path === undefined ? hit.shareName : `${hit.shareName} > ${hit.path.join('/')}`))
}

/** The search and peer-score parts of the state store compliance suite. @internal */
export function stateSearchAndPeerTests(runner: TestRunner, context: StateContext): void {
  const { describe, expect, it } = runner
  const { clock } = context

  describe('search', () => {
    it('matches every term, case-insensitively after NFKC, in share names then file paths', async () => {
      const store = await context.create()
      const { album } = await searchFixture(store, clock)
      const find = async (query: string, options?: Parameters<StateStore['search']>[1]) =>
        describeHits(await store.search(query, options))
      expect(await find('photos')).toEqual(['Holiday Photos 2024', 'photos backup'])
      expect(await find('PHOTOS  2024')).toEqual(['Holiday Photos 2024'])
      expect(await find('ＰＨＯＴＯＳ')).toEqual(['Holiday Photos 2024', 'photos backup'])
      expect(await find('img jpg')).toEqual([
        'Holiday Photos 2024 > Beach/IMG_0001.JPG',
        'Holiday Photos 2024 > Beach/img_0002.jpg',
      ])
      expect(await find('full-WIDTH')).toEqual(['Holiday Photos 2024 > Mountains/ＦＵＬＬ-width.png'])
      expect(await find('café music')).toEqual(['Cafe\u0301 ＭＵＳＩＣ'])
      expect(await find('straße')).toEqual(['Straße Movie.mkv'])
      expect(await find('movie.mkv')).toEqual(['Straße Movie.mkv'])
      expect(await find('photo beach')).toEqual([])
      expect(await find('photos', { role: 'download' })).toEqual(['photos backup'])
      expect(await find('o', { limit: 3 })).toHaveLength(3)
      expect(await find('o', { limit: 0 })).toEqual([])
      expect(await find('')).toEqual([])
      expect(await find(' \t ')).toEqual([])
      const [hit] = await store.search('notes')
      expect(hit?.infohash).toEqual(album.infohash)
      expect(hit?.fileIndex).toBe(album.files.findIndex((file) => file.path[0] === 'notes.txt'))
    })

    it('refuses queries over the limits and forgets removed shares', async () => {
      const store = await context.create()
      const { album } = await searchFixture(store, clock)
      const terms = Array.from({ length: STORE_LIMITS.maxSearchTerms + 1 }, (_, i) => `t${i}`).join(' ')
      expect(await rejectionCode(store.search(terms))).toBe('RangeError')
      expect(await rejectionCode(store.search('x'.repeat(STORE_LIMITS.maxSearchTermLength + 1)))).toBe('RangeError')
      expect(await rejectionCode(store.search('photos', { role: 'leech' as never }))).toBe('TypeError')
      expect(await rejectionCode(store.search('photos', { limit: -1 }))).toBe('RangeError')
      await store.removeShare(album.infohash)
      expect(describeHits(await store.search('photos'))).toEqual(['photos backup'])
      expect(await store.search('beach')).toEqual([])
    })
  })

  describe('peers', () => {
    it('adjusts scores from zero, saturating, and keeps bans', async () => {
      const store = await context.create()
      expect(await store.getPeer(peer(1))).toBeUndefined()
      expect(await store.adjustPeerScore(peer(1), 2.5)).toEqual({
        peerId: peer(1),
        score: 2.5,
        bannedUntil: 0,
        updatedAt: clock.time,
      })
      clock.time += 5
      expect((await store.adjustPeerScore(peer(1), -4)).score).toBe(-1.5)
      const banned = await store.banPeer(peer(1), clock.time + 3_600_000)
      expect(banned).toMatchObject({ score: -1.5, bannedUntil: clock.time + 3_600_000, updatedAt: clock.time })
      expect((await store.adjustPeerScore(peer(1), 1)).bannedUntil).toBe(clock.time + 3_600_000)
      expect((await store.adjustPeerScore(peer(2), 10 * STORE_LIMITS.maxPeerScore)).score).toBe(
        STORE_LIMITS.maxPeerScore,
      )
      expect((await store.adjustPeerScore(peer(2), -Infinity).catch((err: Error) => err.name)) as string).toBe(
        'TypeError',
      )
      expect((await store.banPeer(peer(3), 0)).score).toBe(0)
      expect(await rejectionCode(store.adjustPeerScore(new Uint8Array(0), 1))).toBe('RangeError')
      expect(await rejectionCode(store.adjustPeerScore(peer(1, STORE_LIMITS.maxPeerIdBytes + 1), 1))).toBe('RangeError')
      expect(await rejectionCode(store.adjustPeerScore(peer(1), Number.NaN))).toBe('TypeError')
      expect(await rejectionCode(store.banPeer(peer(1), -1))).toBe('RangeError')
      expect(await store.removePeer(peer(3))).toBe(true)
      expect(await store.removePeer(peer(3))).toBe(false)
    })

    it('lists the best or worst peers, ties by id, leaving banned ones out on request', async () => {
      const store = await context.create()
      await store.adjustPeerScore(peer(5), 1)
      await store.adjustPeerScore(peer(4), 3)
      await store.adjustPeerScore(peer(6), 3)
      await store.adjustPeerScore(peer(7), -2)
      await store.banPeer(peer(6), clock.time + 1000)
      const ids = async (options: Parameters<StateStore['listPeers']>[0]) =>
        (await store.listPeers(options)).map((record) => record.peerId[0])
      expect(await ids({})).toEqual([4, 6, 5, 7])
      expect(await ids({ order: 'worst' })).toEqual([7, 5, 4, 6])
      expect(await ids({ limit: 2 })).toEqual([4, 6])
      expect(await ids({ excludeBanned: true })).toEqual([4, 5, 7])
      clock.time += 1000
      expect(await ids({ excludeBanned: true })).toEqual([4, 6, 5, 7])
      expect(await rejectionCode(store.listPeers({ order: 'random' as never }))).toBe('TypeError')
    })

    it('forgets the least recently updated peers beyond its bound', async () => {
      const store = await context.create(3)
      for (const byte of [1, 2, 3]) {
        await store.adjustPeerScore(peer(byte), byte)
        clock.time += 10
      }
      await store.adjustPeerScore(peer(1), 1)
      clock.time += 10
      await store.adjustPeerScore(peer(4), 4)
      const kept = (await store.listPeers({})).map((record) => record.peerId[0])
      expect(kept.sort()).toEqual([1, 3, 4])
      await store.adjustPeerScore(peer(5), 5)
      expect((await store.listPeers({})).map((record) => record.peerId[0]).sort()).toEqual([1, 4, 5])
    })
  })
}
