/**
 * `npm run demo`: the whole job on this machine alone. A local DHT
 * bootstrap node, a seeder and a leecher run as three `mycel` processes on
 * 127.0.0.1, each with its own data folder; a generated file of a few
 * hundred MiB is shared by magnet link and downloaded with the progress bar
 * shown here; both copies are hashed with SHA-256; then everything stops
 * and the temporary folder is removed. Nothing leaves the loopback
 * interface.
 *
 * The root `demo` script builds the CLI first. `MYCEL_DEMO_MIB` sets the
 * file size (default 256).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const SIZE_MIB = Number(process.env.MYCEL_DEMO_MIB ?? 256)
const STEP_TIMEOUT_MS = 60_000

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)
const say = (text = '') => process.stdout.write(`${text}\n`)

const children: ChildProcess[] = []

/** Starts `mycel` in the background with --json and yields its JSON lines. */
function background(args: string[]): { child: ChildProcess; lines: AsyncIterableIterator<Record<string, unknown>> } {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.on('exit', (code) => {
    if (code !== 0 && code !== null && !stopping)
      process.stderr.write(`mycel ${args[0]} exited with ${code}: ${stderr}`)
  })
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  async function* parse(): AsyncGenerator<Record<string, unknown>> {
    for await (const line of reader) yield JSON.parse(line) as Record<string, unknown>
  }
  return { child, lines: parse() }
}

/** Reads JSON lines until one has the wanted `event` (the iterator stays open for the next call). */
async function waitFor(
  lines: AsyncIterableIterator<Record<string, unknown>>,
  event: string,
): Promise<Record<string, unknown>> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), STEP_TIMEOUT_MS)
  })
  const search = (async () => {
    for (;;) {
      const { value, done } = await lines.next()
      if (done) throw new Error(`the process ended before "${event}"`)
      if (value.event === event) return value
    }
  })()
  try {
    return await Promise.race([search, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Writes `mib` MiB of random-looking bytes (AES-CTR of zeros: fast, incompressible). */
async function generate(path: string, mib: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16))
  const zeros = new Uint8Array(1024 * 1024)
  const out = createWriteStream(path)
  for (let i = 0; i < mib; i++) {
    if (!out.write(cipher.update(zeros))) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

let stopping = false
let workDir: string | undefined

/** Stops every child with SIGINT (as Ctrl-C would), waits, and removes the temporary folder. */
async function cleanUp(): Promise<void> {
  stopping = true
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGINT')
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await once(child, 'exit')
      clearTimeout(killer)
    }),
  )
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true })
}

async function fail(message: string): Promise<never> {
  process.stderr.write(`demo failed: ${message}\n`)
  await cleanUp()
  process.exit(1)
}

process.on('SIGINT', () => {
  void cleanUp().finally(() => process.exit(130))
})

async function main(): Promise<void> {
  workDir = await mkdtemp(join(tmpdir(), 'mycel-demo-'))
  const source = join(workDir, 'demo.bin')
  const downloads = join(workDir, 'downloads')
  const mycel = 'mycel'

  say(bold(`1. A file of ${SIZE_MIB} MiB`))
  await generate(source, SIZE_MIB)
  say(`   ${source}`)
  say()

  say(bold('2. A local DHT bootstrap node'))
  const dht = background(['dht', '--host', '127.0.0.1', '--port', '0'])
  const listening = await waitFor(dht.lines, 'listening')
  const bootstrap = String(listening.address)
  const common = ['--host', '127.0.0.1', '--bootstrap', bootstrap]
  say(`   $ ${mycel} dht --host 127.0.0.1 --port 0`)
  say(`   listening on udp://${bootstrap}`)
  say()

  say(bold('3. The seeder shares the file'))
  const seederDir = join(workDir, 'seeder')
  say(`   $ ${mycel} share ${source} --data-dir ${seederDir} --host 127.0.0.1 --bootstrap ${bootstrap}`)
  const seeder = background(['share', source, '--data-dir', seederDir, ...common])
  const shared = await waitFor(seeder.lines, 'shared')
  say(`   infohash  ${String(shared.infohash)}`)
  say(`   magnet    ${String(shared.magnet)}`)
  await waitFor(seeder.lines, 'announced')
  say('   announced on the DHT')
  say()

  say(bold('4. The leecher downloads it by magnet link'))
  const leecherDir = join(workDir, 'leecher')
  const magnet = String(shared.magnet)
  const getArgs = ['get', magnet, '-o', downloads, '--data-dir', leecherDir, ...common, '--timeout', '30']
  say(
    `   $ ${mycel} get '${magnet}' -o ${downloads} --data-dir ${leecherDir} --host 127.0.0.1 --bootstrap ${bootstrap}`,
  )
  const leecher = spawn(process.execPath, [BIN, ...getArgs], { stdio: 'inherit' })
  children.push(leecher)
  const [code] = (await once(leecher, 'exit')) as [number | null]
  if (code !== 0) await fail(`mycel get exited with ${code}`)
  say()

  say(bold('5. Both copies, hashed with SHA-256'))
  const copy = join(downloads, 'demo.bin')
  const [before, after] = [await sha256(source), await sha256(copy)]
  say(`   source  ${before}  ${source}`)
  say(`   copy    ${after}  ${copy}`)
  if (before !== after) await fail('the copy differs from the source')
  say('   identical')
  say()

  say(bold('6. Stopping the seeder and the DHT node (Ctrl-C), removing the temporary folder'))
  await cleanUp()
  say('   done')
}

await main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)))
