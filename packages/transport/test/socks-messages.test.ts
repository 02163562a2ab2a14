/**
 * The SOCKS5 client's bytes (RFC 1928, RFC 1929): known answers from the
 * RFCs' layouts, the reply decoder against every prefix and random input,
 * the handshake fed one byte at a time, and proxy URLs.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TransportError } from '../src/errors.js'
import { SocksClientHandshake } from '../src/socks/handshake.js'
import {
  decodeConnectReply,
  encodeConnect,
  encodeCredentials,
  encodeGreeting,
  MAX_SOCKS_REPLY_BYTES,
} from '../src/socks/messages.js'
import { describeProxy, parseProxyUrl } from '../src/socks/proxy-url.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex')

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    if (error instanceof TransportError) return error.code
    throw error
  }
  return undefined
}

describe('SOCKS5 requests', () => {
  it('greets with the one method it will use', () => {
    expect(hex(encodeGreeting(false))).toBe('050100')
    expect(hex(encodeGreeting(true))).toBe('050102')
  })

  it('sends RFC 1929 credentials as VER ULEN UNAME PLEN PASSWD', () => {
    expect(hex(encodeCredentials('alice', 'pw'))).toBe(`0105${ascii('alice')}02${ascii('pw')}`)
    expect(() => encodeCredentials('', 'pw')).toThrow(RangeError)
    expect(() => encodeCredentials('a', 'x'.repeat(256))).toThrow(RangeError)
  })

  it('sends CONNECT with IPv4 and IPv6 literals as such and every name as a domain for the proxy', () => {
    expect(hex(encodeConnect('127.0.0.1', 4001))).toBe('050100017f0000010fa1')
    expect(hex(encodeConnect('::1', 80))).toBe(`05010004${'00'.repeat(15)}010050`)
    expect(hex(encodeConnect('2001:db8::192.0.2.1', 443))).toBe(`0501000420010db8${'0000'.repeat(4)}c000020101bb`)
    const onion = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion'
    expect(hex(encodeConnect(onion, 4001))).toBe(`05010003${onion.length.toString(16)}${ascii(onion)}0fa1`)
    expect(hex(encodeConnect('localhost', 1))).toBe(`0501000309${ascii('localhost')}0001`)
    // A dotted quad out of range is no IPv4 address; it still never resolves here.
    expect(hex(encodeConnect('1.2.3.999', 1)).slice(6, 8)).toBe('03')
    expect(codeOf(() => encodeConnect('a'.repeat(256), 1))).toBe('ADDRESS_INVALID')
    expect(codeOf(() => encodeConnect('1::2::3', 1))).toBe('ADDRESS_INVALID')
    expect(() => encodeConnect('example.org', 0)).toThrow(RangeError)
  })
})

/** A well-formed reply to CONNECT: success, the bound address, the port. */
const replyArbitrary = fc.oneof(
  fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 65535 })).map(([ip, port]) => ({
    bytes: Uint8Array.of(5, 0, 0, 1, ...ip, port >> 8, port & 255),
    port,
  })),
  fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 65535 })).map(([ip, port]) => ({
    bytes: Uint8Array.of(5, 0, 0, 4, ...ip, port >> 8, port & 255),
    port,
  })),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 255 }), fc.integer({ min: 0, max: 65535 }))
    .map(([name, port]) => ({ bytes: Uint8Array.of(5, 0, 0, 3, name.length, ...name, port >> 8, port & 255), port })),
)

describe('decodeConnectReply', () => {
  it('reads a whole reply, tells how many bytes a prefix lacks, and leaves what follows', () => {
    fc.assert(
      fc.property(replyArbitrary, fc.uint8Array({ maxLength: 64 }), ({ bytes, port }, after) => {
        const input = new Uint8Array([...bytes, ...after])
        const reply = decodeConnectReply(input)
        expect(reply).toMatchObject({ length: bytes.length, bound: { port } })
        for (let cut = 0; cut < bytes.length; cut++) {
          const partial = decodeConnectReply(input.subarray(0, cut))
          expect('needed' in partial).toBe(true)
          const { needed } = partial as { needed: number }
          expect(needed).toBeGreaterThan(cut)
          expect(needed).toBeLessThanOrEqual(bytes.length)
        }
      }),
    )
  })

  it('on any input, gives a reply, asks for at most 262 bytes, or throws a TransportError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        let result: ReturnType<typeof decodeConnectReply>
        try {
          result = decodeConnectReply(input)
        } catch (error) {
          expect(error).toBeInstanceOf(TransportError)
          expect(['PROXY_PROTOCOL', 'DIAL_FAILED']).toContain((error as TransportError).code)
          return
        }
        if ('needed' in result) {
          expect(result.needed).toBeGreaterThan(input.length)
          expect(result.needed).toBeLessThanOrEqual(MAX_SOCKS_REPLY_BYTES)
        } else expect(result.length).toBeLessThanOrEqual(Math.min(input.length, MAX_SOCKS_REPLY_BYTES))
      }),
      { numRuns: 2000 },
    )
  })

  it('maps a failure to DIAL_FAILED with the reply code, from its first two bytes', () => {
    for (const code of [0x01, 0x05, 0x08, 0xf0, 0xf6, 0x42]) {
      let error: unknown
      try {
        decodeConnectReply(Uint8Array.of(5, code))
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(TransportError)
      expect(error).toMatchObject({ code: 'DIAL_FAILED', proxyReply: code })
    }
  })

  it('refuses another version, a reserved byte, an unknown address type and an empty domain', () => {
    expect(codeOf(() => decodeConnectReply(Uint8Array.of(4, 0x5a)))).toBe('PROXY_PROTOCOL')
    expect(codeOf(() => decodeConnectReply(Uint8Array.of(5, 0, 1, 1)))).toBe('PROXY_PROTOCOL')
    expect(codeOf(() => decodeConnectReply(Uint8Array.of(5, 0, 0, 2)))).toBe('PROXY_PROTOCOL')
    expect(codeOf(() => decodeConnectReply(Uint8Array.of(5, 0, 0, 3, 0, 0, 0)))).toBe('PROXY_PROTOCOL')
  })
})

describe('SocksClientHandshake', () => {
  const reply = Uint8Array.of(5, 0, 0, 1, 0, 0, 0, 0, 0, 0)

  it('runs greeting, credentials and CONNECT with the proxy answering one byte at a time', () => {
    const handshake = new SocksClientHandshake(
      { host: '127.0.0.1', port: 1080, credentials: { username: 'u', password: 'p' } },
      { host: 'peer.onion', port: 4001 },
    )
    expect(hex(handshake.greeting())).toBe('050102')
    const sent: string[] = []
    let done: { rest: Uint8Array } | undefined
    const target = Uint8Array.of(0xaa, 0xbb)
    for (const byte of [5, 2, 1, 0, ...reply, ...target].slice(0, 4 + reply.length)) {
      const step = handshake.receive(Uint8Array.of(byte))
      if (step.send !== undefined) sent.push(hex(step.send))
      if (step.done !== undefined) done = step.done
    }
    expect(sent).toEqual([`0101${ascii('u')}01${ascii('p')}`, `050100030a${ascii('peer.onion')}0fa1`])
    expect(done?.rest.length).toBe(0)
    expect(handshake.connected).toBe(true)
  })

  it('keeps bytes of the target that come with the reply', () => {
    const handshake = new SocksClientHandshake({ host: '127.0.0.1', port: 1080 }, { host: '10.0.0.1', port: 1 })
    expect(handshake.receive(Uint8Array.of(5, 0)).send).toBeDefined()
    const step = handshake.receive(Uint8Array.of(...reply, 1, 2, 3))
    expect([...(step.done?.rest ?? [])]).toEqual([1, 2, 3])
  })

  it('refuses a proxy that answers before it is asked, or wants credentials it was not given', () => {
    const handshake = new SocksClientHandshake({ host: '127.0.0.1', port: 1080 }, { host: '10.0.0.1', port: 1 })
    expect(codeOf(() => handshake.receive(Uint8Array.of(5, 0, ...reply)))).toBe('PROXY_PROTOCOL')
    expect(() => handshake.receive(Uint8Array.of(5))).toThrow(/over/)
    const noAuth = new SocksClientHandshake({ host: '127.0.0.1', port: 1080 }, { host: '10.0.0.1', port: 1 })
    expect(codeOf(() => noAuth.receive(Uint8Array.of(5, 0xff)))).toBe('PROXY_AUTH_FAILED')
    const wrongMethod = new SocksClientHandshake({ host: '127.0.0.1', port: 1080 }, { host: '10.0.0.1', port: 1 })
    expect(codeOf(() => wrongMethod.receive(Uint8Array.of(5, 2)))).toBe('PROXY_PROTOCOL')
    const refused = new SocksClientHandshake(
      { host: '127.0.0.1', port: 1080, credentials: { username: 'u', password: 'p' } },
      { host: '10.0.0.1', port: 1 },
    )
    refused.receive(Uint8Array.of(5, 2))
    expect(codeOf(() => refused.receive(Uint8Array.of(1, 1)))).toBe('PROXY_AUTH_FAILED')
  })
})

describe('parseProxyUrl', () => {
  it('reads host, port and percent-decoded credentials', () => {
    expect(parseProxyUrl('socks5://127.0.0.1:9050')).toEqual({ host: '127.0.0.1', port: 9050 })
    expect(parseProxyUrl('SOCKS5H://[::1]:1080/')).toEqual({ host: '::1', port: 1080 })
    expect(parseProxyUrl('socks5://proxy.example')).toEqual({ host: 'proxy.example', port: 1080 })
    expect(parseProxyUrl('socks5://a%40b:p%3Ass@127.0.0.1:1')).toEqual({
      host: '127.0.0.1',
      port: 1,
      credentials: { username: 'a@b', password: 'p:ss' },
    })
  })

  it('refuses other schemes, paths, bad ports and credentials RFC 1929 cannot carry, without echoing the password', () => {
    for (const url of [
      'http://127.0.0.1:8080',
      'socks4://127.0.0.1:1080',
      'socks5://127.0.0.1:1080/path',
      'socks5://127.0.0.1:0',
      'socks5://127.0.0.1:70000',
      'socks5://user@127.0.0.1:1',
      'socks5://:secret@127.0.0.1:1',
      `socks5://u:${'x'.repeat(256)}@127.0.0.1:1`,
      'socks5://u:%zz@127.0.0.1:1',
      'socks5://bad host:1',
    ]) {
      let error: unknown
      try {
        parseProxyUrl(url)
      } catch (caught) {
        error = caught
      }
      expect(error, url).toBeInstanceOf(TransportError)
      expect((error as TransportError).code).toBe('PROXY_URL_INVALID')
      expect((error as TransportError).message).not.toContain('secret')
    }
  })

  it('describes a proxy without its password', () => {
    expect(describeProxy(parseProxyUrl('socks5://alice:secret@[::1]:9050'))).toBe('socks5://alice:***@[::1]:9050')
  })
})
