import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatAddress, Identity, parseAddress, parsePeerId, peerIdToString, TransportError } from '../src/index.js'
import { loadIdentity, loadOrCreateIdentity, saveIdentity } from '../src/node.js'

function codeOf(fn: () => unknown): string {
  try {
    fn()
    return 'nothing thrown'
  } catch (err) {
    return err instanceof TransportError ? err.code : `not a TransportError: ${String(err)}`
  }
}

describe('peer ids', () => {
  it('encode as RFC 4648 base32, lower case, no padding (known answers)', () => {
    expect(peerIdToString(new Uint8Array(32))).toBe('a'.repeat(52))
    expect(peerIdToString(new Uint8Array(32).fill(0xff))).toBe(`${'7'.repeat(51)}q`)
    const counting = Uint8Array.from({ length: 32 }, (_, i) => i)
    // RFC 4648: "foobar" = MZXW6YTBOI; here the bytes 0..31, checked against Python's base64.b32encode.
    expect(peerIdToString(counting)).toBe('aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypq')
  })

  it('round-trip through the text form, upper case accepted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const text = peerIdToString(bytes)
        expect(text).toMatch(/^[a-z2-7]{52}$/)
        expect(parsePeerId(text)).toEqual(bytes)
        expect(parsePeerId(text.toUpperCase())).toEqual(bytes)
      }),
    )
  })

  it('refuse anything else with PEER_ID_INVALID', () => {
    const valid = peerIdToString(new Uint8Array(32).fill(1))
    for (const bad of [
      '',
      valid.slice(1),
      `${valid}a`,
      `${valid.slice(0, 51)}1`,
      `${valid.slice(0, 51)}=`,
      `${valid.slice(0, 51)}b`,
    ]) {
      expect(
        codeOf(() => parsePeerId(bad)),
        bad,
      ).toBe('PEER_ID_INVALID')
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const code = codeOf(() => parsePeerId(text))
        expect(['nothing thrown', 'PEER_ID_INVALID']).toContain(code)
        if (code === 'nothing thrown') expect(peerIdToString(parsePeerId(text))).toBe(text.toLowerCase())
      }),
    )
    expect(() => peerIdToString(new Uint8Array(31))).toThrow(RangeError)
  })
})

describe('Identity', () => {
  it('signs and verifies; the peer id is the Ed25519 public key (RFC 8032 test 1)', () => {
    const secret = Uint8Array.from(
      Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'),
    )
    const identity = Identity.fromSecretKey(secret)
    expect(Buffer.from(identity.peerId).toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    )
    const signature = identity.sign(new Uint8Array(0))
    expect(Buffer.from(signature).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    )
    expect(Identity.verify(signature, new Uint8Array(0), identity.peerId)).toBe(true)
    expect(Identity.verify(signature, Uint8Array.of(1), identity.peerId)).toBe(false)
    expect(Identity.verify(signature.subarray(1), new Uint8Array(0), identity.peerId)).toBe(false)
    expect(identity.exportSecretKey()).toEqual(secret)
    expect(identity.toString()).toBe(peerIdToString(identity.peerId))
    expect(() => Identity.fromSecretKey(new Uint8Array(31))).toThrow(RangeError)
  })
})

describe('addresses', () => {
  it('parse the documented forms', () => {
    expect(parseAddress('tcp://127.0.0.1:4001')).toEqual({ scheme: 'tcp', host: '127.0.0.1', port: 4001, path: '' })
    expect(parseAddress('tcp://[::1]:4001')).toEqual({ scheme: 'tcp', host: '::1', port: 4001, path: '' })
    expect(parseAddress('ws://example.org:8080/mycel')).toEqual({
      scheme: 'ws',
      host: 'example.org',
      port: 8080,
      path: '/mycel',
    })
    expect(parseAddress('wss://example.org/mycel').port).toBe(443)
    expect(parseAddress('memory://alice')).toEqual({ scheme: 'memory', host: 'alice', port: 0, path: '' })
    expect(formatAddress(parseAddress('TCP://[::1]:7'))).toBe('tcp://[::1]:7')
  })

  it('refuse malformed ones with ADDRESS_INVALID or ADDRESS_UNSUPPORTED', () => {
    for (const bad of [
      '',
      'tcp://',
      'tcp://1.2.3.4',
      'tcp://1.2.3.4:65536',
      'tcp://1.2.3.4:04',
      'tcp://1.2.3.4:1/x',
      'tcp://[::1:4',
      'tcp://a b:1',
      'memory://',
      'x'.repeat(300),
    ]) {
      expect(
        codeOf(() => parseAddress(bad)),
        bad,
      ).toBe('ADDRESS_INVALID')
    }
    expect(codeOf(() => parseAddress('udp://1.2.3.4:5'))).toBe('ADDRESS_UNSUPPORTED')
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        expect(['nothing thrown', 'ADDRESS_INVALID', 'ADDRESS_UNSUPPORTED']).toContain(codeOf(() => parseAddress(text)))
      }),
    )
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), (host, port) => {
        const text = `tcp://${host}:${port}`
        expect(formatAddress(parseAddress(text))).toBe(text)
      }),
    )
  })
})

describe('identity files', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-identity-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('are created with mode 0600 and load back the same identity', async () => {
    const path = join(dir, 'nested', 'identity.json')
    const created = await loadOrCreateIdentity(path)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const loaded = await loadOrCreateIdentity(path)
    expect(loaded.toString()).toBe(created.toString())
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      type: 'mycel-identity',
      version: 1,
      peerId: created.toString(),
    })
  })

  it('give every concurrent creator the same identity', async () => {
    const path = join(dir, 'identity.json')
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateIdentity(path)))
    expect(new Set(all.map((identity) => identity.toString())).size).toBe(1)
  })

  it('are never overwritten by saveIdentity', async () => {
    const path = join(dir, 'identity.json')
    await saveIdentity(path, Identity.generate())
    await expect(saveIdentity(path, Identity.generate())).rejects.toMatchObject({ code: 'EEXIST' })
  })

  it('that are damaged fail with IDENTITY_FILE_INVALID, readable by others with IDENTITY_FILE_INSECURE', async () => {
    const path = join(dir, 'identity.json')
    const identity = Identity.generate()
    const good = {
      type: 'mycel-identity',
      version: 1,
      peerId: identity.toString(),
      secretKey: Buffer.from(identity.exportSecretKey()).toString('hex'),
    }
    const bad: unknown[] = [
      'not json',
      '[]',
      { ...good, type: 'other' },
      { ...good, version: 2 },
      { ...good, secretKey: 'abc' },
      { ...good, peerId: Identity.generate().toString() },
    ]
    for (const content of bad) {
      await rm(path, { force: true })
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 })
      await expect(loadIdentity(path)).rejects.toMatchObject({ code: 'IDENTITY_FILE_INVALID' })
    }
    await rm(path, { force: true })
    await writeFile(path, JSON.stringify(good), { mode: 0o600 })
    expect((await loadIdentity(path)).toString()).toBe(identity.toString())
    await chmod(path, 0o644)
    await expect(loadIdentity(path)).rejects.toMatchObject({ code: 'IDENTITY_FILE_INSECURE' })
    expect((await loadIdentity(path, { allowInsecurePermissions: true })).toString()).toBe(identity.toString())
    await expect(loadIdentity(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
