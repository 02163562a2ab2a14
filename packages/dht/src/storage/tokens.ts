import { equalBytes } from '@mycel/wire'
import { sha1 } from '@noble/hashes/legacy.js'
import { randomBytes } from '@noble/hashes/utils.js'

/** Bytes of a write token we hand out. */
export const TOKEN_LENGTH = 8

/** How often the token secret changes (BEP 5: five minutes); the previous secret is still accepted. */
export const TOKEN_ROTATION_INTERVAL = 5 * 60_000

const SECRET_LENGTH = 20
const encoder = new TextEncoder()

/**
 * Write tokens of `get_peers` and `get` answers: the first 8 bytes of
 * SHA-1(secret || requester's IP text). The secret is rotated every five
 * minutes by the node and the previous one is still accepted, so a token is
 * good for five to ten minutes, and only from the IP address it was given to.
 * @internal
 */
export class TokenIssuer {
  private current = randomBytes(SECRET_LENGTH)
  private previous = randomBytes(SECRET_LENGTH)

  /** The token for requests from `host`. */
  issue(host: string): Uint8Array {
    return token(this.current, host)
  }

  /** Whether `candidate` is a token we gave `host` under the current or previous secret. */
  verify(host: string, candidate: Uint8Array): boolean {
    if (candidate.length !== TOKEN_LENGTH) return false
    return equalBytes(candidate, token(this.current, host)) || equalBytes(candidate, token(this.previous, host))
  }

  /** Starts a new secret; tokens of the one before the current stop working. */
  rotate(): void {
    this.previous = this.current
    this.current = randomBytes(SECRET_LENGTH)
  }
}

function token(secret: Uint8Array, host: string): Uint8Array {
  const address = encoder.encode(host)
  const input = new Uint8Array(secret.length + address.length)
  input.set(secret)
  input.set(address, secret.length)
  return sha1(input).subarray(0, TOKEN_LENGTH)
}
