/**
 * Part of the accounts suite (accounts-suite.ts): credits and reputation:
 * receipts, peer order by reputation, reports, self-reported counters.
 */

import { randomBytes } from 'node:crypto'
import { signReceipt, toHex } from '@mycel/wire'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import { expect, it } from 'vitest'
import type { AccountsContext } from './accounts-context.js'
import { api, registered } from './api.js'
import { announceOf, httpAnnounceOk } from './clients.js'

const crypto = getDefaultCrypto()

/**
 * Declares these tests in the suite's `describe`.
 *
 * @param context - the suite's tracker factory and scratch files
 */
export function creditTests(context: AccountsContext): void {
  const { start, torrentOf } = context
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
    await httpAnnounceOk(announceBase, announceOf(infohash, { peerId, left: 0, uploaded: 5100, downloaded: 20 }), path)
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
}
