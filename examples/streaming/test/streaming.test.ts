import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))
/** Run from the example's folder, so tsx maps the `@mycel/*` imports to sources (tsconfig `paths`): no build needed. */
const cwd = fileURLToPath(new URL('..', import.meta.url))

/** Runs the example as `npm start` does and returns its exit code and output. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (data) => {
      stdout += String(data)
    })
    child.stderr.on('data', (data) => {
      stderr += String(data)
    })
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

it('streams a verified MiB from the middle of a file before its download is complete, then exits', async () => {
  const { code, stdout, stderr } = await run(['--size', '32'])
  expect(stderr).toBe('')
  expect(code).toBe(0)
  expect(stdout).toMatch(/^shared {4}movie\.bin, 32 MiB in 8 pieces of 4 MiB$/m)
  const streamed =
    /streamed {2}1\.0 MiB at offset \d+ in [\d.]+ s, while the download had verified (\d+) of 8 pieces/.exec(stdout)
  expect(streamed).not.toBeNull()
  // At 8 MiB/s the 32 MiB file takes about four seconds; the MiB comes well before.
  expect(Number(streamed?.[1])).toBeLessThan(8)
  expect(stdout).toMatch(/^identical$/m)
}, 30_000)

it('refuses a size it cannot use, with a message', async () => {
  const { code, stderr } = await run(['--size', '2'])
  expect(code).not.toBe(0)
  expect(stderr).toMatch(/--size must be a whole number of MiB, at least 4/)
})
