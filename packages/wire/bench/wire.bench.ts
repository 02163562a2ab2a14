/**
 * Throughput of the wire codecs: a 16 KiB `data` message (the hot path of a
 * transfer) and the bencoded info dictionary of a 10,000-file share.
 * Run: `npm run bench -w @mycel/wire`.
 */
import { Bench } from 'tinybench'
import { type BencodeInput, decodeBencode, decodeMessage, encodeBencode, encodeMessage } from '../src/index.js'

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

const bench = new Bench({ time: 1000, warmupTime: 200 })
bench
  .add('data 16 KiB: encode', () => {
    encodeMessage(dataMessage)
  })
  .add('data 16 KiB: decode', () => {
    decodeMessage(dataEncoded)
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
