import { beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, Sandbox } from './helpers.js'

const sandbox = new Sandbox()

beforeAll(async () => {
  await ensureBuilt()
}, 300_000)

/** Every global option, as `mycel --help` lists it. */
const GLOBAL_OPTIONS = [
  '--data-dir <dir>',
  '-p, --port <port>',
  '--ws <port>',
  '--host <address>',
  '--bootstrap <host:port,...>',
  '--upload-limit <rate>',
  '--download-limit <rate>',
  '--json',
  '-q, --quiet',
  '--debug',
]

const COMMANDS = [
  'id',
  'share',
  'get',
  'seed',
  'readers',
  'ls',
  'search',
  'peers',
  'status',
  'announce',
  'export',
  'rm',
  'dht',
  'daemon',
]

describe('help', () => {
  it('mycel --help lists the global options and every command', async () => {
    const result = await sandbox.run(['--help'])
    expect(result.code).toBe(0)
    for (const option of GLOBAL_OPTIONS) expect(result.stdout).toContain(option)
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'))
  })

  it('mycel <command> --help lists the global options too, after its own', async () => {
    await Promise.all(
      COMMANDS.map(async (command) => {
        const result = await sandbox.run([command, '--help'])
        expect(result.code, command).toBe(0)
        expect(result.stdout).toMatch(new RegExp(`^Usage: mycel ${command} `))
        const [own, global] = result.stdout.split('\nGlobal Options:\n')
        expect(global, `${command} --help has no Global Options section`).toBeDefined()
        expect(own).toContain('-h, --help')
        for (const option of GLOBAL_OPTIONS) expect(global, `${command} --help`).toContain(option)
      }),
    )
  })

  it('mycel get --help says what it takes: v2 links, infohashes and .torrent files, not v1', async () => {
    const result = await sandbox.run(['get', '--help'])
    const text = result.stdout.replace(/\s+/g, ' ')
    expect(text).toContain(
      'v2 magnet link (magnet:?xt=urn:btmh:1220...), infohash (64 hex digits), or a v2 or hybrid .torrent file (BitTorrent v1 links cannot be fetched)',
    )
  })
})
