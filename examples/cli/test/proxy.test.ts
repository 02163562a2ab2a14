/**
 * `--proxy`, `--onion` and `--anonymous` of the `mycel` command: the options
 * are checked before a node starts, and `mycel get --proxy` downloads through
 * a real SOCKS5 proxy (Debian's microsocks, with a user and password).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, type SocksServer, startMicrosocks } from '../../../packages/transport/test/socks-servers.js'
import { resolveGlobalOptions } from '../src/context.js'
import { CliError } from '../src/errors.js'
import { ensureBuilt, jsonLines, Sandbox, sha256File, writeContent } from './helpers.js'

const ONION = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion'

function usage(run: () => unknown): CliError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).code).toBe('USAGE')
    return error as CliError
  }
  throw new Error('expected a usage error')
}

describe('--proxy, --onion and --anonymous', () => {
  it('take a SOCKS5 URL, an onion address of the node, and listen on loopback behind a proxy', () => {
    const options = resolveGlobalOptions(
      { proxy: 'socks5://u:p@127.0.0.1:9050', onion: `${ONION}:4001`, anonymous: true },
      {},
    )
    expect(options).toMatchObject({
      proxy: 'socks5://u:p@127.0.0.1:9050',
      onion: `tcp://${ONION}:4001`,
      anonymous: true,
      host: '127.0.0.1',
    })
    expect(resolveGlobalOptions({}, {})).toMatchObject({ proxy: undefined, anonymous: false, host: '0.0.0.0' })
  })

  it('refuse a bad proxy URL without echoing its password, a DHT bootstrap with a proxy, an onion without one', () => {
    expect(usage(() => resolveGlobalOptions({ proxy: 'http://u:secret@127.0.0.1:8080' }, {})).message).not.toContain(
      'secret',
    )
    usage(() => resolveGlobalOptions({ proxy: 'socks5://127.0.0.1:9050', bootstrap: '127.0.0.1:6881' }, {}))
    usage(() => resolveGlobalOptions({ onion: `${ONION}:4001` }, {}))
    usage(() => resolveGlobalOptions({ proxy: 'socks5://127.0.0.1:9050', onion: 'example.onion:1' }, {}))
  })
})

describe('mycel get --proxy', () => {
  const sandbox = new Sandbox()
  let proxy: SocksServer
  beforeAll(async () => {
    await ensureBuilt()
    proxy = await startMicrosocks({ username: 'mycel', password: 'cli' })
  }, 300_000)
  afterAll(async () => {
    await proxy.kill()
    await sandbox.cleanup()
  })

  it('downloads through the proxy, says there is no DHT, and reaches the seeder only through it', async () => {
    const work = await sandbox.dir()
    const source = join(work, 'notes.bin')
    await writeContent(source, 300_000, 3)
    const port = await freePort()
    const seeder = sandbox.start([
      'share',
      source,
      '--data-dir',
      join(work, 'seeder'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--bootstrap',
      'none',
      '--json',
    ])
    const shared = await seeder.waitFor('shared')
    await seeder.waitFor('seeding')
    const result = await sandbox.run([
      'get',
      String(shared.magnet),
      '--peer',
      `127.0.0.1:${port}`,
      '--proxy',
      proxy.url,
      '--anonymous',
      '--data-dir',
      join(work, 'leecher'),
      '-o',
      join(work, 'out'),
      '--json',
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const events = jsonLines(result.stdout)
    expect(events.find((event) => event.event === 'proxy')).toEqual({
      event: 'proxy',
      proxy: `socks5://mycel:***@127.0.0.1:${proxy.port}`,
      udp: false,
      dht: false,
      onion: null,
    })
    expect(events.some((event) => event.event === 'done')).toBe(true)
    expect(await sha256File(join(work, 'out', 'notes.bin'))).toBe(await sha256File(source))
    expect(proxy.output()).toContain(`connected to 127.0.0.1:${port}`)
    await seeder.stop()
  })
})
