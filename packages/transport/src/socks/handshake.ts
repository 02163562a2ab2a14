/**
 * The client side of a SOCKS5 exchange as a state machine over bytes: the
 * Node socket driver (and any other) feeds it what the proxy sends and
 * writes what it returns. No I/O, no timers.
 * @internal
 * @module
 */
import { TransportError } from '../errors.js'
import {
  type ConnectReply,
  decodeConnectReply,
  decodeCredentialsReply,
  decodeMethodChoice,
  encodeConnect,
  encodeCredentials,
  encodeGreeting,
  METHOD_NONE,
  METHOD_USERPASS,
} from './messages.js'
import type { SocksProxy } from './proxy-url.js'

/** What one call of {@link SocksClientHandshake.receive} asks of its driver. */
export interface HandshakeStep {
  /** Bytes to write to the proxy now, if any. */
  send?: Uint8Array
  /** Set once the proxy connected: its reply, and bytes of the target that came after it (a copy). */
  done?: { reply: ConnectReply; rest: Uint8Array }
}

type State = 'method' | 'credentials' | 'connect' | 'done' | 'failed'

/**
 * One SOCKS5 `CONNECT` through a proxy: greeting, optional RFC 1929
 * credentials, then `CONNECT` to the target by IP literal or by name. The
 * proxy may only answer what was asked: bytes before a request is sent are a
 * protocol error, so at most {@link MAX_SOCKS_REPLY_BYTES} are ever held.
 * @internal
 */
export class SocksClientHandshake {
  private state: State = 'method'
  private buffered: Uint8Array = new Uint8Array(0)
  private readonly method: number

  /**
   * @param proxy - the proxy (its credentials, if any, are offered)
   * @param target - where the proxy should connect: an IP literal or a name it resolves
   */
  constructor(
    private readonly proxy: SocksProxy,
    private readonly target: { host: string; port: number },
  ) {
    this.method = proxy.credentials === undefined ? METHOD_NONE : METHOD_USERPASS
    // Checked now, so that a bad target fails before anything is sent.
    encodeConnect(target.host, target.port)
  }

  /** Whether the proxy has connected us to the target. */
  get connected(): boolean {
    return this.state === 'done'
  }

  /** The first bytes to send: the greeting. */
  greeting(): Uint8Array {
    return encodeGreeting(this.method === METHOD_USERPASS)
  }

  /**
   * Takes bytes the proxy sent (copied as needed; `chunk` may be reused by the caller).
   *
   * @param chunk - bytes read from the proxy
   * @returns what to send next, and whether the exchange is done
   * @throws {@link TransportError} `PROXY_PROTOCOL`, `PROXY_AUTH_FAILED`,
   *   `DIAL_FAILED` (the proxy's reply code in `proxyReply`); after a throw the handshake is failed for good
   */
  receive(chunk: Uint8Array): HandshakeStep {
    if (this.state === 'done' || this.state === 'failed') throw new Error('the SOCKS handshake is over')
    try {
      return this.step(chunk)
    } catch (error) {
      this.state = 'failed'
      this.buffered = new Uint8Array(0)
      throw error
    }
  }

  private step(chunk: Uint8Array): HandshakeStep {
    const bytes = concat(this.buffered, chunk)
    if (this.state === 'method' || this.state === 'credentials') {
      if (bytes.length < 2) {
        this.buffered = bytes.slice()
        return {}
      }
      if (bytes.length > 2) {
        throw new TransportError('PROXY_PROTOCOL', "the proxy's answer is not SOCKS5: it sent more than was asked")
      }
      this.buffered = new Uint8Array(0)
      if (this.state === 'method') {
        decodeMethodChoice(bytes, this.method)
        const credentials = this.proxy.credentials
        if (credentials !== undefined) {
          this.state = 'credentials'
          return { send: encodeCredentials(credentials.username, credentials.password) }
        }
      } else decodeCredentialsReply(bytes)
      this.state = 'connect'
      return { send: encodeConnect(this.target.host, this.target.port) }
    }
    const reply = decodeConnectReply(bytes)
    if ('needed' in reply) {
      this.buffered = bytes.slice()
      return {}
    }
    this.state = 'done'
    this.buffered = new Uint8Array(0)
    return { done: { reply, rest: bytes.slice(reply.length) } }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
