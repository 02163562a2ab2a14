import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStateStore } from '@mycel/store'
import type { Transport } from '@mycel/transport'
import { createNode, type Download, type MycelNode, type NodeOptions } from '../src/index.js'
import { type EventSource, nextEvent } from '../src/testing.js'

export { nextEvent }

/** A fresh temporary folder; remove it with {@link removeDir}. */
export function tempDir(prefix = 'mycel-node-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true })
}

/** Deterministic bytes: the same `seed` and `size` always give the same content. */
export function contentBytes(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size)
  let x = seed * 2654435761
  for (let i = 0; i < size; i++) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    bytes[i] = x & 0xff
  }
  return bytes
}

export async function writeContent(path: string, size: number, seed = 1): Promise<Uint8Array> {
  const bytes = contentBytes(size, seed)
  await writeFile(path, bytes)
  return bytes
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export async function sha256File(path: string): Promise<string> {
  return sha256(await readFile(path))
}

const dataDirs: string[] = []

/** A node on a memory transport, with memory state and no DHT, in a temp data folder. */
export async function memoryNode(transport: Transport, options: Partial<NodeOptions> = {}): Promise<MycelNode> {
  const dataDir = await tempDir()
  dataDirs.push(dataDir)
  return createNode({
    dataDir,
    listen: ['memory://0'],
    transports: [transport],
    dht: false,
    state: new MemoryStateStore(),
    ...options,
  })
}

/** Closes nodes and removes folders, whatever fails. */
export async function cleanup(nodes: MycelNode[], dirs: string[]): Promise<void> {
  await Promise.allSettled(nodes.map((node) => node.close()))
  await Promise.allSettled([...dirs, ...dataDirs.splice(0)].map((dir) => removeDir(dir)))
}

/**
 * Resolves once `condition()` holds: at once, or at the first `event` of
 * `emitter` after which it does (the event that changes the state the
 * condition reads). Event-driven: nothing polls.
 */
export async function untilEvent(
  emitter: EventSource | MycelNode | Download,
  event: string,
  condition: () => boolean,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  if (condition()) return
  await nextEvent(emitter as unknown as EventSource, event, { ...options, filter: () => condition() })
}

/**
 * A list filled by callbacks (messages heard, dials made) that a test can
 * await: {@link Recorded.count} resolves once it holds that many items.
 */
export class Recorded<T> {
  readonly items: T[] = []
  private readonly waiters: Array<{ count: number; resolve: () => void }> = []

  /** Adds an item and wakes the waiters whose count it reaches. */
  push(item: T): void {
    this.items.push(item)
    for (const waiter of [...this.waiters]) {
      if (this.items.length < waiter.count) continue
      this.waiters.splice(this.waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
  }

  get length(): number {
    return this.items.length
  }

  /** Resolves once at least `count` items were pushed. */
  count(count: number): Promise<void> {
    if (this.items.length >= count) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ count, resolve }))
  }
}

/** A promise and the functions that settle it. */
export function deferred<T = void>(): {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
} {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
