import fc from 'fast-check'
import {
  type AnnounceEvent,
  type AnnounceRequest,
  formatIp,
  type ScrapeFile,
  type TrackerPeer,
  type UdpAnnounceRequest,
  WireError,
} from '../src/index.js'

export const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 })
export const ipv4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 })
/** IPv6 addresses with many zero groups (so `::` compression is exercised) and IPv4-mapped ones. */
export const ipv6Bytes = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc
    .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    })
    .map((groups) => {
      const out = new Uint8Array(16)
      groups.forEach((group, i) => {
        out[2 * i] = group >> 8
        out[2 * i + 1] = group & 0xff
      })
      return out
    }),
  ipv4Bytes.map((v4) => new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4])),
)
export const port = fc.integer({ min: 0, max: 0xffff })
export const counter = fc.oneof(fc.nat(), fc.maxSafeNat())

export const peer4: fc.Arbitrary<TrackerPeer> = fc.record({ host: ipv4Bytes.map(formatIp), port })
export const peer6: fc.Arbitrary<TrackerPeer> = fc.record({ host: ipv6Bytes.map(formatIp), port })

const event = fc.option(fc.constantFrom<AnnounceEvent>('started', 'completed', 'stopped', 'paused'), {
  nil: undefined,
})

/** Drops `undefined` values, as the decoders leave absent fields out. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** An HTTP announce as a client sends it. */
export const httpAnnounce: fc.Arbitrary<AnnounceRequest> = fc
  .record({
    infohash: bytes20,
    peerId: bytes20,
    port,
    uploaded: counter,
    downloaded: counter,
    left: fc.option(counter, { nil: undefined }),
    event,
    numwant: fc.option(fc.nat({ max: 1000 }), { nil: undefined }),
    key: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
    trackerId: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
    compact: fc.boolean(),
    ip: fc.option(fc.oneof(ipv4Bytes, ipv6Bytes).map(formatIp), { nil: undefined }),
  })
  .map(defined)

/** A UDP announce as a client sends it. */
export const udpAnnounce: fc.Arbitrary<Omit<UdpAnnounceRequest, 'action'>> = fc
  .record({
    connectionId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    transactionId: fc.nat({ max: 0xffff_ffff }),
    infohash: bytes20,
    peerId: bytes20,
    port,
    uploaded: counter,
    downloaded: counter,
    left: fc.option(counter, { nil: undefined }),
    event,
    numwant: fc.option(fc.nat({ max: 0x7fff_ffff }), { nil: undefined }),
    key: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    ip: fc.option(ipv4Bytes.filter((b) => b.some((x) => x !== 0)).map(formatIp), { nil: undefined }),
    urlData: fc.option(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 600 }), { nil: undefined }),
  })
  .map(defined)

export const scrapeFile: fc.Arbitrary<ScrapeFile> = fc.record({
  infohash: bytes20,
  complete: counter,
  incomplete: counter,
  downloaded: counter,
})

/** Runs `fn`; anything thrown other than a WireError fails the test. */
export function valueOrWireError(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof WireError)) throw err
  }
}

/** Valid encodings with random bytes flipped, inserted, removed or cut off. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 4 }),
    )
    .map(([bytes, edits]) => {
      let out = Array.from(bytes)
      for (const [at, byte, kind] of edits) {
        const i = out.length === 0 ? 0 : at % out.length
        if (kind === 0) out[i] = byte
        else if (kind === 1) out.splice(i, 0, byte)
        else if (kind === 2) out.splice(i, 1)
        else out = out.slice(0, i)
      }
      return new Uint8Array(out)
    })
}

/** Random bytes, short and long. */
export const garbage = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 1000, maxLength: 3000 }))
