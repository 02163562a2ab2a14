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
   * @returns the remaining plaintext, or `null` when authentication fails
   */
  final(tag: Uint8Array): Uint8Array | null
}

/**
 * The primitives of `Noise_XX_25519_ChaChaPoly_SHA256` plus Ed25519
 * verification, behind one interface so that Node can use `node:crypto`
 * (see `nodeCrypto` in `@mycel/transport/node`) and browsers `@noble/*`
 * ({@link nobleCrypto}). Every implementation must give identical bytes;
 * the test suite runs each against the other.
 *
 * Implementations must not keep references to the buffers they are given.
 *
 * @example
 * ```ts
 * const conn = await secure(stream, identity, { initiator: true, crypto: nobleCrypto })
 * ```
 */
export interface CryptoProvider {
  /** Short name for logs and benchmarks (`'noble'`, `'node'`). */
  readonly name: string
  /**
   * ChaCha20-Poly1305 (RFC 8439) encryption.
   *
   * @param key - 32 bytes
   * @param nonce - 12 bytes
   * @param ad - associated data
   * @param plaintext - bytes to encrypt
   * @param headroom - free bytes to leave before the ciphertext in the result (for a frame prefix)
   * @returns `headroom` bytes, then the ciphertext, then the 16-byte tag
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
   */
  decryptStream(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertextLength: number): StreamDecryption
  /**
   * An X25519 key pair: fresh when `secretKey` is omitted, else the one for that secret.
   *
   * @param secretKey - optional 32-byte secret
   * @returns the key pair
   */
  x25519KeyPair(secretKey?: Uint8Array): KeyPair
  /**
   * X25519 Diffie-Hellman (RFC 7748).
   *
   * @param secretKey - our 32-byte secret
   * @param publicKey - their 32-byte public key
   * @returns the 32-byte shared secret, or `null` for a public key that gives the all-zero output
   */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null
  /**
   * SHA-256 of the concatenation of `parts`.
   *
   * @param parts - byte strings
   * @returns 32 bytes
   */
  sha256(...parts: Uint8Array[]): Uint8Array
  /**
   * HMAC-SHA256 of the concatenation of `parts`.
   *
   * @param key - HMAC key
   * @param parts - byte strings
   * @returns 32 bytes
   */
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array
  /**
   * Ed25519 verification (RFC 8032).
   *
   * @param signature - 64 bytes
   * @param message - signed bytes
   * @param publicKey - 32 bytes
   * @returns whether the signature is valid; false for malformed input
   */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
}
