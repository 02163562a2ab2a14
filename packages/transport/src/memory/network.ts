import { integerOption } from '@mycel/wire/assert'
import { abortError, onAbort } from '../abort.js'
import { AcceptQueue } from '../accept-queue.js'
import { formatAddress, parseAddress } from '../address.js'
import { TransportError } from '../errors.js'
import type { ByteStream } from '../stream.js'
import type { DialOptions, Listener, ListenOptions, Transport } from '../transport.js'
import { type LinkOptions, type MemoryStream, memoryPipe } from './pipe.js'

/** Options of {@link createMemoryNetwork}. */
export interface MemoryNetworkOptions extends LinkOptions {}

/**
 * An in-process network that many nodes share, for tests and simulations.
 * Each {@link MemoryNetwork.transport} is one node's view of it; addresses
 * are `memory://<name>`, and listening on `memory://0` picks a fresh name.
 *
 * @example
 * ```ts
 * const network = createMemoryNetwork({ latencyMs: 20, bytesPerSecond: 10e6 })
 * const alice = network.transport()
 * const bob = network.transport()
 * const listener = await bob.listen('memory://0', { onConnection: serve })
 * const stream = await alice.dial(listener.addresses[0] as string)
 * await network.close()
 * ```
 */
export interface MemoryNetwork {
  /**
   * A transport on this network. Its `close()` closes only what it opened.
   *
   * @param link - link properties of the streams this transport dials, overriding the network's
   * @returns the transport
   */
  transport(link?: LinkOptions): Transport
  /** Names currently listening. */
  readonly names: readonly string[]
  /** Closes every transport, listener and stream of the network. Idempotent. */
  close(): Promise<void>
}

/**
 * Creates a {@link MemoryNetwork}.
 *
 * @param options - default latency, bandwidth and high-water mark of its links
 * @returns the network
 * @throws RangeError for negative latency or bandwidth
 */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  checkLink(options)
  const listeners = new Map<string, (stream: MemoryStream) => void>()
  const transports = new Set<Transport>()
  let nextName = 1
  let nextDialer = 1
  let closing: Promise<void> | undefined

  function transport(link: LinkOptions = {}): Transport {
    if (closing !== undefined) throw TransportError.closed('the memory network')
    const own = checkLink({ ...options, ...link })
    const streams = new Set<ByteStream>()
    const ownListeners = new Set<Listener>()
    const dialerName = `dialer-${nextDialer++}`
    let transportClosing: Promise<void> | undefined

    const memoryTransport: Transport = {
      schemes: ['memory'],

      async dial(address: string, dialOptions?: DialOptions): Promise<ByteStream> {
        const { scheme, host } = parseAddress(address)
        if (scheme !== 'memory') throw new TransportError('ADDRESS_UNSUPPORTED', 'not a memory address')
        if (transportClosing !== undefined) throw TransportError.closed('the transport')
        const signal = dialOptions?.signal
        if (signal?.aborted) throw abortError(signal)
        const accept = listeners.get(host)
        if (accept === undefined) throw new TransportError('DIAL_FAILED', `nothing listens on ${address}`)
        const [local, remote] = memoryPipe(
          own,
          [formatAddress({ scheme: 'memory', host, port: 0, path: '' }), `memory://${dialerName}`],
          (s) => streams.delete(s),
        )
        // A dial takes one link latency to complete, like a connection set-up.
        if (own.latencyMs > 0) await delay(own.latencyMs, signal)
        if (!listeners.has(host)) throw new TransportError('DIAL_FAILED', `${address} stopped listening`)
        streams.add(local)
        accept(remote)
        return local
      },

      async listen(address: string, listenOptions?: ListenOptions): Promise<Listener> {
        const parsed = parseAddress(address)
        if (parsed.scheme !== 'memory') throw new TransportError('ADDRESS_UNSUPPORTED', 'not a memory address')
        if (transportClosing !== undefined) throw TransportError.closed('the transport')
        const signal = listenOptions?.signal
        if (signal?.aborted) throw abortError(signal)
        let name = parsed.host
        if (name === '0') {
          while (listeners.has(`node-${nextName}`)) nextName++
          name = `node-${nextName++}`
        }
        if (listeners.has(name)) throw new TransportError('LISTEN_FAILED', `memory://${name} is already in use`)
        const queue = new AcceptQueue(listenOptions?.onConnection)
        const accepted = new Set<ByteStream>()
        listeners.set(name, (stream) => {
          accepted.add(stream)
          streams.add(stream)
          queue.accept(stream)
        })
        let listenerClosing: Promise<void> | undefined
        const listener: Listener = {
          addresses: [`memory://${name}`],
          close() {
            listenerClosing ??= (async () => {
              unlisten()
              listeners.delete(name)
              ownListeners.delete(listener)
              await queue.end()
            })()
            return listenerClosing
          },
          [Symbol.asyncIterator]: () => queue.iterator(),
        }
        const unlisten = onAbort(signal, () => void listener.close())
        ownListeners.add(listener)
        return listener
      },

      close() {
        transportClosing ??= (async () => {
          transports.delete(memoryTransport)
          await Promise.all([...ownListeners].map((listener) => listener.close()))
          await Promise.all([...streams].map((stream) => stream.close()))
        })()
        return transportClosing
      },
    }
    transports.add(memoryTransport)
    return memoryTransport
  }

  return {
    transport,
    get names() {
      return [...listeners.keys()]
    },
    close() {
      closing ??= Promise.all([...transports].map((t) => t.close())).then(() => {})
      return closing
    },
  }
}

function checkLink(link: LinkOptions): Required<LinkOptions> {
  const latencyMs = integerOption(link.latencyMs, 'latencyMs', { max: 60_000, fallback: 0 })
  const bytesPerSecond = link.bytesPerSecond ?? Number.POSITIVE_INFINITY
  if (typeof bytesPerSecond !== 'number' || !(bytesPerSecond > 0))
    throw new RangeError('bytesPerSecond must be positive')
  const highWaterMark = integerOption(link.highWaterMark, 'highWaterMark', {
    min: 1,
    max: 2 ** 30,
    fallback: 1024 * 1024,
  })
  return { latencyMs, bytesPerSecond, highWaterMark }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unlisten()
      resolve()
    }, ms)
    const unlisten = onAbort(signal, () => {
      clearTimeout(timer)
      reject(abortError(signal as AbortSignal))
    })
  })
}
