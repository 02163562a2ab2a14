import type { PeerCandidate, PeerSource, ShareKey } from '../discovery/peer-source.js'
import type { TestRunner } from './runner.js'

/** Sources on one network, as a test of {@link peerSourceCompliance} gets them. */
export interface PeerSourceNetwork {
  /**
   * At least two sources on one network: `sources[0]` announces, `sources[1]`
   * looks up (a DHT node each of one testnet, a client each of one tracker).
   * The suite closes them after each test.
   */
  readonly sources: readonly PeerSource[]
  /** The address `sources[1]` finds `sources[0]` at once it announced `port` (`tcp://10.0.0.2:7000`). */
  addressOf(port: number): string
  /**
   * Makes `sources[0]`'s peer at `port` known to `sources[1]` for a share.
   * Default: `sources[0].announce(share, { port, event: 'started' })`, which
   * must reach somewhere. A source that takes no announcements (direct
   * peers) is told the address some other way here.
   */
  publish?(share: ShareKey, port: number): Promise<void>
  /** Releases the rest of the network, after the sources are closed. */
  close?(): Promise<void>
}

/** Builds a fresh {@link PeerSourceNetwork} for each test. */
export type PeerSourceHarness = () => Promise<PeerSourceNetwork>

/** Options of {@link peerSourceCompliance}. */
export interface PeerSourceComplianceOptions {
  /** Milliseconds each test may take. Default 30,000. */
  readonly timeoutMs?: number
}

const PORT = 7001

function randomShare(): ShareKey {
  const infohash = new Uint8Array(32)
  const key = new Uint8Array(20)
  crypto.getRandomValues(infohash)
  crypto.getRandomValues(key)
  return { infohash, key }
}

/** Everything a lookup yields, to its end. A call that throws becomes a rejection. */
async function collect(lookup: () => AsyncIterable<PeerCandidate>): Promise<string[]> {
  const addresses: string[] = []
  for await (const candidate of lookup()) addresses.push(candidate.address)
  return addresses
}

/** What a promise rejects with (undefined when it fulfils). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  )
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
}

/** An abort controller whose signal counts the `abort` listeners added and not removed. */
function watchedSignal(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController()
  const { signal } = controller
  const live = new Set<unknown>()
  const add = signal.addEventListener.bind(signal) as (...args: unknown[]) => void
  const remove = signal.removeEventListener.bind(signal) as (...args: unknown[]) => void
  signal.addEventListener = ((...args: unknown[]) => {
    if (args[0] === 'abort') live.add(args[1])
    add(...args)
  }) as typeof signal.addEventListener
  signal.removeEventListener = ((...args: unknown[]) => {
    if (args[0] === 'abort') live.delete(args[1])
    remove(...args)
  }) as typeof signal.removeEventListener
  return { controller, listeners: () => live.size }
}

/**
 * The compliance suite of the {@link PeerSource} interface: what one
 * instance announces, another on the same network finds; a key nobody
 * announced yields nothing and the lookup ends; each address comes once;
 * a signal aborts an announce or a lookup promptly with `ABORTED` and leaves
 * no listener behind; `close()` is idempotent, ends a lookup in progress, and
 * every operation after it rejects with `CLOSED`; a malformed share key is
 * refused with a `TypeError` or `RangeError`. Call it at the top level of a
 * test file with the test runner's `describe`, `it`, `expect` and
 * `afterEach` (this module imports no runner).
 *
 * @param runner - the test runner's API: `import * as vitest from 'vitest'` fits, and so does jest's
 * @param name - the implementation's name, for the test titles
 * @param harness - builds two (or more) sources on one network for each test
 * @param options - per-test timeout
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest'
 * import { createTestnet } from '@mycel/dht/testing'
 * import { DhtPeerSource } from '@mycel/node'
 * import { peerSourceCompliance } from '@mycel/node/testing'
 *
 * peerSourceCompliance(vitest, 'DhtPeerSource', async () => {
 *   const testnet = await createTestnet(8)
 *   const [, a, b] = testnet.nodes
 *   return {
 *     sources: [new DhtPeerSource(a), new DhtPeerSource(b)],
 *     addressOf: (port) => `tcp://${a.address.host}:${port}`,
 *     close: () => testnet.close(),
 *   }
 * })
 * ```
 */
export function peerSourceCompliance(
  runner: TestRunner,
  name: string,
  harness: PeerSourceHarness,
  options: PeerSourceComplianceOptions = {},
): void {
  const { describe, it, expect, afterEach } = runner
  const timeout = options.timeoutMs ?? 30_000

  describe(`PeerSource compliance: ${name}`, () => {
    let network: PeerSourceNetwork | undefined
    const open = async (): Promise<{ announcer: PeerSource; finder: PeerSource; net: PeerSourceNetwork }> => {
      const net = await harness()
      network = net
      expect(net.sources.length >= 2, 'a network of at least two sources').toBe(true)
      return { announcer: net.sources[0] as PeerSource, finder: net.sources[1] as PeerSource, net }
    }
    const publish = async (net: PeerSourceNetwork, share: ShareKey): Promise<void> => {
      if (net.publish !== undefined) {
        await net.publish(share, PORT)
        return
      }
      const result = await (net.sources[0] as PeerSource).announce(share, { port: PORT, event: 'started' })
      expect(result.reached, 'places the announcement reached').toBeGreaterThan(0)
    }

    afterEach(async () => {
      const net = network
      network = undefined
      if (net === undefined) return
      await Promise.allSettled(net.sources.map((source) => source.close()))
      await net.close?.()
    })

    it(
      'has a name',
      async () => {
        const { announcer } = await open()
        expect(typeof announcer.name).toBe('string')
        expect(announcer.name.length).toBeGreaterThan(0)
      },
      timeout,
    )

    it(
      'finds from another instance the address of a peer that announced',
      async () => {
        const { finder, net } = await open()
        const share = randomShare()
        await publish(net, share)
        expect(await collect(() => finder.lookup(share))).toContain(net.addressOf(PORT))
      },
      timeout,
    )

    it(
      'yields each address at most once',
      async () => {
        const { finder, net } = await open()
        const share = randomShare()
        await publish(net, share)
        await publish(net, share)
        const found = await collect(() => finder.lookup(share))
        expect(found.length).toBeGreaterThan(0)
        expect(found.length).toBe(new Set(found).size)
      },
      timeout,
    )

    it(
      'yields nothing for a key nobody announced, and the lookup ends',
      async () => {
        const { finder, net } = await open()
        await publish(net, randomShare())
        expect(await collect(() => finder.lookup(randomShare()))).toEqual([])
      },
      timeout,
    )

    it(
      'rejects an announce and a lookup whose signal is aborted with ABORTED',
      async () => {
        const { announcer, finder } = await open()
        const signal = AbortSignal.abort(new Error('stop'))
        const announce = await rejection(announcer.announce(randomShare(), { port: PORT, signal }))
        expect(codeOf(announce)).toBe('ABORTED')
        const lookup = await rejection(collect(() => finder.lookup(randomShare(), { signal })))
        expect(codeOf(lookup)).toBe('ABORTED')
      },
      timeout,
    )

    it(
      'ends a lookup with ABORTED once its signal aborts, without waiting for the network',
      async () => {
        const { finder, net } = await open()
        const share = randomShare()
        await publish(net, share)
        const controller = new AbortController()
        const iterator = finder.lookup(share, { signal: controller.signal })[Symbol.asyncIterator]()
        const first = await iterator.next()
        expect(first.done).toBe(false)
        controller.abort(new Error('enough'))
        const rest = await rejection(
          (async () => {
            while (!(await iterator.next()).done) {
              // drained: a source must not go on after the abort
            }
          })(),
        )
        expect(codeOf(rest)).toBe('ABORTED')
      },
      timeout,
    )

    it(
      'leaves no listener on the caller’s signal once an announce or a lookup is over',
      async () => {
        const { announcer, finder, net } = await open()
        const share = randomShare()
        const watched = watchedSignal()
        await publish(net, share)
        await announcer.announce(share, { port: PORT, signal: watched.controller.signal })
        expect(watched.listeners(), 'listeners left by announce').toBe(0)
        await collect(() => finder.lookup(share, { signal: watched.controller.signal }))
        expect(watched.listeners(), 'listeners left by a lookup run to its end').toBe(0)
        for await (const _ of finder.lookup(share, { signal: watched.controller.signal })) break
        expect(watched.listeners(), 'listeners left by a lookup left early').toBe(0)
      },
      timeout,
    )

    it(
      'closes idempotently; announces and lookups after close reject with CLOSED',
      async () => {
        const { announcer, finder } = await open()
        await Promise.all([finder.close(), finder.close()])
        await finder.close()
        await announcer.close()
        const announce = await rejection(finder.announce(randomShare(), { port: PORT }))
        expect(codeOf(announce)).toBe('CLOSED')
        const lookup = await rejection(collect(() => finder.lookup(randomShare())))
        expect(codeOf(lookup)).toBe('CLOSED')
      },
      timeout,
    )

    it(
      'ends a lookup in progress when it closes',
      async () => {
        const { finder, net } = await open()
        const share = randomShare()
        await publish(net, share)
        const iterator = finder.lookup(share)[Symbol.asyncIterator]()
        expect((await iterator.next()).done).toBe(false)
        await finder.close()
        const rest = await rejection(
          (async () => {
            while (!(await iterator.next()).done) {
              // a closed source yields nothing more
            }
          })(),
        )
        expect(codeOf(rest)).toBe('CLOSED')
      },
      timeout,
    )

    it(
      'refuses a malformed share key with a TypeError or RangeError',
      async () => {
        const { announcer, finder } = await open()
        const bad: unknown[] = [
          undefined,
          'share',
          { infohash: new Uint8Array(31), key: new Uint8Array(20) },
          { infohash: new Uint8Array(32), key: 'key' },
          { infohash: new Uint8Array(32), key: new Uint8Array(0) },
        ]
        for (const share of bad) {
          const announce = await rejection(announcer.announce(share as ShareKey, { port: PORT }))
          expect(announce instanceof TypeError || announce instanceof RangeError, 'announce').toBe(true)
          const lookup = await rejection(collect(() => finder.lookup(share as ShareKey)))
          expect(lookup instanceof TypeError || lookup instanceof RangeError, 'lookup').toBe(true)
        }
      },
      timeout,
    )
  })
}
