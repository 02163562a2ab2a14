import { describe, expect, it } from 'vitest'
import { resolveGlobalOptions } from '../src/context.js'
import { createCliLogger, readDebugComponents } from '../src/logging.js'

/** The levels a CLI logger writes for each component, as `component:level` entries. */
function written(options: { debug: boolean; components: string | undefined }): string[] {
  const lines: string[] = []
  const logger = createCliLogger(options, (line) => lines.push(line))
  for (const component of ['mycel:peer', 'mycel:dht', 'mycel:store']) {
    const log = logger.forComponent(component)
    log.debug('d')
    log.info('i')
    log.warn('w')
  }
  return lines.map((line) => {
    const [, component, level] = line.split(' ')
    return `${component}:${level}`
  })
}

describe('what the mycel command logs', () => {
  it('without --debug or MYCEL_DEBUG: only warnings', () => {
    expect(written({ debug: false, components: undefined })).toEqual([
      'mycel:peer:warn',
      'mycel:dht:warn',
      'mycel:store:warn',
    ])
  })

  it('with --debug: every mycel component from debug', () => {
    expect(written({ debug: true, components: undefined })).toEqual([
      'mycel:peer:debug',
      'mycel:peer:info',
      'mycel:peer:warn',
      'mycel:dht:debug',
      'mycel:dht:info',
      'mycel:dht:warn',
      'mycel:store:debug',
      'mycel:store:info',
      'mycel:store:warn',
    ])
  })

  it('with MYCEL_DEBUG: the components it names from debug (with or without --debug), the others warnings only', () => {
    for (const debug of [false, true]) {
      expect(written({ debug, components: 'mycel:peer,mycel:dht' })).toEqual([
        'mycel:peer:debug',
        'mycel:peer:info',
        'mycel:peer:warn',
        'mycel:dht:debug',
        'mycel:dht:info',
        'mycel:dht:warn',
        'mycel:store:warn',
      ])
    }
  })

  it('reads MYCEL_DEBUG: blank is unset, 1 / true / all are every component, else the patterns', () => {
    expect(readDebugComponents(undefined)).toBeUndefined()
    expect(readDebugComponents('  ')).toBeUndefined()
    for (const all of ['1', 'true', 'ALL', 'yes']) expect(readDebugComponents(all)).toBe('mycel:*')
    expect(readDebugComponents(' mycel:peer,mycel:dht ')).toBe('mycel:peer,mycel:dht')
    expect(resolveGlobalOptions({ debug: true }, { MYCEL_DEBUG: 'mycel:swarm' })).toMatchObject({
      debug: true,
      debugComponents: 'mycel:swarm',
    })
    expect(resolveGlobalOptions({}, {}).debugComponents).toBeUndefined()
  })
})
