import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeReceipt,
  encodeReceiptBody,
  RECEIPT_BODY_BYTES,
  RECEIPT_BYTES,
  RECEIPT_DOMAIN,
  type Receipt,
  signReceipt,
} from '../src/index.js'
import { nodeCrypto, providers } from './crypto-providers.js'
import { expectWireError } from './helpers.js'

const seed = (byte: number) => new Uint8Array(32).fill(byte)
const downloaderSecret = seed(7)
const downloader = nodeCrypto.ed25519PublicKey(downloaderSecret)
const uploader = nodeCrypto.ed25519PublicKey(seed(8))

function receiptOf(fields: Partial<Receipt> = {}): Receipt {
  return {
    share: new Uint8Array(32).fill(1),
    uploader,
    downloader,
    bytes: 123_456,
    issuedAt: 1_700_000_000_000,
    ...fields,
  }
}

describe('transfer receipts', () => {
  it('lays a receipt out as documented: version, share, uploader, downloader, bytes and time big-endian', () => {
    const body = encodeReceiptBody(receiptOf({ bytes: 2 ** 32 + 5, issuedAt: 258 }))
    expect(body).toHaveLength(RECEIPT_BODY_BYTES)
    expect(body[0]).toBe(1)
    expect(body.subarray(1, 33)).toEqual(new Uint8Array(32).fill(1))
    expect(body.subarray(33, 65)).toEqual(uploader)
    expect(body.subarray(65, 97)).toEqual(downloader)
    expect([...body.subarray(97, 105)]).toEqual([0, 0, 0, 1, 0, 0, 0, 5])
    expect([...body.subarray(105, 113)]).toEqual([0, 0, 0, 0, 0, 0, 1, 2])
    // the signature covers the domain and the body
    const signed = signReceipt(receiptOf(), downloaderSecret, nodeCrypto)
    const message = new Uint8Array([...RECEIPT_DOMAIN, ...signed.subarray(0, RECEIPT_BODY_BYTES)])
    expect(nodeCrypto.ed25519Verify(signed.subarray(RECEIPT_BODY_BYTES), message, downloader)).toBe(true)
    expect(
      nodeCrypto.ed25519Verify(signed.subarray(RECEIPT_BODY_BYTES), signed.subarray(0, RECEIPT_BODY_BYTES), downloader),
    ).toBe(false)
  })

  for (const [name, crypto] of providers) {
    it(`round-trips any receipt, signed and verified with ${name} (property)`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.maxSafeNat(),
          fc.maxSafeNat(),
          (share, uploaderKey, secret, bytes, issuedAt) => {
            const receipt = {
              share,
              uploader: uploaderKey,
              downloader: crypto.ed25519PublicKey(secret),
              bytes,
              issuedAt,
            }
            const signed = signReceipt(receipt, secret, crypto)
            expect(signed).toHaveLength(RECEIPT_BYTES)
            const { signature, ...decoded } = decodeReceipt(
              signed,
              crypto === nodeCrypto ? (providers[1]?.[1] ?? crypto) : nodeCrypto,
            )
            expect(decoded).toEqual(receipt)
            expect(signature).toEqual(signed.subarray(RECEIPT_BODY_BYTES))
          },
        ),
        { numRuns: 50 },
      )
    })
  }

  it('refuses any receipt changed in one byte, or signed by another key (property)', () => {
    const signed = signReceipt(receiptOf(), downloaderSecret, nodeCrypto)
    fc.assert(
      fc.property(fc.nat({ max: RECEIPT_BYTES - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const changed = signed.slice()
        changed[at] = (changed[at] as number) ^ flip
        expect(() => decodeReceipt(changed, nodeCrypto)).toThrow(
          expect.objectContaining({
            name: 'WireError',
            code: expect.stringMatching(/^MESSAGE_(MALFORMED|INVALID_FIELD)$/),
          }),
        )
      }),
      { numRuns: 200 },
    )
    // signed by someone other than the downloader it names
    const forged = signReceipt(receiptOf(), seed(9), nodeCrypto)
    expectWireError(() => decodeReceipt(forged, nodeCrypto), 'MESSAGE_INVALID_FIELD')
  })

  it('refuses hostile input with typed errors: wrong lengths, versions, numbers above 2^53 - 1, bad fields', () => {
    const signed = signReceipt(receiptOf(), downloaderSecret, nodeCrypto)
    for (const length of [0, 1, RECEIPT_BYTES - 1, RECEIPT_BYTES + 1, 10_000]) {
      expectWireError(() => decodeReceipt(new Uint8Array(length), nodeCrypto), 'MESSAGE_MALFORMED')
    }
    const version = signed.slice()
    version[0] = 2
    expectWireError(() => decodeReceipt(version, nodeCrypto), 'MESSAGE_MALFORMED')
    const huge = signed.slice()
    huge[97] = 0xff
    expectWireError(() => decodeReceipt(huge, nodeCrypto), 'MESSAGE_INVALID_FIELD')
    expect(() => decodeReceipt('receipt' as unknown as Uint8Array, nodeCrypto)).toThrow(TypeError)
    for (const bad of [
      { share: new Uint8Array(31) },
      { uploader: new Uint8Array(33) },
      { downloader: 'key' as unknown as Uint8Array },
      { bytes: -1 },
      { bytes: 2 ** 53 },
      { bytes: Number.NaN },
      { bytes: 1.5 },
      { issuedAt: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => encodeReceiptBody(receiptOf(bad))).toThrow(/must be/)
    }
  })
})
