/**
 * Part of the accounts suite (accounts-suite.ts): private mode: passkeys over
 * HTTP and UDP, and signed announce keys of mycel nodes.
 */

import { randomBytes } from 'node:crypto'
import { signAnnounceKey, toHex } from '@mycel/wire'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import { expect, it } from 'vitest'
import type { AccountsContext } from './accounts-context.js'
import { api, registered } from './api.js'
import { announceOf, httpAnnounce, httpAnnounceOk, UdpClient } from './clients.js'

const crypto = getDefaultCrypto()

/**
 * Declares these tests in the suite's `describe`.
 *
 * @param context - the suite's tracker factory and scratch files
 */
export function passkeyTests(context: AccountsContext): void {
  const { start, torrentOf } = context
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
    expect(await httpAnnounce(announceBase, announceOf(randomBytes(20)), `/announce/${other.passkey}`)).toMatchObject({
      reason: 'unregistered torrent',
    })
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
}
