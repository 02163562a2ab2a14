/**
 * Property tests of the private-share decoders: the manifest round-trips;
 * random and mutated bytes give a checked manifest or `PRIVATE_MANIFEST_INVALID`,
 * never another throw; the envelope and link decoders accept exactly their
 * shapes; base64url round-trips.
 */
import { encodeBencode } from '@mycel/wire'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PiecesError } from '../../src/index.js'
import {
  createPrivateManifest,
  decodeEnvelope,
  decodePrivateManifest,
  ENVELOPE_MAGIC,
  encodePrivateManifest,
  formatPrivateLink,
  fromBase64Url,
  parsePrivateLink,
  STANZA_BYTES,
  toBase64Url,
} from '../../src/private.js'

const component = fc.stringMatching(/^[a-zA-Z0-9 ._é-]{1,12}$/).filter((text) => text !== '.' && text !== '..')
const fileList = fc.uniqueArray(
  fc.record({
    path: fc.array(component, { minLength: 1, maxLength: 3 }),
    length: fc.nat({ max: 2 ** 40 }),
    executable: fc.boolean(),
  }),
  { minLength: 1, maxLength: 8, selector: (file) => file.path[0] },
)

function expectCode(run: () => unknown, codes: readonly string[]): unknown {
  try {
    return run()
  } catch (error) {
    expect(error).toBeInstanceOf(PiecesError)
    expect(codes).toContain((error as PiecesError).code)
    return undefined
  }
}

describe('the private manifest decoder', () => {
  it('round-trips every manifest it can be given', () => {
    fc.assert(
      fc.property(component, fileList, (name, files) => {
        const manifest = createPrivateManifest(name, files)
        const decoded = decodePrivateManifest(encodePrivateManifest(manifest), manifest.contentLength)
        expect(decoded).toEqual(manifest)
        if (manifest.contentLength > 0) {
          expectCode(
            () => decodePrivateManifest(encodePrivateManifest(manifest), manifest.contentLength - 1),
            ['PRIVATE_MANIFEST_INVALID'],
          )
        }
      }),
    )
  })

  it('gives a checked manifest or PRIVATE_MANIFEST_INVALID for random bytes and mutations', () => {
    fc.assert(
      fc.property(
        component,
        fileList,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
        (name, files, flips) => {
          const bytes = encodePrivateManifest(createPrivateManifest(name, files))
          for (const [at, xor] of flips) bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ xor
          const decoded = expectCode(() => decodePrivateManifest(bytes, 2 ** 45), ['PRIVATE_MANIFEST_INVALID'])
          if (decoded !== undefined) expect(encodePrivateManifest(decoded as never)).toEqual(bytes)
        },
      ),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expectCode(() => decodePrivateManifest(bytes, 2 ** 45), ['PRIVATE_MANIFEST_INVALID'])
      }),
    )
  })

  it('refuses unsafe paths, unknown keys, a wrong version, files out of order', () => {
    const bad = [
      { files: [{ length: 1, path: ['..'] }], name: 'x', v: 1 },
      { files: [{ length: 1, path: ['/etc'] }], name: 'x', v: 1 },
      { files: [{ length: 1, path: ['a'] }], name: 'x', v: 2 },
      { files: [{ length: 1, path: ['a'] }], name: 'x', v: 1, w: 0 },
      {
        files: [
          { length: 1, path: ['b'] },
          { length: 1, path: ['a'] },
        ],
        name: 'x',
        v: 1,
      },
      {
        files: [
          { length: 1, path: ['a'] },
          { length: 1, path: ['a'] },
        ],
        name: 'x',
        v: 1,
      },
      { files: [], name: 'x', v: 1 },
      { files: [{ length: -1, path: ['a'] }], name: 'x', v: 1 },
      { files: [{ length: 1, path: ['a'], x: 2 }], name: 'x', v: 1 },
      { files: [{ length: 1, path: ['a'] }], name: '..', v: 1 },
    ]
    for (const dict of bad) {
      expect(() => decodePrivateManifest(encodeBencode(dict), 100)).toThrow(
        expect.objectContaining({ code: 'PRIVATE_MANIFEST_INVALID' }),
      )
    }
  })
})

describe('the keys-file decoder', () => {
  it('accepts the magic and 4, 8, 16, 32 or 64 whole stanzas, nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.integer({ min: -1, max: 1 }), (count, extra) => {
        const bytes = new Uint8Array(Math.max(0, ENVELOPE_MAGIC.length + count * STANZA_BYTES + extra))
        bytes.set(ENVELOPE_MAGIC.subarray(0, bytes.length))
        const stanzas = expectCode(() => decodeEnvelope(bytes), ['PRIVATE_ENVELOPE_MALFORMED'])
        const valid = extra === 0 && [4, 8, 16, 32, 64].includes(count)
        expect(stanzas === undefined ? undefined : (stanzas as unknown[]).length).toBe(valid ? count : undefined)
      }),
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expectCode(() => decodeEnvelope(bytes), ['PRIVATE_ENVELOPE_MALFORMED'])
      }),
    )
  })
})

describe('links', () => {
  it('round-trip infohash, key and peers; base64url is canonical', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
        fc.array(fc.constantFrom('127.0.0.1:1', '[::1]:65535', 'host.example:80'), { maxLength: 3 }),
        (infohash, key, peers) => {
          const link = parsePrivateLink(formatPrivateLink({ infohash, ...(key ? { key } : {}), peers }))
          expect(link.infohash).toEqual(infohash)
          expect(link.key).toEqual(key)
          expect(link.peers).toEqual(peers)
        },
      ),
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes)
        expect(toBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'))
      }),
    )
  })

  it('refuses anything else with PRIVATE_LINK_MALFORMED', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        expectCode(() => parsePrivateLink(text), ['PRIVATE_LINK_MALFORMED'])
        expectCode(() => parsePrivateLink(`mycel://${'a'.repeat(64)}#${text}`), ['PRIVATE_LINK_MALFORMED'])
      }),
    )
    const hex = 'ab'.repeat(32)
    for (const text of [
      `mycel://${hex}#${'A'.repeat(42)}`,
      `mycel://${hex}#${'A'.repeat(42)}B`,
      `magnet:?xt=${hex}`,
      `mycel://${hex.slice(2)}`,
    ]) {
      expect(() => parsePrivateLink(text)).toThrow(expect.objectContaining({ code: 'PRIVATE_LINK_MALFORMED' }))
    }
  })
})
