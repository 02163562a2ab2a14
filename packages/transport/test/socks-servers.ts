/**
 * Real SOCKS5 servers for tests, from Debian packages that
 * `scripts/system-deps.sh` installs: `microsocks` (with or without a user
 * and password; it logs each CONNECT's destination) and `tor` kept
 * offline (its only relay is a bridge on 127.0.0.1 where nothing listens),
 * which answers at once for onion addresses that are not valid. A test that needs one fails when the program is absent: it
 * never skips.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A running SOCKS5 server. */
export interface SocksServer {
  /** `socks5://[user:pass@]127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  readonly process: ChildProcess
  /** Everything the server printed so far (microsocks: `client[n] ip: connected to host:port`). */
  output(): string
  /** Resolves once the server printed text that matches. */
  waitForOutput(pattern: RegExp): Promise<string>
  /** Kills the server (SIGKILL) and waits for it to exit. Idempotent. */
  kill(): Promise<void>
}

/** The path of a program, looked up in PATH and the sbin folders (tor is in /usr/sbin). */
export function findProgram(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin']
  for (const dir of dirs) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name)
  }
  throw new Error(`${name} is not installed: run scripts/system-deps.sh (as root) or apt-get install ${name}`)
}

/** A TCP port that is free now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

function track(child: ChildProcess, url: string, port: number, cleanup?: () => void): SocksServer {
  let text = ''
  const waiters = new Set<() => void>()
  const onText = (chunk: Buffer): void => {
    text += chunk.toString('utf8')
    for (const waiter of [...waiters]) waiter()
  }
  child.stdout?.on('data', onText)
  child.stderr?.on('data', onText)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let killing: Promise<void> | undefined
  return {
    url,
    port,
    process: child,
    output: () => text,
    waitForOutput(pattern) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(text)
          if (match !== null) {
            waiters.delete(check)
            resolve(match[0])
          } else if (child.exitCode !== null) {
            waiters.delete(check)
            reject(new Error(`the server exited before printing ${pattern}:\n${text}`))
          }
        }
        waiters.add(check)
        void exited.then(check)
        check()
      })
    },
    kill() {
      killing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        await exited
        cleanup?.()
      })()
      return killing
    },
  }
}

/** Waits until something accepts on the port, or the process exits (then throws). */
async function untilListening(server: SocksServer): Promise<void> {
  for (;;) {
    if (server.process.exitCode !== null) throw new Error(`the SOCKS server exited:\n${server.output()}`)
    if (await canConnect(server.port)) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Starts Debian's `microsocks` on 127.0.0.1, on a free port.
 *
 * @param credentials - the user and password it then requires (RFC 1929)
 */
export async function startMicrosocks(credentials?: { username: string; password: string }): Promise<SocksServer> {
  const program = findProgram('microsocks')
  const port = await freePort()
  const args = ['-i', '127.0.0.1', '-p', String(port)]
  if (credentials !== undefined) args.push('-u', credentials.username, '-P', credentials.password)
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const user =
    credentials === undefined
      ? ''
      : `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`
  const server = track(child, `socks5://${user}127.0.0.1:${port}`, port)
  await untilListening(server)
  return server
}

/**
 * Starts Debian's `tor` offline (one bridge, at 127.0.0.1:1) with a SOCKS port on
 * 127.0.0.1 with `ExtendedErrors` (Tor's reply codes 0xF0-0xF7 for onion
 * services); its data folder is a fresh temporary one, removed on kill.
 */
export async function startOfflineTor(): Promise<SocksServer> {
  const program = findProgram('tor')
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'mycel-tor-'))
  const child = spawn(
    program,
    [
      '--ignore-missing-torrc',
      '-f',
      '/dev/null',
      '--DataDirectory',
      dataDir,
      // Offline: tor's one relay is a bridge at 127.0.0.1:1, where nothing listens
      // (DisableNetwork would close the SOCKS port too).
      '--UseBridges',
      '1',
      '--Bridge',
      '127.0.0.1:1',
      '--SocksPort',
      `127.0.0.1:${port} ExtendedErrors`,
      '--ControlPort',
      '0',
      '--Log',
      'notice stdout',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const server = track(child, `socks5://127.0.0.1:${port}`, port, () =>
    rmSync(dataDir, { recursive: true, force: true }),
  )
  await server.waitForOutput(/Opened Socks listener/)
  return server
}
