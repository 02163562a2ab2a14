import { CliError } from '../errors.js'
import { isLoopback } from './auth.js'
import { DAEMON_LIMITS, DEFAULT_DAEMON_PORT } from './protocol.js'

/** Where the daemon's HTTP server listens. */
export interface DaemonListen {
  host: string
  port: number
}

/**
 * Reads `--listen`: `host:port`, `[ipv6]:port`, or a port alone (on
 * 127.0.0.1). An address other than loopback needs a `--password` of at
 * least 16 characters: the token file is only readable on this machine.
 *
 * @param text - the option (default `127.0.0.1:9092`)
 * @param password - `--password`, if given
 * @returns the address
 * @throws {@link CliError} `USAGE`
 */
export function parseDaemonListen(text: string | undefined, password: string | undefined): DaemonListen {
  const value = (text ?? `127.0.0.1:${DEFAULT_DAEMON_PORT}`).trim()
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value)
  const port = Number(match?.[3])
  if (match === null || port > 65535) {
    throw CliError.usage(`--listen must be host:port (such as 127.0.0.1:9092), not ${JSON.stringify(value)}`)
  }
  const host = match[1] || match[2] || '127.0.0.1'
  if (!isLoopback(host)) {
    if (password === undefined) {
      throw CliError.usage(
        `--listen ${value} is reachable from other machines: it needs --password`,
        `give a password of at least ${DAEMON_LIMITS.minPasswordLength} characters (clients send it as the token), or listen on 127.0.0.1`,
      )
    }
    if (password.length < DAEMON_LIMITS.minPasswordLength) {
      throw CliError.usage(`--password must have at least ${DAEMON_LIMITS.minPasswordLength} characters`)
    }
  }
  return { host, port }
}
