import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, jsonLines, ROOT, Sandbox } from './helpers.js'

const sandbox = new Sandbox()

beforeAll(() => ensureBuilt(), 300_000)
afterAll(() => sandbox.cleanup())

describe('the test sandbox', () => {
  it('runs mycel in a temporary folder of its own, so a relative path never lands in the repository', async () => {
    const dataDir = await sandbox.dir()
    const result = await sandbox.run(['share', 'not-here.bin', '--data-dir', dataDir, '--json'])
    expect(result.code).toBe(1)
    const { error } = jsonLines(result.stderr)[0] as { error: { code: string; message: string } }
    expect(error.code).toBe('FILE_NOT_FOUND')
    expect(error.message).not.toContain(ROOT)
    expect(error.message).toContain(join(sandbox.cwd, 'not-here.bin'))
  })
})
