import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Background,
  ensureBuilt,
  jsonLines,
  local,
  Sandbox,
  startDht,
  startSeeder,
  writeContent,
} from './helpers.js'

/** One line of the node's log: time, component, level, message. */
const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z mycel:[a-z]+ (debug|info|warn|error) \S/

const sandbox = new Sandbox()
let bootstrap: string
let magnet: string
let seeder: Background
let seederPeerId: string

beforeAll(async () => {
  await ensureBuilt()
  ;({ bootstrap } = await startDht(sandbox))
  const work = await sandbox.dir()
  const source = join(work, 'notes.bin')
  await writeContent(source, 600_000, 11)
  const started = await startSeeder(sandbox, source, join(work, 'seeder'), bootstrap)
  seeder = started.seeder
  magnet = String(started.shared.magnet)
  seederPeerId = String((await seeder.waitFor('seeding')).peerId)
}, 300_000)

afterAll(() => sandbox.cleanup())

/** Downloads the share in a fresh data folder, with `extra` options and `env`. */
async function get(extra: string[], env?: Record<string, string>) {
  const work = await sandbox.dir()
  const args = ['get', magnet, '-o', join(work, 'in'), '--timeout', '30', ...local(join(work, 'data'), bootstrap)]
  const result = await sandbox.run([...args, ...extra], env === undefined ? {} : { env })
  expect(result.code, result.stderr).toBe(0)
  return result
}

function logLines(text: string): string[] {
  return text.split('\n').filter((line) => LOG_LINE.test(line))
}

describe('mycel get --debug, from a seeder in another process', () => {
  it('prints the node log on stderr, by component, and nothing of it on stdout', async () => {
    const result = await get(['--debug'])
    const lines = logLines(result.stderr)
    expect(lines.length).toBeGreaterThan(0)
    // The connection to the seeder, closed when the download is done and the node stops.
    expect(
      lines.some((line) =>
        new RegExp(
          ` mycel:peer debug outbound connection of ${seederPeerId} at tcp://127\\.0\\.0\\.1:\\d+ closed`,
        ).test(line),
      ),
      lines.join('\n'),
    ).toBe(true)
    expect(logLines(result.stdout)).toEqual([])
    expect(result.stdout).toContain('notes.bin')
  })

  it('with --json keeps stdout pure JSON lines; the log goes to stderr', async () => {
    const result = await get(['--json', '--debug'])
    const events = jsonLines(result.stdout) // throws on any line that is not JSON
    expect(events.at(-1)).toMatchObject({ event: 'done', name: 'notes.bin' })
    const stderr = result.stderr.split('\n').filter((line) => line !== '')
    expect(logLines(result.stderr).length).toBeGreaterThan(0)
    for (const line of stderr) expect(LOG_LINE.test(line) || line.startsWith('{'), line).toBe(true)
  })

  it('MYCEL_DEBUG picks components, without --debug', async () => {
    const result = await get(['--json'], { MYCEL_DEBUG: 'mycel:peer' })
    const lines = logLines(result.stderr)
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line).toMatch(/Z mycel:peer /)
    jsonLines(result.stdout)
  })

  it('without either, says nothing on stderr (with --json)', async () => {
    const result = await get(['--json'], { MYCEL_DEBUG: '' })
    expect(result.stderr).toBe('')
  })
})
