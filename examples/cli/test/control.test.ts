import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ControlClient } from '../src/control/client.js'
import { MAX_REQUEST_BYTES } from '../src/control/protocol.js'
import { type ControlHandler, ControlServer } from '../src/control/server.js'
import { CliError } from '../src/errors.js'

let dir: string
let path: string
let server: ControlServer | undefined

const handlers: Record<string, ControlHandler> = {
  hello: async () => ({ protocol: 1, pid: process.pid, agent: 'test' }),
  status: async () => ({ running: true }),
  peers: async () => ({ running: true, connected: [], known: [] }),
  list: async () => [{ name: 'a' }],
  search: async (params) => [{ query: params.text }],
  manifest: async () => null,
  announce: async () => {
    throw new CliError('NOT_RUNNING', 'not now', 'later')
  },
}

async function start(): Promise<ControlServer> {
  server = await ControlServer.start(path, handlers as never, (error) => ({
    code: error instanceof CliError ? error.code : 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    hint: error instanceof CliError ? error.hint : '',
  }))
  return server
}

/** Sends raw text and collects what comes back until the server closes or goes quiet. */
function exchange(text: string, quietMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    let received = ''
    let timer = setTimeout(() => socket.end(), quietMs * 3)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
      clearTimeout(timer)
      timer = setTimeout(() => socket.end(), quietMs)
    })
    socket.on('error', reject)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(received)
    })
    socket.write(text)
  })
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mycel-control-'))
  path = join(dir, 'control.sock')
})

afterEach(async () => {
  await server?.close()
  server = undefined
  await rm(dir, { recursive: true, force: true })
})

describe('the control socket', () => {
  it('answers each request line with one response line', async () => {
    await start()
    const client = await ControlClient.connect(path)
    expect(client).toBeDefined()
    expect(await client?.call('list', {})).toEqual([{ name: 'a' }])
    expect(await client?.call('search', { text: 'holiday' })).toEqual([{ query: 'holiday' }])
    await expect(client?.call('announce', { infohash: '00'.repeat(32) })).rejects.toMatchObject({
      code: 'NOT_RUNNING',
      message: 'not now',
      hint: 'later',
    })
    const two = await exchange('{"id":1,"method":"status"}\n{"id":2,"method":"nope"}\n')
    expect(
      two
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { id: 1, result: { running: true } },
      { id: 2, error: { code: 'CONTROL_FAILED', message: 'no method nope', hint: '' } },
    ])
  })

  it('says nothing runs when there is no socket, or only one a killed process left', async () => {
    expect(await ControlClient.connect(path)).toBeUndefined()
    // a process killed with SIGKILL leaves its socket file behind
    const listen = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`
    spawnSync(process.execPath, ['-e', listen])
    expect(existsSync(path)).toBe(true)
    expect(await ControlClient.connect(path)).toBeUndefined()
    await start() // replaces the stale file
    expect(await (await ControlClient.connect(path))?.call('status', {})).toEqual({ running: true })
  })

  it('does not take over a socket a live process answers on', async () => {
    await start()
    const first = server
    await expect(
      ControlServer.start(path, handlers as never, () => ({ code: 'X', message: '', hint: '' })),
    ).rejects.toMatchObject({
      code: 'EADDRINUSE',
    })
    server = first
    expect(await ControlClient.connect(path)).toBeDefined()
  })

  it('answers lines that are not requests with an error and closes the connection', async () => {
    await start()
    for (const line of [
      'not json',
      '[]',
      '{"id":"1","method":"status"}',
      '{"id":1}',
      '{"id":1,"method":"status","params":[1]}',
    ]) {
      const answer = JSON.parse((await exchange(`${line}\n`)).trim()) as { id: null; error: { code: string } }
      expect(answer.id).toBeNull()
      expect(answer.error.code).toBe('CONTROL_FAILED')
    }
    const long = await exchange('x'.repeat(MAX_REQUEST_BYTES + 10))
    expect(JSON.parse(long.trim()).error.message).toMatch(/longer than/)
    // still serving
    expect(await (await ControlClient.connect(path))?.call('status', {})).toEqual({ running: true })
  })

  it('survives random bytes: every connection gets answers or is closed, and the server keeps serving', async () => {
    await start()
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => {
        const answer = await exchange(`${text}\n`, 50)
        for (const line of answer.split('\n').filter((l) => l !== '')) {
          const response = JSON.parse(line) as Record<string, unknown>
          expect('result' in response || 'error' in response).toBe(true)
        }
      }),
      { numRuns: 60 },
    )
    expect(await (await ControlClient.connect(path))?.call('list', {})).toEqual([{ name: 'a' }])
  })

  it('is open to its owner only', async () => {
    await start()
    expect(statSync(path).mode & 0o077).toBe(0)
  })

  it('close ends open connections and removes the socket file', async () => {
    await start()
    const socket = connect(path)
    await new Promise((resolve) => socket.on('connect', resolve))
    const closed = new Promise((resolve) => socket.on('close', resolve))
    await server?.close()
    await closed
    expect(existsSync(path)).toBe(false)
  })
})
