import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, ensureBuilt, local, Sandbox, startDht, startSeeder, writeContent } from './helpers.js'

/**
 * Drives `mycel` in a real terminal: tmux runs it in a detached pane, and
 * `capture-pane` reads the screen as a person would see it. tmux is part of
 * the machine image; without it this test fails (it is not skipped).
 */

const run = promisify(execFile)
const SOCKET = `mycel-cli-test-${process.pid}`
const SIZE = 10 * 1024 * 1024

const sandbox = new Sandbox()
let bootstrap: string

async function tmux(...args: string[]): Promise<string> {
  const { stdout } = await run('tmux', ['-L', SOCKET, ...args], {
    env: { ...process.env, TERM: 'xterm-256color' },
  })
  return stdout
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** Runs a command in a new 120x30 pane; the pane stays after it ends, showing `exit=<status>`. */
async function openPane(name: string, args: string[]): Promise<void> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ')
  await tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '30', `${command}; echo "exit=$?"; sleep 600`)
}

function screen(name: string): Promise<string> {
  return tmux('capture-pane', '-p', '-t', name)
}

/** Reads the screen until `pattern` shows. */
async function waitForScreen(name: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const text = await screen(name)
    if (pattern.test(text)) return text
    if (Date.now() > deadline) throw new Error(`the screen never showed ${pattern}:\n${text}`)
    await sleep(100)
  }
}

/** Whether the pane shows its cursor and wraps lines: what a progress bar turns off while it draws. */
async function terminalState(name: string): Promise<string> {
  return (await tmux('display-message', '-p', '-t', name, 'cursor=#{cursor_flag} wrap=#{wrap_flag}')).trim()
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '')
}

beforeAll(async () => {
  try {
    await run('tmux', ['-V'])
  } catch {
    throw new Error('tmux is needed to test the progress bar in a real terminal: apt-get install -y tmux')
  }
  await ensureBuilt()
  ;({ bootstrap } = await startDht(sandbox))
}, 300_000)

afterAll(async () => {
  await tmux('kill-server').catch(() => {})
  await sandbox.cleanup()
})

describe('in a real terminal', () => {
  it('get draws a progress bar, redraws it in place, reads the copy back with --verify, and gives the terminal back', async () => {
    const work = await sandbox.dir()
    const source = join(work, 'film.bin')
    await writeContent(source, SIZE, 5)
    const { seeder, shared } = await startSeeder(sandbox, source, join(work, 'seeder'), bootstrap, [
      '--upload-limit',
      '4MiB',
    ])
    const { magnet } = shared

    await openPane('get', [
      'get',
      String(magnet),
      '-o',
      join(work, 'in'),
      '--verify',
      ...local(join(work, 'leecher'), bootstrap),
    ])
    // mid-way: a bar partly filled, with percent, bytes, rate, ETA and peers
    const during = await waitForScreen(
      'get',
      /film\.bin {2}█*░+ {2}\d+\.\d% {2}[\d.]+ [KM]iB \/ 10\.0 MiB {2}.+\/s {2}ETA .+ {2}1 peer/,
    )
    expect(await terminalState('get')).toBe('cursor=0 wrap=0') // hidden while the bar draws

    const after = await waitForScreen('get', /exit=\d+/)
    expect(after).toMatch(/^exit=0$/m)
    const lines = nonEmptyLines(after)
    const bars = lines.filter((line) => line.startsWith('film.bin  '))
    expect(bars, after).toHaveLength(1) // redrawn in place, not printed again and again
    expect(bars[0]).toMatch(/^film\.bin {2}█{10,} {2}100\.0% {2}10\.0 MiB \/ 10\.0 MiB {2}1 peer$/)
    expect(lines.filter((line) => line.startsWith('verifying  '))).toEqual([
      expect.stringMatching(/^verifying {2}█+ {2}100\.0% {2}10\.0 MiB \/ 10\.0 MiB$/),
    ])
    expect(after).toMatch(/^saved .*film\.bin {2}\(10\.0 MiB in .+, all \d+ pieces verified\)$/m)
    expect(await terminalState('get')).toBe('cursor=1 wrap=1')
    expect(during).not.toMatch(/\[\?25|\[\?7/) // no escape sequence shown as text
    await seeder.stop()
  }, 90_000)

  it('share shows a status line, and Ctrl-C stops it cleanly with the terminal given back', async () => {
    const work = await sandbox.dir()
    const source = join(work, 'notes.bin')
    await writeContent(source, 256 * 1024, 9)
    await openPane('share', ['share', source, ...local(join(work, 'seeder'), bootstrap)])
    const seeding = await waitForScreen('share', /seeding 1 share {2}0 B sent {2}0 B\/s {2}0 peers/)
    expect(seeding).toMatch(/^magnet {4}magnet:\?xt=urn:btmh:1220[0-9a-f]{64}&dn=notes\.bin$/m)
    expect(seeding).toMatch(/^listening on tcp:\/\/127\.0\.0\.1:\d+; press Ctrl-C to stop$/m)
    await tmux('send-keys', '-t', 'share', 'C-c')
    const after = await waitForScreen('share', /exit=\d+/)
    expect(after).toMatch(/^stopped$/m)
    expect(after).toMatch(/^exit=0$/m)
    expect(nonEmptyLines(after).filter((line) => line.startsWith('seeding 1 share'))).toHaveLength(1)
    expect(await terminalState('share')).toBe('cursor=1 wrap=1')
  }, 60_000)
})
