/**
 * Part of the accounts suite (accounts-suite.ts): the catalogue: uploads of
 * every kind, search, sort, counts, personal .torrent and magnet.
 */

import { encodeMetadata } from '@mycel/pieces'
import { decodeBencode, decodeBencodeEntries, encodeBencode, toHex } from '@mycel/wire'
import { expect, it } from 'vitest'
import type { AccountsContext } from './accounts-context.js'
import { api, registered } from './api.js'
import { announceOf, httpAnnounce, httpAnnounceOk } from './clients.js'

/**
 * Declares these tests in the suite's `describe`.
 *
 * @param context - the suite's tracker factory and scratch files
 */
export function catalogueTests(context: AccountsContext): void {
  const { start, torrentOf } = context
  it('catalogue: v2, hybrid, v1 and manifest uploads; search, sort, counts; personal .torrent and magnet', async () => {
    const { tracker, base, announceBase } = await start()
    const alice = await registered(base, 'alice')
    const v2 = await torrentOf('v2')
    const hybrid = await torrentOf('hybrid', 200_000)
    const upload = (body: Uint8Array, type?: string) =>
      api(base, 'POST', '/torrents', { token: alice.token, body, ...(type ? { type } : {}) })
    const listed = await upload(v2.torrent.bytes)
    expect(listed.status).toBe(201)
    expect(listed.json.torrent).toMatchObject({
      infohash: toHex(v2.torrent.infohash.slice(0, 20)),
      infohashV2: toHex(v2.torrent.infohash),
      kind: 'v2',
      size: 100_000,
      files: 1,
      uploader: 'alice',
      seeders: 0,
    })
    expect((await upload(v2.torrent.bytes)).json.error.code).toBe('ALREADY_LISTED')
    expect((await upload(hybrid.torrent.bytes)).json.torrent).toMatchObject({
      kind: 'hybrid',
      infohashV1: toHex(hybrid.torrent.infohashV1 as Uint8Array),
    })
    // a manifest: mycel's { info, piece layers }
    const manifestOnly = await torrentOf('v2', 50_000)
    expect(
      (await upload(encodeMetadata(manifestOnly.manifest), 'application/x-mycel-manifest')).json.torrent,
    ).toMatchObject({
      kind: 'manifest',
      size: 50_000,
    })
    // a v1 torrent, and one whose path climbs out of its folder
    const v1Info = {
      name: 'old-school',
      'piece length': 16384,
      pieces: new Uint8Array(20),
      files: [{ length: 5, path: ['a', 'b.txt'] }],
    }
    expect((await upload(encodeBencode({ info: v1Info }))).json.torrent).toMatchObject({
      kind: 'v1',
      files: 1,
      size: 5,
    })
    const evil = { ...v1Info, name: 'evil', files: [{ length: 5, path: ['..', 'etc', 'passwd'] }] }
    const refused = await upload(encodeBencode({ info: evil }))
    expect([refused.status, refused.json.error.code]).toEqual([422, 'UPLOAD_INVALID'])
    expect((await upload(new Uint8Array([1, 2, 3]))).json.error.code).toBe('UPLOAD_INVALID')
    expect((await upload(new Uint8Array(9 * 1024 * 1024))).json.error.code).toBe('BODY_TOO_LARGE')
    expect((await api(base, 'POST', '/torrents', { body: v2.torrent.bytes })).status).toBe(401)
    // search by words of the name (prefixes), on both databases
    const search = async (q: string) =>
      ((await api(base, 'GET', `/torrents?q=${encodeURIComponent(q)}`)).json.torrents as Array<{ name: string }>)
        .map((t) => t.name)
        .sort()
    expect(await search('photos hybrid')).toEqual(['photos hybrid 2026.bin'])
    expect(await search('PHOT 2026')).toHaveLength(3)
    expect(await search('old')).toEqual(['old-school'])
    expect(await search('") OR 1=1 --')).toEqual([])
    expect(await search('nothing-like-it')).toEqual([])
    // a seeder in the hybrid swarm: counts in the entry, and first when sorted by seeders
    await httpAnnounceOk(
      announceBase,
      announceOf(hybrid.torrent.infohashV1 as Uint8Array, { left: 0, port: 7001 }),
      `/announce/${alice.passkey}`,
    )
    await tracker.flush()
    const bySeeders = await api(base, 'GET', '/torrents?sort=seeders&limit=2')
    expect(bySeeders.json.torrents[0]).toMatchObject({ kind: 'hybrid', seeders: 1, leechers: 0 })
    expect(bySeeders.json.torrents).toHaveLength(2)
    expect((await api(base, 'GET', '/torrents?limit=1000')).json.error.code).toBe('REQUEST_INVALID')
    // the personal .torrent keeps the infohash and announces with the user's passkey
    const file = await api(base, 'GET', `/torrents/${toHex(v2.torrent.infohash)}/torrent`, { token: alice.token })
    expect(file.status).toBe(200)
    const outer = (bytes: Uint8Array) =>
      new Map(decodeBencodeEntries(bytes).map((entry) => [Buffer.from(entry.key).toString('latin1'), entry.value]))
    const fields = outer(file.bytes)
    expect(decodeBencode(fields.get('announce') as Uint8Array)).toEqual(new TextEncoder().encode(alice.announce))
    expect(fields.has('announce-list')).toBe(false)
    expect(fields.get('info')).toEqual(outer(v2.torrent.bytes).get('info'))
    expect(fields.get('piece layers')).toEqual(outer(v2.torrent.bytes).get('piece layers'))
    const magnet = await api(base, 'GET', `/torrents/${listed.json.torrent.infohash}/magnet`, { token: alice.token })
    expect(magnet.json.magnet).toContain(`xt=urn:btmh:1220${toHex(v2.torrent.infohash)}`)
    expect(magnet.json.magnet).toContain(`tr=${encodeURIComponent(alice.announce)}`)
    expect((await api(base, 'GET', `/torrents/${toHex(v2.torrent.infohash)}/torrent`)).status).toBe(401)
    // only the uploader or an admin removes an entry; removing unregisters it
    const bob = await registered(base, 'bob')
    expect((await api(base, 'DELETE', `/torrents/${listed.json.torrent.infohash}`, { token: bob.token })).status).toBe(
      403,
    )
    expect(
      (await api(base, 'DELETE', `/torrents/${listed.json.torrent.infohash}`, { token: alice.token })).status,
    ).toBe(204)
    expect(
      await httpAnnounce(announceBase, announceOf(v2.torrent.infohash.slice(0, 20)), `/announce/${alice.passkey}`),
    ).toMatchObject({
      reason: 'unregistered torrent',
    })
  })
}
