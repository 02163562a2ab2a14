/**
 * How long the dial queue takes to reach a live peer listed after dead ones,
 * with its settings and with plain concurrency limits (no stall rule), over
 * real TCP on 127.0.0.1. Run: `npx tsx packages/node/bench/dead-peers.bench.ts`
 * (MYCEL_BENCH_DEAD=400 for more dead addresses).
 *
 * Dead addresses are listening sockets that never answer (a hung peer, or as
 * slow as a peer that never answers the SYN: each costs the whole timeout)
 * and closed ports (refused at once). The reference is one dial of the live
 * peer alone, in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import { Identity, secure } from '@mycel/transport'
import { tcpTransport } from '@mycel/transport/tcp'
import { PROTOCOL_VERSION } from '@mycel/wire'
import { createNode } from '../src/index.js'
import { AddressBook } from '../src/peer/address-book.js'
import type { PeerConnection } from '../src/peer/connection.js'
import { DIAL_STALL_MS, DialQueue, MAX_DIALS, MAX_OPEN_DIALS } from '../src/peer/dial-queue.js'
import { ConnectionPool } from '../src/peer/pool.js'
import { ProtocolRegistry } from '../src/peer/protocols.js'

const HOST = '127.0.0.1'
const DEAD = Number(process.env.MYCEL_BENCH_DEAD ?? 200)
const NEVER = 2 ** 31 - 1

const servers: Server[] = []
const sockets = new Set<Socket>()

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, HOST, () => resolve((server.address() as { port: number }).port)))
}

async function silentPort(): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  servers.push(server)
  return listen(server)
}

async function closedPort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

function dialerPool(): ConnectionPool {
  const pool: ConnectionPool = new ConnectionPool({
    identity: Identity.generate(),
    transports: [tcpTransport()],
    secure,
    maxConnections: 1000,
    handshakeTimeoutMs: 10_000,
    inboundHandshakeTimeoutMs: 5_000,
    admission: {
      maxHandshakes: 64,
      maxHandshakesPerAddress: 64,
      maxHandshakesPerSubnet: 64,
      maxConnectionsPerAddress: 1000,
      maxConnectionsPerSubnet: 1000,
    },
    idleTimeoutMs: 0,
    inDownload: () => false,
    onRefused: () => {},
    hello: () => ({ type: 'hello', version: PROTOCOL_VERSION, agent: 'bench', listen: [], capabilities: [] }),
    isBanned: () => false,
    scoreOf: async () => 0,
    protocols: new ProtocolRegistry(),
    handler: { onReady() {}, onShareMessage() {}, onCancel() {}, onClose() {} },
  })
  return pool
}

/** Milliseconds until the live address (last in `addresses`) answers. */
async function reach(
  addresses: string[],
  settings: { maxDials: number; stallMs: number; maxOpenDials: number },
): Promise<number> {
  const pool = dialerPool()
  const live = addresses.at(-1) as string
  const started = performance.now()
  let resolveReached: (ms: number) => void = () => {}
  const reached = new Promise<number>((resolve) => {
    resolveReached = resolve
  })
  const queue = new DialQueue({
    book: new AddressBook(),
    dial: (address, signal) => pool.dial(address, signal),
    connection: (peerId) => pool.get(peerId),
    connectionAt: (address) => pool.connectionAt(address),
    canConnect: () => true,
    wants: () => true,
    invite: (_target, peer: PeerConnection) => {
      if (peer.address === live) resolveReached(performance.now() - started)
    },
    ...settings,
  })
  queue.add('share', addresses)
  const ms = await reached
  queue.close()
  await pool.close()
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  return ms
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mycel-bench-dead-'))
  const seeder = await createNode({
    dataDir,
    listen: [`tcp://${HOST}:0`],
    dht: false,
    state: new MemoryStateStore(),
  })
  const live = seeder.addresses[0] as string
  const silent: string[] = []
  const refused: string[] = []
  for (let i = 0; i < DEAD; i++) {
    silent.push(`tcp://${HOST}:${await silentPort()}`)
    refused.push(`tcp://${HOST}:${await closedPort()}`)
  }
  const mixes: Array<[string, string[]]> = [
    [
      `${DEAD / 2} silent + ${DEAD / 2} refused`,
      silent.slice(0, DEAD / 2).flatMap((s, i) => [s, refused[i] as string]),
    ],
    [`${DEAD} silent`, silent],
  ]
  const configs: Array<[string, { maxDials: number; stallMs: number; maxOpenDials: number }]> = [
    [
      `mycel: ${MAX_DIALS} at once, stall ${DIAL_STALL_MS / 1000} s, ${MAX_OPEN_DIALS} open`,
      { maxDials: MAX_DIALS, stallMs: DIAL_STALL_MS, maxOpenDials: MAX_OPEN_DIALS },
    ],
    ['plain limit 50', { maxDials: 50, stallMs: NEVER, maxOpenDials: 50 }],
    ['plain limit 32', { maxDials: 32, stallMs: NEVER, maxOpenDials: 32 }],
    ['plain limit 16', { maxDials: 16, stallMs: NEVER, maxOpenDials: 16 }],
  ]
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; 5 s dial timeout everywhere`,
  )
  const alone = await reach([live], configs[0]?.[1] as never)
  console.log(`reference: the live peer alone                 ${alone.toFixed(0).padStart(6)} ms`)
  for (const [mix, dead] of mixes) {
    for (const [name, settings] of configs) {
      const ms = await reach([...dead, live], settings)
      console.log(`${`${mix}, then live; ${name}`.padEnd(64)} ${ms.toFixed(0).padStart(6)} ms`)
    }
  }
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  )
  await seeder.close()
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  rmSync(dataDir, { recursive: true, force: true })
}

await main()
