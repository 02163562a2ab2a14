import { DhtError } from '@mycel/dht'
import { NodeError } from '@mycel/node'
import { PiecesError, parseMagnet } from '@mycel/pieces'
import { StoreError } from '@mycel/store'
import { TransportError } from '@mycel/transport'
import { describe, expect, it } from 'vitest'
import { CliError, debugLines, explain } from '../src/errors.js'

const context = { dataDir: '/home/ada/.mycel', port: 6881, host: '0.0.0.0' }

function errno(code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${code}: something`), { code, ...extra })
}

describe('explaining errors of the packages in one line', () => {
  it('a bad magnet link', () => {
    let error: unknown
    try {
      parseMagnet('magnet:?xt=urn:btih:abc')
    } catch (caught) {
      error = caught
    }
    const explained = explain(error, context)
    expect(explained.code).toBe('MAGNET_INVALID')
    expect(explained.exitCode).toBe(2)
    expect(explained.line).not.toMatch(/not a valid mycel magnet link/) // said once, not twice
    expect(explained.line).toMatch(
      /^not a magnet link or infohash: .+ \(give a magnet:\?xt=urn:btmh:1220\.\.\. link or 64 hex digits\)$/,
    )
  })

  it('a BitTorrent v1 link or torrent, from any command: why it cannot be fetched, and what can', () => {
    let v1Link: unknown
    try {
      parseMagnet('magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a')
    } catch (caught) {
      v1Link = caught
    }
    const link = explain(v1Link, context)
    expect([link.code, link.exitCode]).toEqual(['V1_ONLY', 2])
    expect(link.line).toMatch(
      /^a BitTorrent v1 link cannot be fetched: .*SHA-256.* a v1 infohash is the SHA-1 of a different dictionary.* \(give a v2 magnet link \(magnet:\?xt=urn:btmh:1220\.\.\.\), a v2 infohash of 64 hex digits, or the \.torrent file of a v2 or hybrid torrent\)$/,
    )
    const torrent = explain(new PiecesError('TORRENT_V1_ONLY', 'a BitTorrent v1 info dictionary'), context)
    expect([torrent.code, torrent.exitCode]).toEqual(['V1_ONLY', 2])
    expect(torrent.line).toMatch(/^a BitTorrent v1 \.torrent file cannot be fetched: /)
  })

  it('ports in use, by protocol, and addresses this machine lacks', () => {
    const tcp = explain(new TransportError('LISTEN_FAILED', 'x', { cause: errno('EADDRINUSE') }), context)
    expect(tcp.line).toBe(
      'TCP port 6881 is already in use (choose another with --port, or stop the program that uses it)',
    )
    const udp = explain(new DhtError('SOCKET_ERROR', 'x', { cause: errno('EADDRINUSE') }), context)
    expect(udp.code).toBe('PORT_IN_USE')
    expect(udp.line).toMatch(/^UDP port 6881 is already in use/)
    const free = explain(new TransportError('LISTEN_FAILED', 'x', { cause: errno('EADDRINUSE') }), {
      ...context,
      port: undefined,
    })
    expect(free.message).toBe('TCP the port is already in use')
    const host = explain(new TransportError('LISTEN_FAILED', 'x', { cause: errno('EADDRNOTAVAIL') }), {
      ...context,
      host: '10.9.9.9',
    })
    expect(host).toMatchObject({ code: 'ADDRESS_UNAVAILABLE', message: 'this machine has no address 10.9.9.9' })
  })

  it('state, files and the node', () => {
    expect(explain(new StoreError('DATABASE_LOCKED', 'locked'), context).line).toBe(
      'another mycel process is using /home/ada/.mycel (stop it, or pass another --data-dir)',
    )
    expect(explain(new StoreError('DATABASE_FOREIGN', 'not ours'), context).code).toBe('DATABASE_UNUSABLE')
    expect(explain(new StoreError('DISK_FULL', 'full'), context).code).toBe('DISK_FULL')
    expect(explain(errno('ENOENT', { path: '/tmp/x' }), context).line).toBe(
      'no such file or folder: /tmp/x (check the path)',
    )
    expect(explain(errno('EACCES', { path: '/root' }), context).code).toBe('PERMISSION_DENIED')
    expect(explain(new NodeError('SHARE_NOT_FOUND', 'no such share'), context).line).toBe(
      'no such share (see mycel ls)',
    )
    expect(explain(new NodeError('CLOSED', 'closed'), context).code).toBe('INTERRUPTED')
    expect(explain(new PiecesError('INGEST_FILE_CHANGED', 'changed while read'), context).code).toBe('HASH_FAILED')
    expect(explain(new DhtError('INVALID_ADDRESS', 'bad'), context).exitCode).toBe(2)
  })

  it('anything else: the message, and where to look', () => {
    const explained = explain(new RangeError('odd'), context)
    expect(explained).toMatchObject({ code: 'INTERNAL', exitCode: 1 })
    expect(explained.line).toBe('odd (run again with --debug for details)')
    expect(explain('a string', context).line).toBe('a string (run again with --debug for details)')
    const same = new CliError('NO_PEERS', 'x')
    expect(explain(same, context)).toBe(same)
  })

  it('--debug shows the stack of each cause', () => {
    const lines = debugLines(new TransportError('LISTEN_FAILED', 'outer', { cause: errno('EADDRINUSE') }))
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^TransportError: outer\n\s+at .*\[LISTEN_FAILED\]$/s)
    expect(lines[1]).toMatch(/^caused by: Error: EADDRINUSE: something\n.*\[EADDRINUSE\]$/s)
  })
})
