import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CorruptSeeder } from './corrupt-seeder.js'
import { ensureBuilt, jsonLines, local, Sandbox, startDht, writeContent } from './helpers.js'

const sandbox = new Sandbox()
let bootstrap: string
let seeder: CorruptSeeder

beforeAll(async () => {
  await ensureBuilt()
  ;({ bootstrap } = await startDht(sandbox))
  const work = await sandbox.dir()
  const source = join(work, 'photo.bin')
  await writeContent(source, 200_000, 31)
  seeder = await CorruptSeeder.start(source)
}, 300_000)

afterAll(async () => {
  await seeder?.close()
  await sandbox.cleanup()
})

describe('mycel get when its only peer is banned', () => {
  it('says so as it happens, and NO_PEERS says what happened instead of suggesting a seeder is missing', async () => {
    const work = await sandbox.dir()
    const result = await sandbox.run([
      'get',
      seeder.magnet,
      '--peer',
      seeder.hostPort,
      '-o',
      join(work, 'in'),
      '--timeout',
      '3',
      ...local(join(work, 'leecher'), bootstrap),
    ])
    expect(result.code).toBe(1)
    const short = seeder.peerId.slice(0, 12)
    const address = `tcp://${seeder.hostPort}`
    // One line as it happens...
    expect(result.stderr).toMatch(
      new RegExp(`peer ${short}… at ${address} banned for an hour: sent a corrupt piece \\d+`),
    )
    // ...and the failure says what happened.
    const failure = result.stderr.split('\n').find((line) => line.startsWith('mycel: '))
    expect(failure).toMatch(
      new RegExp(
        `^mycel: no peers of photo\\.bin connected for 3s \\(.*\\): the only peer, ${short}… at ${address}, was banned: sent a corrupt piece \\d+`,
      ),
    )
    expect(failure).not.toMatch(/check that a seeder is running/)
  })

  it('--json: a peer-banned event, and the NO_PEERS error names the ban', async () => {
    const work = await sandbox.dir()
    const result = await sandbox.run([
      'get',
      seeder.magnet,
      '--peer',
      seeder.hostPort,
      '-o',
      join(work, 'in'),
      '--timeout',
      '3',
      ...local(join(work, 'leecher'), bootstrap),
      '--json',
    ])
    expect(result.code).toBe(1)
    const banned = jsonLines(result.stdout).filter((event) => event.event === 'peer-banned')
    expect(banned).toEqual([
      {
        event: 'peer-banned',
        peerId: seeder.peerId,
        address: `tcp://${seeder.hostPort}`,
        reason: expect.stringMatching(/^sent a corrupt piece \d+$/),
      },
    ])
    const error = jsonLines(result.stderr).find((line) => 'error' in line)?.error as Record<string, string>
    expect(error.code).toBe('NO_PEERS')
    expect(error.message).toMatch(/the only peer, .* was banned: sent a corrupt piece \d+/)
  })
})
