/**
 * The receiving process of the transport benchmark. It listens on loopback,
 * serves one kind of run, prints `{"port": n}` when ready and
 * `{"cpu": seconds}` when done, then exits.
 *
 * Usage: node peer.mjs <raw|stream|secure|tls|handshakes> <bytes> [certDir] (bundled by transport.bench.ts)
 */
import { readFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { Identity } from '../src/index.js'
import { secure } from '../src/node.js'
import { tcpTransport } from '../src/tcp.js'

const [mode, bytesText, certDir] = process.argv.slice(2)
const total = Number(bytesText)
const cpuStart = process.cpuUsage()

function report(extra: Record<string, unknown> = {}): void {
  const cpu = process.cpuUsage(cpuStart)
  process.stdout.write(`${JSON.stringify({ cpu: (cpu.user + cpu.system) / 1e6, ...extra })}\n`)
}

/** Counts bytes on a Node socket and acknowledges with one byte once `total` arrived. */
function countSocket(socket: Socket, done: () => void): void {
  let received = 0
  socket.on('data', (chunk) => {
    received += chunk.length
    if (received >= total) {
      socket.end(Uint8Array.of(1))
      done()
    }
  })
}

async function main(): Promise<void> {
  if (mode === 'raw' || mode === 'tls') {
    const onSocket = (socket: Socket): void =>
      countSocket(socket, () => {
        server.close()
        report()
      })
    const server =
      mode === 'raw'
        ? createServer(onSocket)
        : createTlsServer(
            {
              key: readFileSync(`${certDir}/key.pem`),
              cert: readFileSync(`${certDir}/cert.pem`),
              minVersion: 'TLSv1.3',
            },
            onSocket,
          )
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') throw new Error('no address')
      process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)
    })
    return
  }
  const tcp = tcpTransport()
  const identity = Identity.generate()
  let handshakes = 0
  const listener = await tcp.listen('tcp://127.0.0.1:0', {
    onConnection: (stream) => {
      if (mode === 'stream') {
        let received = 0
        stream.start({
          onData: (chunk) => {
            received += chunk.length
            if (received >= total) {
              stream.write(Uint8Array.of(1))
              stream.end()
              void finish()
            }
          },
          onEnd: () => {},
          onDrain: () => {},
          onClose: () => {},
        })
        return
      }
      void secure(stream, identity, { initiator: false }).then(
        (conn) => {
          if (mode === 'handshakes') {
            handshakes++
            void conn.close()
            return
          }
          let received = 0
          conn.onMessage((message) => {
            received += message.length
            if (received >= total) {
              conn.write(Uint8Array.of(1))
              void conn.close().then(finish)
            }
          })
        },
        () => {},
      )
    },
  })
  const finish = async (): Promise<void> => {
    await listener.close()
    report({ handshakes })
    await tcp.close()
  }
  process.stdout.write(`${JSON.stringify({ port: Number(listener.addresses[0]?.split(':').pop()) })}\n`)
  if (mode === 'handshakes') {
    process.stdin.once('data', () => {
      process.stdin.pause()
      void finish()
    })
  }
}

void main()
