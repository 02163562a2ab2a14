/**
 * The leak check of proxy mode: a node with a proxy runs in its own process
 * with every socket recorded (fixtures/record-sockets.mjs wraps TCP/IPC
 * connects, UDP socket creation and DNS queries), downloads a share from a
 * peer named by a host name, meets a second peer through peer exchange, and
 * announces to an HTTP tracker named by host name (a UDP tracker in its list
 * must not be asked), and follows a channel of the first peer (its versions
 * come by gossip; proxy mode has no DHT to resolve it from).
 * The only destination it may reach is the SOCKS5 proxy (Debian's
 * microsocks, with a user and password): any other connect, any UDP socket
 * or DNS query fails the test.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { type SocksServer, startMicrosocks } from '../../transport/test/socks-servers.js'
import { createNode, type MycelNode } from '../src/index.js'
import { cleanup, tempDir, writeContent } from './helpers.js'
import { announceBody, HttpTrackerDouble, reply, UdpTrackerDouble } from './tracker-doubles.js'

const child = fileURLToPath(new URL('./fixtures/proxied-child.ts', import.meta.url))
const recorder = fileURLToPath(new URL('./fixtures/record-sockets.mjs', import.meta.url))

type Line = Record<string, unknown> & { event: string }
type Record_ =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'ipc'; path: string }
  | { kind: 'udp'; type: string }
  | { kind: 'dns'; call: string; name: string }

const nodes: MycelNode[] = []
const dirs: string[] = []
const servers: SocksServer[] = []
const children: ChildProcess[] = []
const trackers: Array<HttpTrackerDouble | UdpTrackerDouble> = []
afterEach(async () => {
  await Promise.all(trackers.splice(0).map((tracker) => tracker.close()))
  for (const process of children.splice(0)) if (process.exitCode === null) process.kill('SIGKILL')
  await cleanup(nodes.splice(0), dirs.splice(0))
  await Promise.all(servers.splice(0).map((server) => server.kill()))
})

/** Runs the proxied child; its JSON lines, and a promise of the first line of an event. */
function runChild(args: string[], recordFile: string) {
  const process_ = spawn(process.execPath, ['--import', 'tsx', '--import', recorder, child, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, MYCEL_SOCKET_RECORD: recordFile },
  })
  children.push(process_)
  const lines: Line[] = []
  const waiters: Array<() => void> = []
  let stderr = ''
  process_.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  createInterface({ input: process_.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    lines.push(JSON.parse(text) as Line)
    for (const wake of waiters.splice(0)) wake()
  })
  process_.once('exit', () => {
    for (const wake of waiters.splice(0)) wake()
  })
  const next = (event: string): Promise<Line> =>
    new Promise((resolve, reject) => {
      const look = (): void => {
        const found = lines.find((line) => line.event === event)
        if (found !== undefined) resolve(found)
        else if (process_.exitCode !== null) reject(new Error(`the child exited before ${event}:\n${stderr}`))
        else waiters.push(look)
      }
      look()
    })
  const exited = new Promise<number | null>((resolve) => process_.once('exit', (code) => resolve(code)))
  return { process: process_, lines, next, exited }
}

describe('proxy mode leaks nothing', () => {
  it('reaches only the proxy while it downloads from a named peer, meets another through peer exchange and follows a channel', async () => {
    const proxy = await startMicrosocks({ username: 'mycel', password: 'leak-check' })
    servers.push(proxy)
    const folder = await tempDir()
    dirs.push(folder)
    await writeContent(join(folder, 'file.bin'), 1024 * 1024)
    const start = async (options = {}) => {
      const dataDir = await tempDir()
      dirs.push(dataDir)
      const made = await createNode({ dataDir, dht: false, listen: ['tcp://127.0.0.1:0'], ...options })
      nodes.push(made)
      return made
    }
    // The first seeder sends slowly, so the child still wants peers when peer exchange names the second.
    const first = await start({ limits: { uploadRate: 128 * 1024 } })
    const share = await first.share(join(folder, 'file.bin'), { pieceLength: 64 * 1024 })
    const second = await start()
    const secondDir = await tempDir()
    dirs.push(secondDir)
    await second.download(share.magnet, { dir: secondDir, peers: first.addresses }).done()
    const channel = await first.channels.create({ title: 'leak check' })
    await first.channels.publish(channel.publicKey, [
      { infohash: share.infohashHex, name: 'file.bin', size: 1024 * 1024 },
    ])

    const recordFile = join(await tempDir(), 'sockets.jsonl')
    dirs.push(join(recordFile, '..'))
    const childDir = await tempDir()
    const downloadDir = await tempDir()
    dirs.push(childDir, downloadDir)
    const firstPort = Number((first.addresses[0] as string).split(':').pop())
    const secondPort = Number((second.addresses[0] as string).split(':').pop())
    // A host name: only the proxy may resolve it.
    const named = `tcp://localhost:${firstPort}`
    const http = await HttpTrackerDouble.start((_request, res) => reply(res, announceBody([])))
    const udp = await UdpTrackerDouble.start(() => {})
    trackers.push(http, udp)
    const httpPort = Number(new URL(http.url).port)
    const trackerList = JSON.stringify([udp.url, `http://localhost:${httpPort}/announce`])
    const run = runChild(
      [childDir, proxy.url, share.magnet, named, downloadDir, '2', trackerList, channel.link],
      recordFile,
    )
    const ready = await run.next('ready')
    expect(ready.stats).toMatchObject({ privacy: { udp: false, anonymous: true } })
    expect(ready.stats).not.toHaveProperty('dht') // undefined, which JSON leaves out
    const done = await run.next('done')
    expect(done.peers).toEqual(expect.arrayContaining([first.peerId, second.peerId]))
    // The channel's version came from the first peer over the proxied connection.
    const update = await run.next('channel')
    expect(update).toMatchObject({ publicKey: channel.publicKey, source: 'gossip', peerId: first.peerId })
    expect(update.entries).toEqual([expect.objectContaining({ infohash: share.infohashHex, name: 'file.bin' })])
    // The HTTP tracker was asked (through the proxy, by name), told no port; the UDP one never.
    await http.received(1)
    const announce = http.requests.find((request) => request.announce !== undefined)?.announce
    expect(announce?.port).toBe(0)
    expect(udp.packets).toEqual([])
    const records = readFileSync(recordFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record_)
    // Binding the listener looks up its host, 127.0.0.1: Node answers an IP literal itself, no resolver is asked.
    const local = (entry: Record_): boolean => entry.kind === 'ipc' || (entry.kind === 'dns' && isIP(entry.name) !== 0)
    const network = records.filter((entry) => !local(entry))
    expect(network.length).toBeGreaterThanOrEqual(2)
    expect(network).toEqual(network.map(() => ({ kind: 'tcp', host: '127.0.0.1', port: proxy.port })))
    // Both peers were reached through the proxy: the first by name, the second at the address peer exchange gave.
    expect(proxy.output()).toContain(`connected to localhost:${firstPort}`)
    expect(proxy.output()).toContain(`connected to 127.0.0.1:${secondPort}`)
    expect(proxy.output()).toContain(`connected to localhost:${httpPort}`)
    // The seeders saw the child come without an agent.
    expect(first.peers().find((peer) => peer.peerId === ready.peerId)?.agent).toBe('')
    run.process.stdin?.end()
    expect(await run.exited).toBe(0)
  })
})
