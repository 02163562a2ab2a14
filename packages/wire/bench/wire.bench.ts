/**
 * Throughput of the wire codecs: a 16 KiB `data` message (the hot path of a
 * transfer) and the bencoded info dictionary of a 10,000-file share. Then
 * the cost of refusing hostile messages (1 MiB of nesting, 262,144 values)
 * with `decodeMessage`, beside the msgpack library's own decode of the same
 * bytes as the reference.
 * Run: `npm run bench -w @mycel/wire`.
 */
import { Decoder, encode as msgpack } from '@msgpack/msgpack'
import { Bench } from 'tinybench'
import {
  type BencodeInput,
  decodeBencode,
  decodeMessage,
  encodeBencode,
  encodeMessage,
  MESSAGE_LIMITS,
  WireError,
} from '../src/index.js'

const MiB = 1024 * 1024

function infoDict(files: number): BencodeInput {
  const tree: Record<string, BencodeInput> = {}
  for (let i = 0; i < files; i++) {
    const dir = `folder-${Math.floor(i / 100)}`
    const folder = (tree[dir] ?? {}) as Record<string, BencodeInput>
    tree[dir] = folder
    const root = new Uint8Array(32).fill(i & 0xff)
    folder[`photo-${String(i).padStart(5, '0')}.jpg`] = { '': { length: 1_000_000 + i, 'pieces root': root } }
  }
  return { 'file tree': tree, 'meta version': 2, name: 'bench-share', 'piece length': 262144 }
}

const block = new Uint8Array(16 * 1024).map((_, i) => (i * 31) & 0xff)
const dataMessage = { type: 'data' as const, id: 123456, bytes: block }
const dataEncoded = encodeMessage(dataMessage)
const info = infoDict(10_000)
const infoEncoded = encodeBencode(info)

// The library with the options decodeMessage gives it (it has no depth option).
const library = new Decoder({
  maxStrLength: MESSAGE_LIMITS.maxReasonLength * 4,
  maxBinLength: MESSAGE_LIMITS.maxMessageBytes,
  maxArrayLength: MESSAGE_LIMITS.maxListItems,
  maxMapLength: MESSAGE_LIMITS.maxMapEntries,
  maxExtLength: 0,
})

const bench = new Bench({ time: 1000, warmupTime: 200 })
bench
  .add('data 16 KiB: encode', () => {
    encodeMessage(dataMessage)
  })
  .add('data 16 KiB: decode', () => {
    decodeMessage(dataEncoded)
  })
  .add('data 16 KiB: msgpack decode alone (reference)', () => {
    library.decode(dataEncoded)
  })
  .add('info dict 10,000 files: encode', () => {
    encodeBencode(info)
  })
  .add('info dict 10,000 files: decode', () => {
    decodeBencode(infoEncoded)
  })

await bench.run()

const sizes: Record<string, number> = {
  'data 16 KiB: encode': dataEncoded.length,
  'data 16 KiB: decode': dataEncoded.length,
  'data 16 KiB: msgpack decode alone (reference)': dataEncoded.length,
  'info dict 10,000 files: encode': infoEncoded.length,
  'info dict 10,000 files: decode': infoEncoded.length,
}
console.log(
  `@mycel/wire codecs (Node ${process.version}; data message ${dataEncoded.length} B, info dict ${(infoEncoded.length / MiB).toFixed(2)} MiB)`,
)
console.table(
  bench.tasks.map((task) => {
    const hz = task.result.state === 'completed' ? task.result.throughput.mean : Number.NaN
    return {
      case: task.name,
      'ops/s': Math.round(hz).toLocaleString('en-US'),
      'MiB/s': ((hz * (sizes[task.name] ?? 0)) / MiB).toFixed(0),
    }
  }),
)

// Hostile messages: what refusing them costs.

/** `{ type: 'cancel', id: 1, x: ... }` with `x` made of `unit` repeated to fill 1 MiB, then `last`. */
function nested(unit: number[], last: number[]): Uint8Array {
  const head = msgpack({ type: 'cancel', id: 1 })
  const bytes = new Uint8Array(MiB)
  bytes.set(head)
  bytes[0] = 0x83 // one more entry: x
  bytes.set([0xa1, 0x78], head.length)
  let offset = head.length + 2
  while (offset + unit.length + last.length <= MiB) {
    bytes.set(unit, offset)
    offset += unit.length
  }
  bytes.set(last, offset)
  return bytes.subarray(0, offset + last.length)
}

const row = Array.from({ length: 64 }, (_, i) => i)
const hostile: Record<string, Uint8Array> = {
  '1 MiB of nested lists': nested([0x91], [0x00]),
  '1 MiB of nested maps': nested([0x81, 0xa0], [0x00]),
  '1 MiB of nesting, never closed': nested([0x91], []),
  '64 x 64 x 64 integers': msgpack({ type: 'cancel', id: 1, x: Array.from({ length: 64 }, () => row.map(() => row)) }),
}

/** Median ms of `runs` calls of `fn`, and what it ended with. */
function time(fn: () => unknown, runs: number): { ms: number; outcome: string } {
  const times: number[] = []
  let outcome = ''
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    try {
      fn()
      outcome = 'decoded'
    } catch (err) {
      outcome = err instanceof WireError ? err.code : 'threw'
    }
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return { ms: times[Math.floor(runs / 2)] as number, outcome }
}

console.log('\nRefusing hostile messages: median of the library decode (5 runs) and of decodeMessage (200 runs)')
console.table(
  Object.entries(hostile).map(([name, bytes]) => {
    const reference = time(() => library.decode(bytes), 5)
    const ours = time(() => decodeMessage(bytes), 200)
    return {
      case: name,
      bytes: bytes.length.toLocaleString('en-US'),
      'msgpack decode ms': reference.ms.toFixed(1),
      'msgpack outcome': reference.outcome,
      'decodeMessage ms': ours.ms.toFixed(3),
      'decodeMessage outcome': ours.outcome,
      'times faster': Math.round(reference.ms / ours.ms).toLocaleString('en-US'),
    }
  }),
)
