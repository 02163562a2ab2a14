/**
 * A decoded bencode value. Byte strings decode to `Uint8Array`, integers to
 * `number` when they are safe integers and to `bigint` otherwise, lists to
 * arrays and dictionaries to null-prototype objects whose keys are the
 * UTF-8 text of the raw key bytes.
 */
export type BencodeValue = number | bigint | Uint8Array | BencodeValue[] | BencodeDict

/** A decoded bencode dictionary (a null-prototype object). */
export interface BencodeDict {
  [key: string]: BencodeValue
}

/**
 * What {@link encodeBencode} accepts: everything {@link BencodeValue} is, plus
 * JS strings (encoded as UTF-8 byte strings), `undefined` dictionary values
 * (left out, so that optional fields need no special handling), and `Map`s
 * for dictionaries whose keys are raw bytes.
 */
export type BencodeInput =
  | number
  | bigint
  | string
  | Uint8Array
  | readonly BencodeInput[]
  | BencodeInputDict
  | BencodeInputMap

/** A dictionary given to {@link encodeBencode} as an object: keys are UTF-8 text. */
export interface BencodeInputDict {
  readonly [key: string]: BencodeInput | undefined
}

/** A dictionary given to {@link encodeBencode} as a `Map`: keys may be raw bytes or text. */
export type BencodeInputMap = ReadonlyMap<Uint8Array | string, BencodeInput | undefined>

/** Limits applied by {@link decodeBencode}; every one has a safe default. */
export interface BencodeDecodeOptions {
  /** Largest input accepted, in bytes. Default 32 MiB. */
  maxBytes?: number
  /** Deepest nesting of lists and dictionaries. Default 64. */
  maxDepth?: number
  /** Longest single byte string. Default: `maxBytes`. */
  maxStringBytes?: number
  /** Most values (of any kind, at any depth) in one input. Default 1,000,000. */
  maxItems?: number
}

/** Limits applied by {@link encodeBencode}. */
export interface BencodeEncodeOptions {
  /** Deepest nesting accepted (this also stops cycles). Default 64. */
  maxDepth?: number
}

/** @internal */
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024
/** @internal */
export const DEFAULT_MAX_DEPTH = 64
/** @internal */
export const DEFAULT_MAX_ITEMS = 1_000_000
/** Smallest and largest integers bencode values may hold here (signed 64-bit). */
export const BENCODE_INT_MIN = -(2n ** 63n)
/** @see {@link BENCODE_INT_MIN} */
export const BENCODE_INT_MAX = 2n ** 63n - 1n
