/**
 * The accounts suite, run on SQLite and on PostgreSQL: accounts and
 * sessions, login budgets, passkeys in private mode, the catalogue, and
 * credits from receipts, through the JSON API of a real tracker on
 * 127.0.0.1.
 */

import { randomBytes } from 'node:crypto'
import { encodeMetadata, encodeTorrent } from '@mycel/pieces'
import { ingestFile } from '@mycel/pieces/node'
import { decodeBencode, decodeBencodeEntries, encodeBencode, signAnnounceKey, signReceipt, toHex } from '@mycel/wire'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createTracker, type Tracker } from '../../src/tracker.js'
import { api, registered } from './api.js'
import { announceOf, baseOf, httpAnnounce, httpAnnounceOk, UdpClient } from './clients.js'
import { Scratch } from './scratch.js'

const FAST = { ln: 10, r: 8, p: 1 }
const crypto = getDefaultCrypto()

/**
 * Declares the suite.
 *
 * @param name - the storage
 * @param database - a fresh database per call (a file path or a URL)
 */
export function describeAccounts(name: string, database: () => Promise<string>): void {
  describe(`accounts on ${name}`, () => {
    const trackers: Tracker[] = []
    const scratch = new Scratch()
    afterEach(async () => {
      await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
    })
    afterAll(() => scratch.cleanup())

    async function start(options: Parameters<typeof createTracker>[0] = {}) {
      const lines: string[] = []
      let clock = Date.now()
      const given = typeof options.accounts === 'object' ? options.accounts : {}
      const tracker = await createTracker({
        database: await database(),
        mode: 'private',
        http: [{ host: '127.0.0.1', port: 0 }],
        udp: [],
        api: [{ host: '127.0.0.1', port: 0 }],
        rateLimit: false,
        log: (level, message) => lines.push(`${level}: ${message}`),
        now: () => clock,
        ...options,
        accounts: {
          scryptCost: FAST,
          ...given,
          limits: { registrationsPerAddress: { burst: 100, refillSeconds: 600, maxKeys: 100 }, ...given.limits },
        },
      })
      trackers.push(tracker)
      return {
        tracker,
        lines,
        base: `http://127.0.0.1:${tracker.api[0]?.port}`,
        announceBase: baseOf(tracker.http[0] as { port: number }),
        advance: (ms: number) => {
          clock += ms
        },
      }
    }

    async function torrentOf(kind: 'v2' | 'hybrid', size = 100_000) {
      const dir = await scratch.dir()
      const file = await scratch.file(dir, `photos ${kind} 2026.bin`, size)
      const manifest = await ingestFile(file, { v1: kind === 'hybrid' })
      return {
        manifest,
        torrent: encodeTorrent(manifest, { hybrid: kind === 'hybrid', announce: 'http://old/announce' }),
      }
    }

    it('registers, logs in and out, changes the password, deletes the account; the first account is an admin', async () => {
      const { base } = await start()
      const alice = await api(base, 'POST', '/accounts', { json: { name: 'Alice', password: 'alice password 1' } })
      expect(alice.status).toBe(201)
      expect(alice.json.user).toMatchObject({ name: 'alice', role: 'admin', credits: 0 })
      const bob = await registered(base, 'bob')
      expect((await api(base, 'GET', '/me', { token: bob.token })).json).toMatchObject({ name: 'bob', role: 'user' })
      expect(
        (await api(base, 'POST', '/accounts', { json: { name: 'ALICE', password: 'another one 1' } })).json.error.code,
      ).toBe('NAME_TAKEN')
      expect(
        (await api(base, 'POST', '/accounts', { json: { name: 'x', password: 'long enough' } })).json.error.code,
      ).toBe('NAME_INVALID')
      expect(
        (await api(base, 'POST', '/accounts', { json: { name: 'carol', password: 'short' } })).json.error.code,
      ).toBe('PASSWORD_INVALID')
      // a wrong password and an unknown name get the same answer
      const wrong = await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'not the password' } })
      const unknown = await api(base, 'POST', '/sessions', { json: { name: 'nobody', password: 'not the password' } })
      expect([wrong.status, wrong.json.error.code]).toEqual([401, 'CREDENTIALS_WRONG'])
      expect(unknown.json).toEqual(wrong.json)
      const login = await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'alice password 1' } })
      expect(login.status).toBe(201)
      const token = login.json.token as string
      expect((await api(base, 'GET', '/me', { token })).status).toBe(200)
      // logout revokes the token before it expires
      expect((await api(base, 'DELETE', '/sessions/current', { token })).status).toBe(204)
      expect((await api(base, 'GET', '/me', { token })).json.error.code).toBe('SESSION_INVALID')
      // a changed password ends every session and the old password stops working
      const first = alice.json.token as string
      const changed = await api(base, 'PUT', '/me/password', {
        token: first,
        json: { current: 'alice password 1', password: 'alice password 2' },
      })
      expect(changed.status).toBe(200)
      expect((await api(base, 'GET', '/me', { token: first })).status).toBe(401)
      expect((await api(base, 'GET', '/me', { token: changed.json.token })).status).toBe(200)
      expect(
        (await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'alice password 1' } })).status,
      ).toBe(401)
      // only an admin changes roles
      expect(
        (await api(base, 'PUT', '/users/role', { token: bob.token, json: { name: 'bob', role: 'admin' } })).status,
      ).toBe(403)
      expect(
        (await api(base, 'PUT', '/users/role', { token: changed.json.token, json: { name: 'bob', role: 'admin' } }))
          .status,
      ).toBe(204)
      expect((await api(base, 'GET', '/me', { token: bob.token })).json.role).toBe('admin')
      // deleting needs the password; then the account and its sessions are gone
      expect(
        (await api(base, 'DELETE', '/me', { token: bob.token, json: { password: 'nope nope nope' } })).status,
      ).toBe(401)
      expect(
        (await api(base, 'DELETE', '/me', { token: bob.token, json: { password: 'correct horse battery' } })).status,
      ).toBe(204)
      expect((await api(base, 'GET', '/me', { token: bob.token })).status).toBe(401)
      expect(
        (await api(base, 'POST', '/sessions', { json: { name: 'bob', password: 'correct horse battery' } })).status,
      ).toBe(401)
    })

    it('answers bad requests with typed JSON errors and goes on: oversize and malformed bodies, unknown paths', async () => {
      const { base } = await start()
      const huge = await fetch(`${base}/api/v1/accounts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'alice', password: 'x'.repeat(70_000) }),
      })
      expect([huge.status, ((await huge.json()) as { error: { code: string } }).error.code]).toEqual([
        413,
        'BODY_TOO_LARGE',
      ])
      for (const body of ['not json', '[1, 2]', 'null', '"text"']) {
        const answer = await fetch(`${base}/api/v1/sessions`, { method: 'POST', body })
        expect([answer.status, ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([
          400,
          'REQUEST_INVALID',
        ])
      }
      expect((await api(base, 'GET', '/nowhere')).json.error.code).toBe('NOT_FOUND')
      expect((await api(base, 'PATCH', '/me')).status).toBe(404)
      expect((await api(base, 'POST', '/accounts', { json: { name: 42, password: null } })).json.error.code).toBe(
        'NAME_INVALID',
      )
      expect((await api(base, 'POST', '/sessions', { json: { name: ['a'], password: {} } })).status).toBe(401)
      expect(
        (await api(base, 'POST', '/accounts', { json: { name: 'alice', password: 'fine password' } })).status,
      ).toBe(201)
    })

    it('refuses forged, altered and expired tokens', async () => {
      const { base, advance } = await start({ accounts: { sessionSeconds: 60 } })
      const { token } = await registered(base, 'alice')
      const [header, payload, signature] = token.split('.') as [string, string, string]
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
      const other = Buffer.from(JSON.stringify({ ...claims, sub: claims.sub + 1 })).toString('base64url')
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
      for (const bad of [
        `${header}.${other}.${signature}`,
        `${none}.${payload}.`,
        `${header}.${payload}.${'A'.repeat(43)}`,
        'garbage',
      ]) {
        expect((await api(base, 'GET', '/me', { token: bad })).status).toBe(401)
      }
      expect((await api(base, 'GET', '/me', { token })).status).toBe(200)
      advance(61_000)
      expect((await api(base, 'GET', '/me', { token })).json.error.code).toBe('SESSION_INVALID')
    })

    it('limits failed logins per account and logins per address', async () => {
      const { base, advance } = await start({
        accounts: {
          limits: {
            failedLoginsPerAccount: { burst: 3, refillSeconds: 60, maxKeys: 100 },
            loginsPerAddress: { burst: 8, refillSeconds: 3600, maxKeys: 100 },
            registrationsPerAddress: { burst: 2, refillSeconds: 600, maxKeys: 100 },
          },
        },
      })
      await registered(base, 'alice', 'alice password 1')
      await registered(base, 'bob')
      const third = await api(base, 'POST', '/accounts', { json: { name: 'carol', password: 'carol password' } })
      expect([third.status, third.json.error.code]).toEqual([429, 'RATE_LIMITED'])
      for (let i = 0; i < 3; i++) {
        expect(
          (await api(base, 'POST', '/sessions', { json: { name: 'alice', password: `guess ${i} guess` } })).status,
        ).toBe(401)
      }
      // the account is locked for a while, even with the right password
      const locked = await fetch(`${base}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'alice', password: 'alice password 1' }),
      })
      expect([locked.status, ((await locked.json()) as { error: { code: string } }).error.code]).toEqual([
        429,
        'RATE_LIMITED',
      ])
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
      advance(60_000)
      expect(
        (await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'alice password 1' } })).status,
      ).toBe(201)
      // the address has spent 5 of its 8; 3 more go through (failing), the next is refused whatever the name
      for (let i = 0; i < 3; i++) {
        expect(
          (await api(base, 'POST', '/sessions', { json: { name: `user${i}`, password: 'whatever it is' } })).status,
        ).toBe(401)
      }
      expect(
        (await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'alice password 1' } })).status,
      ).toBe(429)
    })

    it('never shows a password or its hash: not in API answers, not in the log', async () => {
      const { tracker, base, lines } = await start()
      const password = 'hunter2 secret words'
      const { token } = await registered(base, 'alice', password)
      const answers = [
        await api(base, 'GET', '/me', { token }),
        await api(base, 'POST', '/sessions', { json: { name: 'alice', password } }),
        await api(base, 'POST', '/sessions', { json: { name: 'alice', password: `${password}x` } }),
        await api(base, 'PUT', '/me/password', {
          token,
          json: { current: 'wrong wrong wrong', password: 'next password 1' },
        }),
        await api(base, 'GET', '/torrents'),
      ]
      const [hash] = await tracker.storage.sql.all<{ password: string }>('SELECT password FROM tracker_users')
      expect(hash?.password).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/)
      const stored = hash?.password as string
      const salt = stored.split('$')[3] as string
      for (const text of [...answers.map((answer) => answer.text), ...lines]) {
        expect(text).not.toContain(password)
        expect(text).not.toContain('$scrypt$')
        expect(text).not.toContain(salt)
      }
      expect(lines.some((line) => line.includes('alice'))).toBe(true)
    })

    it('private mode: announces need a known passkey; a rotated or revoked one is refused at once', async () => {
      const { tracker, base, announceBase } = await start()
      const alice = await registered(base, 'alice')
      const { torrent } = await torrentOf('v2')
      expect((await api(base, 'POST', '/torrents', { token: alice.token, body: torrent.bytes })).status).toBe(201)
      const infohash = torrent.infohash.slice(0, 20)
      const request = announceOf(infohash, { port: 7001 })
      expect(await httpAnnounce(announceBase, request)).toEqual({
        kind: 'failure',
        reason: expect.stringContaining('private'),
      })
      expect(await httpAnnounce(announceBase, request, '/announce/notapasskey')).toEqual({
        kind: 'failure',
        reason: 'unknown or revoked passkey',
      })
      await httpAnnounceOk(announceBase, request, `/announce/${alice.passkey}`)
      await httpAnnounceOk(announceBase, request, `/${alice.passkey}/announce`)
      expect(alice.announce).toBe(`http://127.0.0.1:${tracker.http[0]?.port}/announce/${alice.passkey}`)
      const rotated = await api(base, 'POST', '/me/passkey', { token: alice.token })
      expect(rotated.json.passkey).not.toBe(alice.passkey)
      expect(await httpAnnounce(announceBase, request, `/announce/${alice.passkey}`)).toMatchObject({ kind: 'failure' })
      await httpAnnounceOk(announceBase, request, `/announce/${rotated.json.passkey}`)
      expect((await api(base, 'DELETE', '/me/passkey', { token: alice.token })).status).toBe(204)
      expect(await httpAnnounce(announceBase, request, `/announce/${rotated.json.passkey}`)).toMatchObject({
        reason: 'unknown or revoked passkey',
      })
      // an unregistered torrent is refused even with a good passkey
      const other = await registered(base, 'bob')
      expect(await httpAnnounce(announceBase, announceOf(randomBytes(20)), `/announce/${other.passkey}`)).toMatchObject(
        {
          reason: 'unregistered torrent',
        },
      )
    })

    it('private mode over UDP: the passkey in BEP 41 URL data, refused when unknown or revoked', async () => {
      const { tracker, base } = await start({ udp: [{ host: '127.0.0.1', port: 0 }] })
      const alice = await registered(base, 'alice')
      const { torrent } = await torrentOf('v2')
      await api(base, 'POST', '/torrents', { token: alice.token, body: torrent.bytes })
      const udp = new UdpClient('127.0.0.1', tracker.udp[0]?.port as number, 4)
      try {
        const request = announceOf(torrent.infohash.slice(0, 20), { port: 7001 })
        expect(await udp.announce(request, {})).toMatchObject({
          action: 'error',
          message: expect.stringContaining('private'),
        })
        expect(await udp.announce(request, { urlData: '/announce/not-a-passkey' })).toMatchObject({
          action: 'error',
          message: 'unknown or revoked passkey',
        })
        expect(await udp.announce(request, { urlData: `/announce/${alice.passkey}` })).toMatchObject({
          action: 'announce',
          leechers: 1,
        })
        await api(base, 'DELETE', '/me/passkey', { token: alice.token })
        expect(await udp.announce(request, { urlData: `/announce/${alice.passkey}` })).toMatchObject({
          action: 'error',
          message: 'unknown or revoked passkey',
        })
      } finally {
        udp.close()
      }
    })

    it('a mycel node announces with a signed key instead of a passkey: its bound peer key, the infohash, a fresh minute', async () => {
      const { base, announceBase } = await start()
      const alice = await registered(base, 'alice')
      const { torrent } = await torrentOf('v2')
      await api(base, 'POST', '/torrents', { token: alice.token, body: torrent.bytes })
      const infohash = torrent.infohash.slice(0, 20)
      const secret = new Uint8Array(randomBytes(32))
      const minute = () => Math.floor(Date.now() / 60_000)
      const signed = (hash = infohash, at = minute(), key = secret) =>
        `/announce/${signAnnounceKey(key, hash, at, crypto)}`
      const request = announceOf(infohash, { port: 7001 })
      // not bound yet
      expect(await httpAnnounce(announceBase, request, signed())).toMatchObject({
        reason: 'no account bound this peer key',
      })
      await api(base, 'PUT', '/me/peer-key', {
        token: alice.token,
        json: { peerKey: toHex(crypto.ed25519PublicKey(secret)) },
      })
      await httpAnnounceOk(announceBase, announceOf(infohash, { port: 7002 }), signed(infohash, minute() + 1))
      // a key signed for another infohash, too old, or by another key
      const forOther = signAnnounceKey(secret, new Uint8Array(20).fill(7), minute(), crypto)
      expect(await httpAnnounce(announceBase, request, `/announce/${forOther}`)).toMatchObject({
        reason: 'signed announce key does not verify',
      })
      expect(await httpAnnounce(announceBase, request, signed(infohash, minute() - 10))).toMatchObject({
        reason: expect.stringContaining('too old or too new'),
      })
      const tampered = signed().replace(
        /\.([0-9a-z]+)\./,
        (_, m: string) => `.${(Number.parseInt(m, 36) + 1).toString(36)}.`,
      )
      expect(await httpAnnounce(announceBase, request, tampered)).toMatchObject({
        reason: 'signed announce key does not verify',
      })
    })

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
      expect(
        (await api(base, 'DELETE', `/torrents/${listed.json.torrent.infohash}`, { token: bob.token })).status,
      ).toBe(403)
      expect(
        (await api(base, 'DELETE', `/torrents/${listed.json.torrent.infohash}`, { token: alice.token })).status,
      ).toBe(204)
      expect(
        await httpAnnounce(announceBase, announceOf(v2.torrent.infohash.slice(0, 20)), `/announce/${alice.passkey}`),
      ).toMatchObject({
        reason: 'unregistered torrent',
      })
    })

    it('receipts move credits from downloader to uploader: replays, inflation and sybil pairs make nothing', async () => {
      const { tracker, base, announceBase } = await start()
      const size = 100_000
      const { torrent } = await torrentOf('v2', size)
      const share = torrent.infohash
      const keys = ['alice', 'bob', 'carol'].map(() => {
        const secret = new Uint8Array(randomBytes(32))
        return { secret, public: crypto.ed25519PublicKey(secret) }
      })
      const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => registered(base, name)))
      const users = [alice, bob, carol] as Array<{ token: string; passkey: string }>
      for (const [i, user] of users.entries()) {
        expect(
          (
            await api(base, 'PUT', '/me/peer-key', {
              token: user.token,
              json: { peerKey: toHex(keys[i]?.public as Uint8Array) },
            })
          ).status,
        ).toBe(204)
      }
      await api(base, 'POST', '/torrents', { token: alice?.token, body: torrent.bytes })
      const receipt = (from: number, to: number, bytes: number) =>
        Buffer.from(
          signReceipt(
            {
              share,
              uploader: keys[from]?.public as Uint8Array,
              downloader: keys[to]?.public as Uint8Array,
              bytes,
              issuedAt: Date.now(),
            },
            keys[to]?.secret as Uint8Array,
            crypto,
          ),
        ).toString('base64')
      const submit = async (...receipts: string[]) =>
        (await api(base, 'POST', '/receipts', { token: alice?.token, json: { receipts } })).json.results
      const credits = async () =>
        Promise.all(
          users.map(async (user) => (await api(base, 'GET', '/me', { token: user.token })).json.credits as number),
        )

      // before both announced, a receipt counts nothing
      expect(await submit(receipt(0, 1, 1000))).toEqual([
        { status: 'refused', reason: expect.stringContaining('announced') },
      ])
      for (const user of users) {
        await httpAnnounceOk(
          announceBase,
          announceOf(share.slice(0, 20), { port: 7000 + users.indexOf(user) }),
          `/announce/${user.passkey}`,
        )
      }
      expect(await submit(receipt(0, 1, 1000))).toEqual([{ status: 'credited', increase: 1000 }])
      expect(await credits()).toEqual([1000, -1000, 0])
      // a replay, and an older (smaller) receipt, change nothing; a newer one adds the difference
      expect(await submit(receipt(0, 1, 1000), receipt(0, 1, 500))).toEqual([
        { status: 'unchanged' },
        { status: 'unchanged' },
      ])
      expect(await submit(receipt(0, 1, 1500))).toEqual([{ status: 'credited', increase: 500 }])
      // an inflated receipt counts up to the share's size, once
      expect(await submit(receipt(0, 1, 10 ** 12))).toEqual([{ status: 'credited', increase: size - 1500 }])
      expect(await submit(receipt(0, 1, 10 ** 13))).toEqual([{ status: 'unchanged' }])
      expect(await credits()).toEqual([size, -size, 0])
      // a sybil pair (bob and carol) trading receipts gains nothing in total
      const before = (await credits()).reduce((a, b) => a + b, 0)
      await submit(receipt(1, 2, size), receipt(2, 1, size), receipt(1, 2, size))
      const after = await credits()
      expect(after.reduce((a, b) => a + b, 0)).toBe(before)
      expect((after[1] as number) + (after[2] as number)).toBe(-size)
      // a forged signature, a self-credit, a share not in the catalogue
      const forged = Buffer.from(receipt(0, 1, size + 5), 'base64')
      forged[100] = (forged[100] as number) ^ 1
      const self = Buffer.from(
        signReceipt(
          {
            share,
            uploader: keys[0]?.public as Uint8Array,
            downloader: keys[0]?.public as Uint8Array,
            bytes: 5,
            issuedAt: 1,
          },
          keys[0]?.secret as Uint8Array,
          crypto,
        ),
      ).toString('base64')
      const elsewhere = Buffer.from(
        signReceipt(
          {
            share: new Uint8Array(32).fill(9),
            uploader: keys[0]?.public as Uint8Array,
            downloader: keys[1]?.public as Uint8Array,
            bytes: 5,
            issuedAt: 1,
          },
          keys[1]?.secret as Uint8Array,
          crypto,
        ),
      ).toString('base64')
      expect(
        (await submit(forged.toString('base64'), self, elsewhere, 'not base64 at all!')).map(
          (r: { status: string }) => r.status,
        ),
      ).toEqual(['refused', 'refused', 'refused', 'refused'])
      const total = (await credits()).reduce((a, b) => a + b, 0)
      expect(total).toBe(0)
      // verified uploads show, self-reported counters are flagged apart
      const me = (await api(base, 'GET', '/me', { token: alice?.token })).json
      expect(me.verified).toEqual({ uploaded: size, downloaded: 0 })
      expect(me.selfReported).toMatchObject({ uploaded: 0, downloaded: 0 })
      void tracker
    })

    it('peer lists put higher reputation first, and keep the best of twice as many candidates', async () => {
      const { tracker, base, announceBase } = await start()
      const { torrent } = await torrentOf('v2')
      const names = ['low', 'mid', 'top', 'zero', 'leech']
      const users = []
      for (const name of names) users.push(await registered(base, name))
      await api(base, 'POST', '/torrents', { token: users[0]?.token, body: torrent.bytes })
      const infohash = torrent.infohash.slice(0, 20)
      for (const [i, reputation] of [5, 50, 500, 0].entries()) {
        await tracker.storage.sql.run('UPDATE tracker_users SET reputation = $1 WHERE name = $2', [
          reputation,
          names[i] as string,
        ])
        await httpAnnounceOk(
          announceBase,
          announceOf(infohash, { left: 0, port: 7001 + i }),
          `/announce/${users[i]?.passkey}`,
        )
      }
      await tracker.flush() // reads the reputations of the accounts with peers
      const leecher = `/announce/${users[4]?.passkey}`
      for (let round = 0; round < 5; round++) {
        const all = await httpAnnounceOk(announceBase, announceOf(infohash, { port: 7100 }), leecher)
        expect(all.peers.map((peer) => peer.port)).toEqual([7003, 7002, 7001, 7004])
        const two = await httpAnnounceOk(announceBase, announceOf(infohash, { port: 7100, numwant: 2 }), leecher)
        // two of four candidates: the best of the random four taken, so the top two
        expect(two.peers.map((peer) => peer.port)).toEqual([7003, 7002])
      }
    })

    it('reports of corrupt data and failed transfers lower the reputation of the reported account, once per reporter and share', async () => {
      const { tracker, base, announceBase } = await start()
      const { torrent } = await torrentOf('v2')
      const [seeder, leecher, stranger] = [
        await registered(base, 'seeder'),
        await registered(base, 'leecher'),
        await registered(base, 'stranger'),
      ]
      const key = crypto.ed25519PublicKey(new Uint8Array(32).fill(3))
      await api(base, 'PUT', '/me/peer-key', { token: seeder.token, json: { peerKey: toHex(key) } })
      await api(base, 'POST', '/torrents', { token: seeder.token, body: torrent.bytes })
      await tracker.storage.sql.run('UPDATE tracker_users SET verified_uploaded = $1 WHERE name = $2', [
        2 ** 30,
        'seeder',
      ])
      await httpAnnounceOk(
        announceBase,
        announceOf(torrent.infohash.slice(0, 20), { port: 7001 }),
        `/announce/${leecher.passkey}`,
      )
      const report = (token: string, reason: string, peerKey = toHex(key)) =>
        api(base, 'POST', '/reports', { token, json: { peerKey, share: toHex(torrent.infohash), reason } })
      const reputation = async () => (await api(base, 'GET', '/me', { token: seeder.token })).json.reputation
      // a reporter who did not announce the share is not heard
      expect((await report(stranger.token, 'corrupt')).json.error.code).toBe('REQUEST_INVALID')
      expect(await report(leecher.token, 'corrupt')).toMatchObject({
        status: 200,
        json: { status: 'counted', penalty: 5 },
      })
      // once per reporter and share, whatever the reason
      expect((await report(leecher.token, 'corrupt')).json).toEqual({ status: 'unchanged' })
      expect((await report(leecher.token, 'failed')).json).toEqual({ status: 'unchanged' })
      // 10 points for 1 GiB of verified uploads, 5 taken by the report
      expect(await reputation()).toBe(5)
      expect((await report(leecher.token, 'corrupt', 'ab'.repeat(32))).json.error.code).toBe('NOT_FOUND')
      expect((await report(leecher.token, 'bogus')).json.error.code).toBe('REQUEST_INVALID')
    })

    it('self-reported ratio counters and seeding time come from announces, written in batches', async () => {
      const { tracker, base, announceBase, advance } = await start()
      const alice = await registered(base, 'alice')
      const { torrent } = await torrentOf('v2')
      await api(base, 'POST', '/torrents', { token: alice.token, body: torrent.bytes })
      const infohash = torrent.infohash.slice(0, 20)
      const peerId = new Uint8Array(randomBytes(20))
      const path = `/announce/${alice.passkey}`
      await httpAnnounceOk(announceBase, announceOf(infohash, { peerId, left: 0, uploaded: 100, downloaded: 0 }), path)
      advance(600_000)
      await httpAnnounceOk(
        announceBase,
        announceOf(infohash, { peerId, left: 0, uploaded: 5100, downloaded: 20 }),
        path,
      )
      // a restarted client counts from 0 again
      await httpAnnounceOk(announceBase, announceOf(infohash, { peerId, left: 0, uploaded: 300, downloaded: 0 }), path)
      expect((await api(base, 'GET', '/me', { token: alice.token })).json.selfReported.uploaded).toBe(0)
      await tracker.flush()
      expect((await api(base, 'GET', '/me', { token: alice.token })).json.selfReported).toEqual({
        uploaded: 5300,
        downloaded: 20,
        seedingSeconds: 600,
      })
    })
  })
}
