/**
 * What a data channel of `node-datachannel` moves on its own, beside
 * mycel's `DataChannelStream` (`@mycel/transport`'s WebRTC stream, without
 * Noise or the node on top), in one process over 127.0.0.1: the ceiling the
 * Node-to-Node case of `webrtc.bench.ts` is measured against.
 *
 * Cases, each sending the same bytes (64 MiB by default) one way:
 *
 * - raw messages of 16 KiB and of 64 KiB, sent while `bufferedAmount` is under
 *   1 MiB, then on `bufferedamountlow` (512 KiB): the stream's own defaults;
 * - raw messages in the pattern a Noise frame of 65,537 bytes (2-byte length
 *   + 65,535) gave when each write was cut into 64 KiB messages: 65,536 + 1;
 * - `DataChannelStream` given writes of 65,537 bytes (what Noise writes when
 *   it sends full frames), draining on its `onDrain`.
 *
 * Rounds alternate the cases, so a change of the machine's load falls on
 * each. Prints MiB/s and the CPU seconds of the process (both ends).
 *
 * Run: `npx tsx packages/transport/bench/webrtc-raw.bench.ts`
 * (`MYCEL_BENCH_BYTES`, `MYCEL_BENCH_ROUNDS` (default 3), `MYCEL_BENCH_CASES`: keys of `cases`, separated by commas)
 */
import { readdirSync, readFileSync } from 'node:fs'
import nodeDataChannel from 'node-datachannel'
import { type RTCDataChannel, RTCPeerConnection } from 'node-datachannel/polyfill'
import type { ByteSink } from '../src/stream.js'
import { DataChannelStream } from '../src/webrtc/stream.js'
import type { RtcDataChannelLike, RtcPeerConnectionLike } from '../src/webrtc/types.js'

const MiB = 1024 * 1024
const BYTES = Number(process.env.MYCEL_BENCH_BYTES ?? 64 * MiB)
const ROUNDS = Number(process.env.MYCEL_BENCH_ROUNDS ?? 3)
const HIGH_WATER = 1024 * 1024
// libdatachannel's SCTP settings (global, before the first peer connection), as JSON: to try its buffers and timers.
if (process.env.MYCEL_BENCH_SCTP !== undefined)
  nodeDataChannel.setSctpSettings(JSON.parse(process.env.MYCEL_BENCH_SCTP))

/** The peer connections' configuration, as JSON (node-datachannel passes it on: `{"mtu":1500}`). */
const RTC_CONFIG = JSON.parse(process.env.MYCEL_BENCH_RTC_CONFIG ?? '{}')

type Candidate = Parameters<RTCPeerConnection['addIceCandidate']>[0]
type Description = Parameters<RTCPeerConnection['setRemoteDescription']>[0]

interface Pair {
  sender: RTCPeerConnection
  receiver: RTCPeerConnection
  out: RTCDataChannel
  in: RTCDataChannel
}

/** Two peer connections in this process, one data channel between them. */
async function pair(): Promise<Pair> {
  const sender = new RTCPeerConnection(RTC_CONFIG)
  const receiver = new RTCPeerConnection(RTC_CONFIG)
  sender.onicecandidate = (event: { candidate: unknown }) => {
    if (event.candidate) void receiver.addIceCandidate(event.candidate as Candidate)
  }
  receiver.onicecandidate = (event: { candidate: unknown }) => {
    if (event.candidate) void sender.addIceCandidate(event.candidate as Candidate)
  }
  const out = sender.createDataChannel('bench')
  const incoming = new Promise<RTCDataChannel>((resolve) => {
    receiver.ondatachannel = (event: { channel: RTCDataChannel }) => resolve(event.channel)
  })
  await sender.setLocalDescription(await sender.createOffer())
  await receiver.setRemoteDescription(sender.localDescription as Description)
  await receiver.setLocalDescription(await receiver.createAnswer())
  await sender.setRemoteDescription(receiver.localDescription as Description)
  const channel = await incoming
  if (out.readyState !== 'open') await new Promise((resolve) => out.addEventListener('open', resolve, { once: true }))
  if (channel.readyState !== 'open') {
    await new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }))
  }
  out.binaryType = 'arraybuffer'
  channel.binaryType = 'arraybuffer'
  return { sender, receiver, out, in: channel }
}

/** Resolves when `channel` has received `bytes` bytes. */
function received(channel: RTCDataChannel, bytes: number): Promise<void> {
  let got = 0
  return new Promise((resolve) => {
    channel.onmessage = (event: MessageEvent) => {
      got += (event.data as ArrayBuffer).byteLength
      if (got >= bytes) resolve()
    }
  })
}

/** Sends `BYTES` as messages of the sizes `sizes` repeats, with the stream's flow control. */
async function raw(sizes: number[], highWater = HIGH_WATER): Promise<void> {
  const { sender, receiver, out, in: channel } = await pair()
  const done = received(channel, BYTES)
  out.bufferedAmountLowThreshold = highWater / 2
  const messages = sizes.map((size) => new Uint8Array(size))
  let sent = 0
  let next = 0
  while (sent < BYTES) {
    while (sent < BYTES && out.bufferedAmount <= highWater) {
      const message = messages[next++ % messages.length] as Uint8Array
      const size = Math.min(message.length, BYTES - sent)
      out.send(size === message.length ? message : message.subarray(0, size))
      sent += size
    }
    if (sent < BYTES) await new Promise((resolve) => out.addEventListener('bufferedamountlow', resolve, { once: true }))
  }
  await done
  sender.close()
  receiver.close()
}

/** Sends `BYTES` through a `DataChannelStream` in writes of `writeBytes`. */
async function stream(writeBytes: number, highWaterMark = HIGH_WATER): Promise<void> {
  const { sender, receiver, out, in: channel } = await pair()
  let got = 0
  let resolveDone: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve
  })
  const inbound = new DataChannelStream(
    receiver as unknown as RtcPeerConnectionLike,
    channel as unknown as RtcDataChannelLike,
    undefined,
    { highWaterMark },
  )
  inbound.start({
    onData: (chunk) => {
      got += chunk.length
      if (got >= BYTES) resolveDone()
    },
    onEnd: () => {},
    onDrain: () => {},
    onClose: () => {},
  })
  let drained: () => void = () => {}
  const sink: ByteSink = { onData: () => {}, onEnd: () => {}, onDrain: () => drained(), onClose: () => {} }
  const outbound = new DataChannelStream(
    sender as unknown as RtcPeerConnectionLike,
    out as unknown as RtcDataChannelLike,
    undefined,
    { highWaterMark },
  )
  outbound.start(sink)
  const write = new Uint8Array(writeBytes)
  let sent = 0
  while (sent < BYTES) {
    const size = Math.min(writeBytes, BYTES - sent)
    sent += size
    if (!outbound.write(size === writeBytes ? write : write.subarray(0, size))) {
      await new Promise<void>((resolve) => {
        drained = resolve
      })
    }
  }
  await done
  await Promise.all([outbound.close(new Error('done')), inbound.close(new Error('done'))])
}

const cases: Record<string, { label: string; run: () => Promise<void> }> = {
  raw16k: { label: 'raw 16 KiB messages', run: () => raw([16 * 1024]) },
  raw64k: { label: 'raw 64 KiB messages', run: () => raw([64 * 1024]) },
  'raw64k+1': { label: 'raw 65,536 + 1 byte messages', run: () => raw([64 * 1024, 1]) },
  raw65537: { label: 'raw 65,537-byte messages', run: () => raw([65537]) },
  'raw64k-4M': { label: 'raw 64 KiB messages, 4 MiB buffered', run: () => raw([64 * 1024], 4 * MiB) },
  'raw64k-16M': { label: 'raw 64 KiB messages, 16 MiB buffered', run: () => raw([64 * 1024], 16 * MiB) },
  stream: { label: 'DataChannelStream, 65,537-byte writes', run: () => stream(65537) },
  'stream-4M': { label: 'DataChannelStream, 65,537-byte writes, 4 MiB', run: () => stream(65537, 4 * MiB) },
}
const chosen = process.env.MYCEL_BENCH_CASES?.split(',') ?? Object.keys(cases)
const figures = new Map<string, string[]>()
for (let round = 0; round < ROUNDS; round++) {
  for (const name of chosen) {
    const run = cases[name]?.run
    if (run === undefined) throw new Error(`no case ${name}: ${Object.keys(cases).join(', ')}`)
    const cpu = process.cpuUsage()
    const started = performance.now()
    await run()
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    const list = figures.get(cases[name]?.label as string) ?? []
    list.push(`${(BYTES / MiB / seconds).toFixed(1)} MiB/s ${((used.user + used.system) / 1e6).toFixed(2)} s CPU`)
    figures.set(cases[name]?.label as string, list)
  }
}
console.log(`node-datachannel, ${BYTES / MiB} MiB one way on 127.0.0.1, ${ROUNDS} rounds alternating`)
for (const [name, list] of figures) console.log(`  ${name.padEnd(46)}${list.join(', ')}`)
if (process.env.MYCEL_BENCH_THREADS !== undefined) {
  // CPU seconds of each thread of this process, by name (Linux): which of node-datachannel's threads work.
  const ticks = 100
  const byName = new Map<string, number>()
  for (const task of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8')
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const seconds = (Number(fields[11]) + Number(fields[12])) / ticks
    byName.set(name, (byName.get(name) ?? 0) + seconds)
  }
  console.log('  CPU seconds by thread:', [...byName].map(([name, s]) => `${name} ${s.toFixed(2)}`).join(', '))
}
process.exit(0)
