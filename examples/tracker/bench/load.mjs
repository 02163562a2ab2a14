// The benchmark's load generator, in a process of its own: the same requests for every tracker.
// Peers come from several loopback addresses (one address has too few ports for 100,000 peers);
// peer i announces from address i % A, port 1 + floor(i / A), into swarm i % S; a quarter are seeders.
//
//   node load.mjs '<json config>'   ->  one JSON line: requests, seconds, per second, failures
//
// Modes: http-fill (each peer announces `started` once), http-rate and udp-rate (random existing
// peers announce again for `seconds`). HTTP keeps one request in flight per keep-alive connection;
// UDP keeps `window` requests in flight per socket, topping up what the kernel drops.
import { createHash } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { decodeUdpResponse, encodeUdpAnnounceRequest, encodeUdpConnectRequest, formatAnnounceQuery } from '@mycel/wire'

const config = JSON.parse(process.argv[2])
const { mode, port, peers, swarms, addresses } = config
const A = addresses.length

const infohashes = Array.from(
  { length: swarms },
  (_, s) => new Uint8Array(createHash('sha1').update(`swarm ${s}`).digest()),
)
const peerOf = (i) => ({
  address: i % A,
  port: 1 + Math.floor(i / A),
  infohash: infohashes[i % swarms],
  peerId: new Uint8Array(createHash('sha1').update(`peer ${i}`).digest()),
  left: i % 4 === 0 ? 0 : 1_000_000,
})
/** The peers of each address. */
const byAddress = Array.from({ length: A }, (_, a) => {
  const list = []
  for (let i = a; i < peers; i += A) list.push(i)
  return list
})

function httpRequest(i, event) {
  const peer = peerOf(i)
  const query = formatAnnounceQuery({
    infohash: peer.infohash,
    peerId: peer.peerId,
    port: peer.port,
    uploaded: 0,
    downloaded: 0,
    left: peer.left,
    ...(event ? { event } : {}),
    numwant: 50,
  })
  return `GET /announce?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: mycel-bench/1\r\nAccept-Encoding: gzip\r\n\r\n`
}

const FAILURE = Buffer.from('14:failure reason')
const HEAD_END = Buffer.from('\r\n\r\n')
const LENGTH_HEADER = Buffer.from('content-length:')

/** The Content-Length of a response head, read from the bytes (either case of the name). */
function contentLength(buffer, headEnd) {
  let at = buffer.indexOf(LENGTH_HEADER)
  if (at < 0 || at > headEnd) at = buffer.indexOf('Content-Length:')
  if (at < 0 || at > headEnd) throw new Error(`no Content-Length in ${buffer.toString('latin1', 0, headEnd)}`)
  let value = 0
  for (let i = at + LENGTH_HEADER.length; i < headEnd; i++) {
    const byte = buffer[i]
    if (byte === 0x20) continue
    if (byte < 0x30 || byte > 0x39) break
    value = value * 10 + (byte - 0x30)
  }
  return value
}

function runHttp() {
  const fill = mode === 'http-fill'
  const connections = config.connections
  const deadline = fill ? Number.POSITIVE_INFINITY : performance.now() + config.seconds * 1000
  // fill: the peers of an address are shared among that address's connections
  const queues = Array.from({ length: connections }, () => [])
  if (fill) {
    for (let a = 0; a < A; a++) {
      const own = Array.from({ length: connections }, (_, j) => j).filter((j) => j % A === a)
      byAddress[a].forEach((i, n) => {
        queues[own[n % own.length]].push(i)
      })
    }
  }
  const cache = fill ? undefined : new Map()
  const next = (j) => {
    if (fill) {
      const i = queues[j].pop()
      return i === undefined ? undefined : httpRequest(i, 'started')
    }
    if (performance.now() >= deadline) return undefined
    const own = byAddress[j % A]
    const i = own[Math.floor(Math.random() * own.length)]
    let request = cache.get(i)
    if (request === undefined) {
      request = httpRequest(i)
      cache.set(i, request)
    }
    return request
  }
  let done = 0
  let failures = 0
  const start = performance.now()
  return new Promise((resolve) => {
    let open = connections
    const finish = () => {
      if (--open > 0) return
      const seconds = (performance.now() - start) / 1000
      resolve({ mode, requests: done, seconds, perSecond: done / seconds, failures })
    }
    for (let j = 0; j < connections; j++) {
      const socket = connect({ port, host: '127.0.0.1', localAddress: addresses[j % A], noDelay: true })
      let buffer = Buffer.alloc(0)
      const send = () => {
        const request = next(j)
        if (request === undefined) socket.end()
        else socket.write(request, 'latin1')
      }
      socket.on('connect', send)
      socket.on('error', (error) => {
        failures++
        process.stderr.write(`connection ${j}: ${error.message}\n`)
      })
      socket.on('close', finish)
      socket.on('data', (chunk) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
        for (;;) {
          const headEnd = buffer.indexOf(HEAD_END)
          if (headEnd < 0) return
          const length = contentLength(buffer, headEnd)
          if (buffer.length < headEnd + 4 + length) return
          const body = buffer.subarray(headEnd + 4, headEnd + 4 + length)
          // HTTP/1.1 200: byte 9 is '2'; a bencoded dictionary without a failure reason
          if (buffer[9] !== 0x32 || body[0] !== 0x64 || body.includes(FAILURE)) failures++
          done++
          buffer = buffer.subarray(headEnd + 4 + length)
          send()
        }
      })
    }
  })
}

function runUdp() {
  const sockets = config.sockets
  const window = config.window
  const deadline = performance.now() + config.seconds * 1000
  let done = 0
  let failures = 0
  let topUps = 0
  return Promise.all(
    Array.from({ length: sockets }, (_, k) => {
      const socket = createSocket('udp4')
      const own = byAddress[k % A]
      let connectionId
      let inFlight = 0
      let transaction = 1
      let lastAnswer = performance.now()
      const send = () => {
        const peer = peerOf(own[Math.floor(Math.random() * own.length)])
        const packet = encodeUdpAnnounceRequest({
          connectionId,
          transactionId: transaction++ >>> 0,
          infohash: peer.infohash,
          peerId: peer.peerId,
          port: peer.port,
          uploaded: 0,
          downloaded: 0,
          left: peer.left,
          numwant: 50,
          key: new Uint8Array(4),
        })
        inFlight++
        socket.send(packet, port, '127.0.0.1')
      }
      return new Promise((resolve) => {
        let timer
        const stop = () => {
          clearInterval(timer)
          socket.close(resolve)
        }
        socket.on('message', (message) => {
          lastAnswer = performance.now()
          const response = decodeUdpResponse(message, { family: 4 })
          if (response.action === 'connect') {
            connectionId = response.connectionId
            for (let n = 0; n < window; n++) send()
            return
          }
          inFlight--
          if (performance.now() < deadline) {
            if (response.action === 'announce') done++
            else failures++
          }
          if (performance.now() < deadline) send()
          else if (inFlight <= 0) stop()
        })
        // Loopback drops datagrams when a socket buffer is full: refill the window after a silence.
        timer = setInterval(() => {
          const now = performance.now()
          if (now >= deadline + 500) return stop()
          if (connectionId !== undefined && now - lastAnswer > 100 && now < deadline) {
            topUps++
            inFlight = 0
            for (let n = 0; n < window; n++) send()
          }
        }, 100)
        socket.bind(0, addresses[k % A], () => socket.send(encodeUdpConnectRequest(k + 1), port, '127.0.0.1'))
      })
    }),
  ).then(() => ({ mode, requests: done, seconds: config.seconds, perSecond: done / config.seconds, failures, topUps }))
}

const result = await (mode.startsWith('http') ? runHttp() : runUdp())
process.stdout.write(`${JSON.stringify(result)}\n`)
