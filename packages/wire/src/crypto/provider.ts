/**
 * A streaming hash: feed it bytes with `update`, read the digest once with
 * `digest`. `copy` forks the state (used to read a digest before padding).
 */
export interface IncrementalHash {
  /**
   * Adds bytes to the hash.
   * @param data - the next bytes
   */
  update(data: Uint8Array): void
  /**
   * Finishes the hash. The object must not be used afterwards.
   * @returns the digest (32 bytes for SHA-256, 20 for SHA-1)
   */
  digest(): Uint8Array
  /**
   * Forks the state, so one prefix can end in two different ways.
   * @returns an independent hash holding the same state
   */
  copy(): IncrementalHash
}

/**
 * The hash functions of content addressing (BEP 52 Merkle trees, infohashes,
 * the SHA-1 pieces of hybrid torrents): the part of a {@link CryptoProvider}
 * that `@mycel/pieces` needs, so a caller may hand it a smaller object.
 *
 * @example
 * ```ts
 * const hash: HashProvider = getDefaultCrypto()
 * hash.sha256(new TextEncoder().encode('abc')) // ba7816bf...
 * ```
 */
export interface HashProvider {
  /** What implements it, for logs and benchmarks (`'node:crypto'`, `'noble'`). */
  readonly name: string
  /**
   * One-shot SHA-256 (FIPS 180-4).
   * @param data - the bytes to hash
   * @returns the 32-byte digest
   */
  sha256(data: Uint8Array): Uint8Array
  /**
   * Streaming SHA-256.
   * @returns a fresh hash state
   */
  createSha256(): IncrementalHash
  /**
   * Streaming SHA-1 (only for the v1 `pieces` of hybrid `.torrent` files and BEP 44 targets).
   * @returns a fresh hash state
   */
  createSha1(): IncrementalHash
}

/** An X25519 key pair. */
export interface KeyPair {
  /** 32-byte secret scalar (unclamped bytes as RFC 7748 takes them). */
  readonly secretKey: Uint8Array
  /** 32-byte public key (the u-coordinate). */
  readonly publicKey: Uint8Array
}

/**
 * One ChaCha20-Poly1305 decryption fed in pieces, for a message that
 * arrives over several network chunks. Plaintext pieces come out before the
 * tag is checked: the caller must not use them unless `final` succeeds.
 */
export interface StreamDecryption {
  /**
   * Decrypts the next piece of ciphertext (the tag excluded).
   *
   * @param ciphertext - next bytes of the ciphertext
   * @returns plaintext (possibly empty: an implementation may hold everything until `final`)
   */
  update(ciphertext: Uint8Array): Uint8Array
  /**
   * Checks the tag.
   *
   * @param tag - the 16-byte tag
   * @returns the remaining plaintext, or `null` when authentication fails (or the
   *   ciphertext fed to `update` was not the announced length, or the tag is not 16 bytes)
   */
  final(tag: Uint8Array): Uint8Array | null
}

/**
 * A ChaCha20 key stream (RFC 8439 section 2.4) positioned at a byte, that
 * XORs successive ranges of bytes with the next bytes of key stream (see
 * {@link CryptoProvider.createChaCha20Stream}).
 */
export interface ChaCha20Stream {
  /** The byte of the key stream the next range starts at (counted from block 0). */
  readonly position: number
  /**
   * XORs `input` with the next `input.length` bytes of key stream into
   * `output`, and moves the position on by as many bytes.
   *
   * @param input - bytes to encrypt or decrypt
   * @param output - as long as `input`: `input` itself (in place), or an array that does not overlap it
   * @returns `output`
   * @throws RangeError for an output of another length, or a range that would run the key stream past
   *   block 2^32 - 2 (nothing is XORed then, and the position stays)
   */
  xorInto(input: Uint8Array, output: Uint8Array): Uint8Array
}

/**
 * Every primitive mycel uses, behind one interface, so that Node runs on
 * `node:crypto` (OpenSSL, about ten times faster) and browsers on `@noble/*`
 * (`nobleCrypto`); `getDefaultCrypto()` picks. Hashes for content
 * addressing, HMAC-SHA256 and ChaCha20-Poly1305 and X25519 for the Noise
 * channel, Ed25519 for peer identities and BEP 44 items. Every
 * implementation gives identical bytes; the tests replay the RFC vectors on
 * each and cross them on random inputs.
 *
 * Rules every implementation follows:
 * - it keeps no reference to the buffers it is given, and the ones it
 *   returns are plain `Uint8Array`s the caller owns;
 * - a wrong key, nonce or secret length (a programming mistake) throws
 *   `TypeError`/`RangeError`;
 * - what comes from the network never throws: a failed tag is `null`, an
 *   X25519 public key giving the all-zero secret is `null`, a bad signature,
 *   key or length is `false`;
 * - Ed25519 verification is strict RFC 8032 with one small-order policy:
 *   keys and R of small order are refused (see `isSmallOrderPoint`).
 *
 * @example
 * ```ts
 * const crypto = getDefaultCrypto()
 * const sealed = crypto.encrypt(key, nonce, new Uint8Array(0), plaintext, 0)
 * crypto.decrypt(key, nonce, new Uint8Array(0), sealed) // plaintext
 * ```
 */
export interface CryptoProvider extends HashProvider {
  /**
   * SHA-256 (FIPS 180-4) of the concatenation of `parts`.
   *
   * @param parts - byte strings
   * @returns 32 bytes
   */
  sha256(...parts: Uint8Array[]): Uint8Array
  /**
   * HMAC-SHA256 (RFC 2104) of the concatenation of `parts`.
   *
   * @param key - HMAC key, any length
   * @param parts - byte strings
   * @returns 32 bytes
   */
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array
  /**
   * ChaCha20-Poly1305 (RFC 8439) encryption.
   *
   * @param key - 32 bytes
   * @param nonce - 12 bytes
   * @param ad - associated data
   * @param plaintext - bytes to encrypt
   * @param headroom - free bytes to leave before the ciphertext in the result (for a frame prefix)
   * @returns `headroom` zero bytes, then the ciphertext, then the 16-byte tag
   * @throws TypeError/RangeError for a key or nonce of the wrong length
   */
  encrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array, headroom: number): Uint8Array
  /**
   * ChaCha20-Poly1305 (RFC 8439) encryption giving the ciphertext and the tag
   * as separate arrays, so a transport message can be written without
   * copying them into one buffer.
   *
   * @param key - 32 bytes
   * @param nonce - 12 bytes
   * @param ad - associated data
   * @param plaintext - bytes to encrypt
   * @returns the ciphertext (as long as `plaintext`) and the 16-byte tag
   * @throws TypeError/RangeError for a key or nonce of the wrong length
   */
  encryptParts(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): [Uint8Array, Uint8Array]
  /**
   * ChaCha20-Poly1305 (RFC 8439) decryption.
   *
   * @param key - 32 bytes
   * @param nonce - 12 bytes
   * @param ad - associated data
   * @param ciphertext - ciphertext followed by the 16-byte tag
   * @returns the plaintext, or `null` when authentication fails or the input is shorter than a tag
   * @throws TypeError/RangeError for a key or nonce of the wrong length
   */
  decrypt(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null
  /**
   * Starts a ChaCha20-Poly1305 decryption whose ciphertext arrives in pieces.
   *
   * @param key - 32 bytes
   * @param nonce - 12 bytes
   * @param ad - associated data
   * @param ciphertextLength - bytes of ciphertext that will be passed to `update`, the tag excluded
   * @returns the decryption
   * @throws TypeError/RangeError for a key or nonce of the wrong length, or a negative length
   */
  decryptStream(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertextLength: number): StreamDecryption
  /**
   * The ChaCha20 stream cipher alone (RFC 8439 section 2.4: 32-byte key,
   * 12-byte nonce, 32-bit block counter): `input` XOR the key stream that
   * starts at 64-byte block `counter`. Encryption and decryption are the
   * same call. It authenticates nothing: private shares use it under a
   * Merkle root that covers the ciphertext.
   *
   * @param key - 32 bytes
   * @param nonce - 12 bytes
   * @param counter - the block the key stream starts at, from 0 to 2^32 - 2
   * @param input - bytes to encrypt or decrypt; the key stream must not run past block 2^32 - 2
   * @returns a new array as long as `input`
   * @throws TypeError/RangeError for a key or nonce of the wrong length, a counter out of range, or an
   *   input that would run the counter past 2^32 - 2
   */
  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array
  /**
   * The ChaCha20 key stream of one key and nonce from byte `position` on, as
   * one object that XORs successive ranges: a run of consecutive ranges (an
   * ingest's chunks, a run of 16 KiB blocks served, a piece decrypted) costs
   * one cipher set-up instead of one per call of {@link chacha20}. Byte `p`
   * of the stream is byte `p mod 64` of block `floor(p / 64)`, so
   * `createChaCha20Stream(key, nonce, 64 * counter)` gives what
   * `chacha20(key, nonce, counter, ...)` gives.
   *
   * @param key - 32 bytes
   * @param nonce - 12 bytes
   * @param position - the byte of the key stream the first range starts at, from 0 to
   *   64 * {@link CHACHA20_MAX_BLOCKS}
   * @returns the stream (it keeps copies of the key and nonce)
   * @throws TypeError/RangeError for a key or nonce of the wrong length, or a position out of range
   */
  createChaCha20Stream(key: Uint8Array, nonce: Uint8Array, position: number): ChaCha20Stream
  /**
   * An X25519 key pair: fresh when `secretKey` is omitted, else the one for that secret.
   *
   * @param secretKey - optional 32-byte secret
   * @returns the key pair (the secret is a copy)
   * @throws TypeError/RangeError for a secret of the wrong length
   */
  x25519KeyPair(secretKey?: Uint8Array): KeyPair
  /**
   * X25519 Diffie-Hellman (RFC 7748).
   *
   * @param secretKey - our 32-byte secret
   * @param publicKey - their 32-byte public key
   * @returns the 32-byte shared secret, or `null` for a public key that gives the all-zero
   *   output (a point of small order) or that is not 32 bytes
   * @throws TypeError/RangeError for a secret of the wrong length
   */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null
  /**
   * The Ed25519 public key of a secret key (RFC 8032 section 5.1.5).
   *
   * @param secretKey - the 32-byte seed
   * @returns the 32-byte public key
   * @throws TypeError/RangeError for a secret of the wrong length
   */
  ed25519PublicKey(secretKey: Uint8Array): Uint8Array
  /**
   * An Ed25519 signature (RFC 8032 section 5.1.6; deterministic).
   *
   * @param message - the bytes to sign
   * @param secretKey - the 32-byte seed
   * @returns the 64-byte signature
   * @throws TypeError/RangeError for a secret of the wrong length or a message that is not bytes
   */
  ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array
  /**
   * Ed25519 verification (RFC 8032, strict: canonical encodings, S below the
   * group order, the cofactorless equation, no key or R of small order).
   *
   * @param signature - 64 bytes
   * @param message - signed bytes
   * @param publicKey - 32 bytes
   * @returns whether the signature is valid; false (never a throw) for malformed input
   */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
}

/** Bytes of a ChaCha20-Poly1305 key. */
export const AEAD_KEY_BYTES = 32
/** Bytes of a ChaCha20-Poly1305 nonce. */
export const AEAD_NONCE_BYTES = 12
/** Bytes of a ChaCha20-Poly1305 tag. */
export const AEAD_TAG_BYTES = 16
/** Bytes of a ChaCha20 block: the counter of {@link CryptoProvider.chacha20} counts these. */
export const CHACHA20_BLOCK_BYTES = 64
/**
 * Blocks of key stream one ChaCha20 (key, nonce) gives here: blocks 0 to
 * 2^32 - 2 (the 32-bit counter must not wrap, and `@noble/ciphers` keeps the
 * last value unused, so both providers stop there).
 */
export const CHACHA20_MAX_BLOCKS = 2 ** 32 - 1
/** Bytes of an X25519 or Ed25519 key, secret or public. */
export const CURVE25519_KEY_BYTES = 32
/** Bytes of an Ed25519 signature. */
export const ED25519_SIGNATURE_BYTES = 64

/**
 * Key of an optional SHA-256 that may return a runtime-specific subclass of
 * Uint8Array (a Node `Buffer`) without wrapping it in a plain view: a few
 * percent of Merkle hashing, where each digest is copied at once.
 * @internal
 */
export const UNWRAPPED_SHA256: unique symbol = Symbol.for('mycel.crypto.unwrappedSha256')

/**
 * The fastest one-shot SHA-256 of a provider, for digests that are copied at
 * once and never handed out.
 * @internal
 */
export function fastSha256(hash: HashProvider): (data: Uint8Array) => Uint8Array {
  const unwrapped = (hash as { [UNWRAPPED_SHA256]?: (data: Uint8Array) => Uint8Array })[UNWRAPPED_SHA256]
  return unwrapped ?? ((data) => hash.sha256(data))
}

/** The last byte position a ChaCha20 key stream can reach here (the end of block 2^32 - 2). */
const CHACHA20_MAX_POSITION = CHACHA20_MAX_BLOCKS * CHACHA20_BLOCK_BYTES

/**
 * Checks a ChaCha20 stream position and, with `length`, that a range from it stays within
 * {@link CHACHA20_MAX_BLOCKS} blocks.
 * @internal
 */
export function assertChaCha20Position(position: number, length = 0): void {
  if (typeof position !== 'number') throw new TypeError('position must be a number')
  if (!Number.isSafeInteger(position) || position < 0 || position > CHACHA20_MAX_POSITION) {
    throw new RangeError('position must be an integer from 0 to 64 * (2^32 - 1)')
  }
  if (position + length > CHACHA20_MAX_POSITION) throw new RangeError('input runs the ChaCha20 counter past 2^32 - 2')
}

/**
 * Checks the arguments of {@link ChaCha20Stream.xorInto}.
 * @internal
 */
export function assertXorRange(position: number, input: Uint8Array, output: Uint8Array): void {
  if (!(input instanceof Uint8Array) || !(output instanceof Uint8Array)) {
    throw new TypeError('input and output must be Uint8Arrays')
  }
  if (output.length !== input.length) throw new RangeError('output must be as long as input')
  assertChaCha20Position(position, input.length)
}

/**
 * Checks a ChaCha20 counter and that `length` bytes of key stream from it
 * stay within {@link CHACHA20_MAX_BLOCKS} blocks.
 * @internal
 */
export function assertChaCha20Range(counter: number, length: number): void {
  if (typeof counter !== 'number') throw new TypeError('counter must be a number')
  if (!Number.isInteger(counter) || counter < 0 || counter >= CHACHA20_MAX_BLOCKS) {
    throw new RangeError('counter must be an integer from 0 to 2^32 - 2')
  }
  if (counter + Math.ceil(length / CHACHA20_BLOCK_BYTES) > CHACHA20_MAX_BLOCKS) {
    throw new RangeError('input runs the ChaCha20 counter past 2^32 - 2')
  }
}
