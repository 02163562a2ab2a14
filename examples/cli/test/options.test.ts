import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  listenAddresses,
  PUBLIC_BOOTSTRAP,
  parseBootstrap,
  parsePieceLength,
  parsePort,
  resolveGlobalOptions,
} from '../src/context.js'
import { CliError } from '../src/errors.js'
import { formatBytes, formatDuration, formatPercent, parseSize, table } from '../src/format.js'
import { findShare } from '../src/share-lookup.js'
import type { ShareView } from '../src/views.js'

function caught(run: () => unknown): CliError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    return error as CliError
  }
  throw new Error('expected a CliError')
}

function usage(run: () => unknown): CliError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).code).toBe('USAGE')
    expect((error as CliError).exitCode).toBe(2)
    return error as CliError
  }
  throw new Error('expected a usage error')
}

describe('sizes and rates', () => {
  it('reads decimal and binary units', () => {
    expect(parseSize('1048576')).toBe(1048576)
    expect(parseSize('500k')).toBe(500_000)
    expect(parseSize('2MiB')).toBe(2 * 1024 * 1024)
    expect(parseSize('2 mib/s')).toBe(2 * 1024 * 1024)
    expect(parseSize('1.5M')).toBe(1_500_000)
    expect(parseSize('1GiB')).toBe(1024 ** 3)
    for (const bad of ['', 'fast', '-1', '1e3', '2 MiBs', '1..2', '0x10', '9'.repeat(400), '99999999999GiB']) {
      expect(parseSize(bad)).toBeUndefined()
    }
  })

  it('never throws, and gives a non-negative whole number or undefined for any text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const bytes = parseSize(text)
        expect(bytes === undefined || (Number.isSafeInteger(bytes) && bytes >= 0)).toBe(true)
      }),
    )
  })

  it('reads back what it formats as whole KiB', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 }), (kib) => {
        expect(parseSize(`${kib}KiB`)).toBe(kib * 1024)
      }),
    )
  })

  it('formats bytes, durations, percents and tables for people', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(256 * 1024 * 1024)).toBe('256.0 MiB')
    expect(formatBytes(-1)).toBe('?')
    expect(formatDuration(undefined)).toBe('?')
    expect(formatDuration(45.4)).toBe('45s')
    expect(formatDuration(185)).toBe('3m 05s')
    expect(formatDuration(7800)).toBe('2h 10m')
    expect(formatDuration(3 * 86_400 + 4 * 3600)).toBe('3d 4h')
    expect(formatPercent(999, 1000)).toBe('99.9%')
    expect(formatPercent(99_999, 100_000)).toBe('99.9%') // never 100.0% before the end
    expect(formatPercent(1000, 1000)).toBe('100.0%')
    expect(formatPercent(5, undefined)).toBe('?%')
    expect(
      table(
        ['A', 'NAME'],
        [
          ['long cell', 'x'],
          ['b', 'y'],
        ],
      ),
    ).toEqual(['A          NAME', 'long cell  x', 'b          y'])
  })
})

describe('global options', () => {
  it('default to ~/.mycel, every interface, a free port and the public Mainline routers', () => {
    const options = resolveGlobalOptions({})
    expect(options.dataDir).toMatch(/\.mycel$/)
    expect(options).toMatchObject({ host: '0.0.0.0', port: undefined, bootstrapGiven: false, json: false })
    expect(options.bootstrap).toEqual([...PUBLIC_BOOTSTRAP])
  })

  it('read ports, bootstrap lists, rates and piece lengths', () => {
    expect(parsePort('0')).toBe(0)
    expect(parsePort('65535')).toBe(65535)
    for (const bad of ['65536', '-1', 'http', '1.5', '']) usage(() => parsePort(bad))
    expect(parseBootstrap('127.0.0.1:6881, [::1]:7000,router.example.org:25401')).toEqual([
      '127.0.0.1:6881',
      '[::1]:7000',
      'router.example.org:25401',
    ])
    expect(parseBootstrap('none')).toEqual([])
    expect(usage(() => parseBootstrap('127.0.0.1')).message).toBe('bad --bootstrap address "127.0.0.1"')
    expect(usage(() => parseBootstrap('a:1,b:0')).message).toContain('"b:0"')
    expect(resolveGlobalOptions({ uploadLimit: '2MiB', downloadLimit: '500k' })).toMatchObject({
      uploadLimit: 2 * 1024 * 1024,
      downloadLimit: 500_000,
    })
    usage(() => resolveGlobalOptions({ uploadLimit: 'quick' }))
    expect(parsePieceLength('256k')).toBe(256 * 1024)
    expect(parsePieceLength('1MiB')).toBe(1024 * 1024)
    expect(parsePieceLength('16384')).toBe(16384)
    for (const bad of ['8k', '32MiB', '1000', '300k']) usage(() => parsePieceLength(bad))
  })

  it('listen on TCP, and with --ws on WebSocket too (ws://host:port/mycel)', () => {
    expect(listenAddresses(resolveGlobalOptions({ port: '4000' }))).toEqual(['tcp://0.0.0.0:4000'])
    expect(listenAddresses(resolveGlobalOptions({ host: '127.0.0.1', ws: '0' }))).toEqual([
      'tcp://127.0.0.1:0',
      'ws://127.0.0.1:0/mycel',
    ])
    expect(listenAddresses(resolveGlobalOptions({ host: '::1', port: '1', ws: '8080' }))).toEqual([
      'tcp://[::1]:1',
      'ws://[::1]:8080/mycel',
    ])
    expect(usage(() => resolveGlobalOptions({ ws: '70000' })).message).toBe(
      '--ws must be a port number (0-65535), not "70000"',
    )
  })

  it('bootstrap lists: any text gives a list or a usage error, never something else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          expect(Array.isArray(parseBootstrap(text))).toBe(true)
        } catch (error) {
          expect(error).toBeInstanceOf(CliError)
        }
      }),
    )
  })
})

describe('finding a share by what a person types', () => {
  const view = (infohash: string, name: string): ShareView => ({
    infohash,
    name,
    role: 'seed',
    status: 'complete',
    path: `/data/${name}`,
    totalBytes: 1,
    pieceCount: 1,
    piecesVerified: 1,
    addedAt: '2026-01-01T00:00:00.000Z',
    completedAt: null,
    lastError: null,
    uploaded: 0,
    downloaded: 0,
    live: null,
  })
  const a = view(`abcd01${'0'.repeat(58)}`, 'a.bin')
  const b = view(`abcd02${'0'.repeat(58)}`, 'b.bin')

  it('takes a full infohash, a unique prefix, or a magnet link', () => {
    expect(findShare(a.infohash, [a, b], '/d')).toBe(a)
    expect(findShare('ABCD02', [a, b], '/d')).toBe(b)
    expect(findShare(`magnet:?xt=urn:btmh:1220${b.infohash}&dn=b.bin`, [a, b], '/d')).toBe(b)
  })

  it('says what is wrong otherwise', () => {
    const ambiguous = caught(() => findShare('abcd', [a, b], '/d'))
    expect(ambiguous.code).toBe('INFOHASH_AMBIGUOUS')
    expect(ambiguous.message).toBe('abcd starts 2 infohashes (a.bin, b.bin)')
    const missing = caught(() => findShare('ffff', [a, b], '/d'))
    expect(missing.code).toBe('SHARE_NOT_FOUND')
    usage(() => findShare('abc', [a, b], '/d')) // too short
    usage(() => findShare('xyz1', [a, b], '/d'))
  })
})
