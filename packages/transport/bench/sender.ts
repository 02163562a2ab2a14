/**
 * The sending process of the transport benchmark. It connects to a running
 * `peer.ts` on loopback, sends the bytes of one case (or makes the
 * handshakes), waits for the peer's one-byte acknowledgement and prints
 * `{"seconds": s, "cpu": s}`: the time from before connecting to the
 * acknowledgement, and its own CPU seconds over that time.
 *
 * Usage: node sender.mjs <case> <port> <bytes> [handshakes]
 * where case is raw | tls | tls-chacha | stream | secure-16k | secure-64k | handshakes.
 */
import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import { Identity } from '../src/index.js'
import { secure } from '../src/node.js'
import { tcpTransport } from '../src/tcp.js'

const [kind, portText, bytesText, handshakesText] = process.argv.slice(2)
const port = Number(portText)
const total = Number(bytesText)
const CHUNK = 64 * 1024 // raw, TLS and ByteStream writes
const payload = crypto.getRandomValues(new Uint8Array(CHUNK))

/** Writes `total` bytes to a Node socket with backpressure and waits for the acknowledgement byte. */
function pumpSocket(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.once('data', () => {
      socket.destroy()
      resolve()
    })
    let sent = 0
    const write = (): void => {
      while (sent < total) {
        sent += CHUNK
        if (!socket.write(payload)) {
          socket.once('drain', write)
          return
        }
      }
    }
    write()
  })
}

function raw(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ port, host: '127.0.0.1', noDelay: true }, () =>
      pumpSocket(socket).then(resolve, reject),
    )
  })
}

/** TLS 1.3 with OpenSSL's default suite (AES-256-GCM, AES-NI here) or the one named. */
function tls(ciphersuites?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTls(
      { port, host: '127.0.0.1', rejectUnauthorized: false, minVersion: 'TLSv1.3', ciphers: ciphersuites },
      () => pumpSocket(socket).then(resolve, reject),
    )
  })
}

async function byteStream(): Promise<void> {
  const tcp = tcpTransport()
  const stream = await tcp.dial(`tcp://127.0.0.1:${port}`)
  await new Promise<void>((resolve) => {
    let sent = 0
    const write = (): void => {
      while (sent < total) {
        sent += CHUNK
        if (!stream.write(payload)) return
      }
    }
    stream.start({ onData: () => resolve(), onEnd: () => {}, onDrain: write, onClose: () => {} })
    write()
  })
  await tcp.close()
}

/** Sends `total` bytes as application messages of `size` bytes through the secure channel. */
async function secureChannel(size: number): Promise<void> {
  const tcp = tcpTransport()
  const conn = await secure(await tcp.dial(`tcp://127.0.0.1:${port}`), Identity.generate(), { initiator: true })
  const acknowledged = new Promise<void>((resolve) => conn.onMessage(() => resolve()))
  const message = payload.subarray(0, size)
  for (let sent = 0; sent < total; sent += size) {
    if (!conn.write(message)) await conn.drained()
  }
  await acknowledged
  await conn.close()
  await tcp.close()
}

/** Makes `count` handshakes, 8 at a time, each on a new connection. */
async function handshakes(count: number): Promise<void> {
  const tcp = tcpTransport()
  const identity = Identity.generate()
  const address = `tcp://127.0.0.1:${port}`
  let next = 0
  const worker = async (): Promise<void> => {
    while (next++ < count) {
      const conn = await secure(await tcp.dial(address), identity, { initiator: true })
      await conn.close()
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  await tcp.close()
}

const cases: Record<string, () => Promise<void>> = {
  raw,
  tls: () => tls(),
  'tls-chacha': () => tls('TLS_CHACHA20_POLY1305_SHA256'),
  stream: byteStream,
  'secure-16k': () => secureChannel(16 * 1024),
  'secure-64k': () => secureChannel(64 * 1024),
  handshakes: () => handshakes(Number(handshakesText)),
}

const run = cases[kind ?? '']
if (run === undefined) throw new Error(`unknown case ${kind}; one of ${Object.keys(cases).join(', ')}`)
const cpuStart = process.cpuUsage()
const start = performance.now()
await run()
const seconds = (performance.now() - start) / 1000
const cpu = process.cpuUsage(cpuStart)
process.stdout.write(`${JSON.stringify({ seconds, cpu: (cpu.user + cpu.system) / 1e6 })}\n`)
