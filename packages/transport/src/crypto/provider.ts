/**
 * The crypto provider interface is the one of `@mycel/wire/crypto`, shared by
 * every mycel package; this package re-exports it under the names it always had.
 * @module
 */
export type { CryptoProvider, KeyPair, StreamDecryption } from '@mycel/wire/crypto'
