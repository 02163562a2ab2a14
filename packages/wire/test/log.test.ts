import { describe, expect, it, vi } from 'vitest'
import {
  componentFilter,
  componentLogger,
  createTextLogger,
  describeError,
  LOG_LEVELS,
  type LogFields,
  type Logger,
  silentLogger,
} from '../src/log.js'

const AT = Date.UTC(2025, 4, 1, 12, 0, 0, 0)

/** A text logger whose lines are kept in `lines`. */
function capture(
  options: { components?: string | readonly string[]; level?: 'debug' | 'info' | 'warn' | 'error' } = {},
) {
  const lines: string[] = []
  const logger = createTextLogger({ write: (line) => lines.push(line), now: () => AT, ...options })
  return { lines, logger }
}

/** Fields whose every read is counted, and which throw if read at all when `explode` is set. */
function watchedFields(explode: boolean): { fields: LogFields; reads: () => number } {
  let reads = 0
  const fields = new Proxy(
    { peer: 'x' },
    {
      get(target, key) {
        reads++
        if (explode) throw new Error('a disabled line read its fields')
        return Reflect.get(target, key)
      },
      ownKeys(target) {
        reads++
        if (explode) throw new Error('a disabled line listed its fields')
        return Reflect.ownKeys(target)
      },
    },
  )
  return { fields, reads: () => reads }
}

describe('silentLogger', () => {
  it('is off at every level, writes nothing, reads no fields and never throws', () => {
    const log = silentLogger.forComponent('mycel:dht')
    expect(log.component).toBe('mycel:dht')
    for (const level of LOG_LEVELS) expect(log.enabled(level)).toBe(false)
    expect(log.enabled()).toBe(false)
    const { fields, reads } = watchedFields(true)
    const writes = vi.spyOn(process.stderr, 'write')
    const logs = vi.spyOn(console, 'log')
    try {
      for (const level of LOG_LEVELS) log[level]('dropped', fields)
      expect(writes).not.toHaveBeenCalled()
      expect(logs).not.toHaveBeenCalled()
    } finally {
      writes.mockRestore()
      logs.mockRestore()
    }
    expect(reads()).toBe(0)
  })

  it('is what componentLogger gives for an undefined logger; a logger without forComponent is a TypeError', () => {
    expect(componentLogger(undefined, 'mycel:store').enabled('error')).toBe(false)
    const { logger, lines } = capture()
    componentLogger(logger, 'mycel:store').warn('kept')
    expect(lines).toHaveLength(1)
    expect(() => componentLogger({} as Logger, 'mycel:store')).toThrow(TypeError)
    expect(() => componentLogger(null as unknown as Logger, 'mycel:store')).toThrow(TypeError)
  })
})

describe('describeError', () => {
  it('gives CODE: message for an error with a code, the message otherwise', () => {
    expect(describeError(Object.assign(new Error('too slow'), { code: 'HANDSHAKE_TIMEOUT' }))).toBe(
      'HANDSHAKE_TIMEOUT: too slow',
    )
    expect(describeError(new RangeError('bad'))).toBe('bad')
    expect(describeError(Object.assign(new Error('ECONNRESET: read'), { code: 'ECONNRESET' }))).toBe('ECONNRESET: read')
    expect(describeError(Object.assign(new Error('x'), { code: 5 }))).toBe('x')
    expect(describeError('a string')).toBe('a string')
    expect(describeError(undefined)).toBe('undefined')
  })
})

describe('componentFilter', () => {
  it('reads mycel:*, lists separated by commas or spaces, wildcards and - exclusions', () => {
    const all = componentFilter('mycel:*')
    expect(all('mycel:dht')).toBe(true)
    expect(all('mycel:peer')).toBe(true)
    expect(all('other:dht')).toBe(false)
    expect(all('mycel')).toBe(false)

    const some = componentFilter('mycel:peer, mycel:dht')
    expect(['mycel:peer', 'mycel:dht', 'mycel:swarm'].map(some)).toEqual([true, true, false])
    expect(componentFilter(['mycel:peer', 'mycel:swarm'])('mycel:swarm')).toBe(true)
    expect(componentFilter('mycel:s*')('mycel:store')).toBe(true)
    expect(componentFilter('mycel:s*')('mycel:dht')).toBe(false)
    expect(componentFilter('*')('anything:at all')).toBe(true)

    const allButDht = componentFilter('mycel:*,-mycel:dht')
    expect(allButDht('mycel:dht')).toBe(false)
    expect(allButDht('mycel:peer')).toBe(true)
    // an exclusion alone selects nothing
    expect(componentFilter('-mycel:dht')('mycel:peer')).toBe(false)
  })

  it('takes regular-expression characters literally', () => {
    const dotted = componentFilter('mycel.peer')
    expect(dotted('mycel.peer')).toBe(true)
    expect(dotted('mycelxpeer')).toBe(false)
    expect(componentFilter('(a|b)')('a')).toBe(false)
  })

  it('selects nothing from an empty list, and refuses what is not text', () => {
    expect(componentFilter('')('mycel:dht')).toBe(false)
    expect(componentFilter([])('mycel:dht')).toBe(false)
    expect(() => componentFilter(5 as unknown as string)).toThrow(TypeError)
    expect(() => componentFilter([5] as unknown as string[])).toThrow(TypeError)
    expect(() => componentFilter('x'.repeat(5000))).toThrow(RangeError)
  })
})

describe('createTextLogger', () => {
  it('writes one line: time, component, level, message, then the fields', () => {
    const { logger, lines } = capture()
    logger.forComponent('mycel:peer').debug('refused an inbound connection', {
      address: 'tcp://203.0.113.5:41000',
      reason: 'address-connections',
      count: 8,
      banned: false,
      skipped: undefined,
    })
    expect(lines).toEqual([
      '2025-05-01T12:00:00.000Z mycel:peer debug refused an inbound connection address=tcp://203.0.113.5:41000 reason=address-connections count=8 banned=false',
    ])
  })

  it('formats strings with spaces in quotes, bytes in hex, errors with their code, objects as JSON', () => {
    const { logger, lines } = capture()
    const error = Object.assign(new Error('a transport message does not authenticate'), { code: 'DECRYPT_FAILED' })
    error.name = 'TransportError'
    logger.forComponent('mycel:transport').warn('closed', {
      why: 'two words',
      id: new Uint8Array([0, 1, 0xab, 0xff]),
      long: new Uint8Array(40).fill(0xee),
      error,
      plain: new RangeError('bad'),
      nested: { a: [1, 2], b: 'c' },
      big: 12n,
      nothing: null,
    })
    const [line] = lines
    expect(line).toContain(' why="two words"')
    expect(line).toContain(' id=0001abff')
    expect(line).toContain(` long=${'ee'.repeat(32)}…(40 bytes)`)
    expect(line).toContain(' error="TransportError[DECRYPT_FAILED]: a transport message does not authenticate"')
    expect(line).toContain(' plain="RangeError: bad"')
    expect(line).toContain(' nested={"a":[1,2],"b":"c"}')
    expect(line).toContain(' big=12 nothing=null')
  })

  it('escapes control characters in messages, fields and keys, so a remote cannot forge a line', () => {
    const { logger, lines } = capture()
    const forged = 'hello\n2025-05-01T12:00:00.000Z mycel:peer error forged\r\u001b[2J\u2028'
    logger.forComponent('mycel:peer').debug(`agent ${forged}`, { agent: forged, 'k\ney': 1 })
    expect(lines).toHaveLength(1)
    const [line] = lines as [string]
    for (const char of ['\n', '\r', '\u001b', '\u2028']) expect(line).not.toContain(char)
    expect(line).toContain('agent hello\\n2025')
    expect(line).toContain('\\u001b[2J')
    expect(line).toContain('"k\\ney"=1')
  })

  it('clips long field values and survives values that cannot be serialised', () => {
    const { logger, lines } = capture()
    const circular: Record<string, unknown> = {}
    circular.self = circular
    logger.forComponent('mycel:node').info('x', { text: 'y'.repeat(2000), circular })
    expect(lines[0]).toContain('…(2000 characters)')
    expect(lines[0]).toContain(' circular="[object Object]"')
  })

  it('writes only the components asked for (default every mycel component)', () => {
    const everyMycel = capture()
    for (const name of ['mycel:dht', 'mycel:swarm', 'app:ui']) everyMycel.logger.forComponent(name).debug(name)
    expect(everyMycel.lines.map((line) => line.split(' ')[1])).toEqual(['mycel:dht', 'mycel:swarm'])

    const { logger, lines } = capture({ components: 'mycel:peer,mycel:dht' })
    for (const name of ['mycel:peer', 'mycel:dht', 'mycel:swarm', 'mycel:store']) {
      const log = logger.forComponent(name)
      log.error(name)
      expect(log.enabled('error'), name).toBe(name === 'mycel:peer' || name === 'mycel:dht')
    }
    expect(lines.map((line) => line.split(' ')[1])).toEqual(['mycel:peer', 'mycel:dht'])
  })

  it('writes from the level asked for up, and enabled() says so', () => {
    const { logger, lines } = capture({ level: 'warn' })
    const log = logger.forComponent('mycel:store')
    expect(LOG_LEVELS.map((level) => log.enabled(level))).toEqual([false, false, true, true])
    expect(log.enabled()).toBe(false) // debug
    for (const level of LOG_LEVELS) log[level](`at ${level}`)
    expect(lines.map((line) => line.split(' ')[2])).toEqual(['warn', 'error'])
    expect(log.enabled('verbose' as 'debug')).toBe(false)
  })

  it('does no formatting work for a line that is off: no fields read, no time taken, no write', () => {
    const write = vi.fn()
    const now = vi.fn(() => AT)
    const logger = createTextLogger({ write, now, components: 'mycel:dht', level: 'info' })
    const { fields, reads } = watchedFields(true)
    const message = { toString: vi.fn(() => 'built') }
    logger.forComponent('mycel:dht').debug(message as unknown as string, fields) // level off
    logger.forComponent('mycel:peer').error(message as unknown as string, fields) // component off
    expect(reads()).toBe(0)
    expect(message.toString).not.toHaveBeenCalled()
    expect(now).not.toHaveBeenCalled()
    expect(write).not.toHaveBeenCalled()
    // the same call at a level that is on does read them (so the silence above means something)
    const watched = watchedFields(false)
    logger.forComponent('mycel:dht').info(message as unknown as string, watched.fields)
    expect(watched.reads()).toBeGreaterThan(0)
    expect(message.toString).toHaveBeenCalledTimes(1)
    expect(write).toHaveBeenCalledTimes(1)
  })

  it('never throws when the output fails', () => {
    const logger = createTextLogger({
      write: () => {
        throw new Error('EPIPE')
      },
    })
    expect(() => logger.forComponent('mycel:peer').error('still fine')).not.toThrow()
  })

  it('refuses bad options', () => {
    expect(() => createTextLogger({} as never)).toThrow(TypeError)
    expect(() => createTextLogger(undefined as never)).toThrow(TypeError)
    expect(() => createTextLogger({ write: () => {}, level: 'loud' as 'debug' })).toThrow(RangeError)
    expect(() => createTextLogger({ write: () => {}, level: 'toString' as 'debug' })).toThrow(RangeError)
    expect(() => createTextLogger({ write: () => {}, components: 3 as unknown as string })).toThrow(TypeError)
    expect(() => createTextLogger({ write: () => {}, now: 5 as unknown as () => number })).toThrow(TypeError)
    expect(() => createTextLogger({ write: () => {} }).forComponent(7 as unknown as string)).toThrow(TypeError)
  })
})
