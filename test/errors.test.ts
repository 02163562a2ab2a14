/**
 * One error base for the six packages: every package's error class extends
 * `MycelError` from `@mycel/wire`, keeps its own `name` and codes, and gets
 * `ABORTED`/`CLOSED` from the shared factories. The code lists below are the
 * codes as released: `satisfies` fails the type check if one disappears from
 * its union, and the test fails if one is missing from docs/errors.md.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DhtError, type DhtErrorCode } from '@mycel/dht'
import { NodeError, type NodeErrorCode } from '@mycel/node'
import { PiecesError, type PiecesErrorCode } from '@mycel/pieces'
import { StoreError, type StoreErrorCode } from '@mycel/store'
import { TransportError, type TransportErrorCode } from '@mycel/transport'
import { MycelError, type MycelErrorClass, WireError, type WireErrorCode } from '@mycel/wire'
import { abortError } from '@mycel/wire/signal'
import { describe, expect, it } from 'vitest'

const errorsDoc = readFileSync(fileURLToPath(new URL('../docs/errors.md', import.meta.url)), 'utf8')

/** The codes of the table under `## \`@mycel/<pkg>\``. */
function documentedCodes(pkg: string): string[] {
  const section = errorsDoc.split(/^## /m).find((part) => part.startsWith(`\`@mycel/${pkg}\``)) ?? ''
  return [...section.matchAll(/^\| `([A-Z0-9_]+)`/gm)].map((match) => match[1] as string)
}

type AnyErrorClass = new (code: never, message: string, options?: { cause?: unknown }) => MycelError

interface Case {
  pkg: string
  errorClass: AnyErrorClass
  name: string
  codes: readonly string[]
}

const cases: Case[] = [
  {
    pkg: 'wire',
    errorClass: WireError,
    name: 'WireError',
    codes: [
      'BENCODE_TRUNCATED',
      'BENCODE_TRAILING_BYTES',
      'BENCODE_UNEXPECTED_BYTE',
      'BENCODE_BAD_INTEGER',
      'BENCODE_BAD_STRING_LENGTH',
      'BENCODE_BAD_KEY',
      'BENCODE_UNSORTED_KEYS',
      'BENCODE_DUPLICATE_KEY',
      'BENCODE_TOO_DEEP',
      'BENCODE_TOO_LARGE',
      'BENCODE_UNENCODABLE',
      'MESSAGE_MALFORMED',
      'MESSAGE_TOO_LARGE',
      'MESSAGE_UNKNOWN_TYPE',
      'MESSAGE_INVALID_FIELD',
      'FRAME_TOO_LARGE',
      'FRAME_TRUNCATED',
      'TRACKER_MALFORMED',
      'TRACKER_INVALID_FIELD',
      'TRACKER_TOO_LARGE',
      'TRACKER_URL_INVALID',
    ] satisfies readonly WireErrorCode[],
  },
  {
    pkg: 'pieces',
    errorClass: PiecesError,
    name: 'PiecesError',
    codes: [
      'MANIFEST_MALFORMED',
      'MANIFEST_UNSUPPORTED',
      'MANIFEST_BAD_PIECE_LENGTH',
      'MANIFEST_BAD_PATH',
      'MANIFEST_DUPLICATE_PATH',
      'MANIFEST_BAD_LENGTH',
      'MANIFEST_BAD_PIECES_ROOT',
      'MANIFEST_BAD_PIECE_LAYER',
      'MANIFEST_HYBRID_MISMATCH',
      'MANIFEST_TOO_LARGE',
      'MANIFEST_EMPTY',
      'INFOHASH_MISMATCH',
      'TORRENT_V1_ONLY',
      'MAGNET_MALFORMED',
      'BITFIELD_MALFORMED',
      'PIECE_OUT_OF_RANGE',
      'BLOCK_RANGE_INVALID',
      'INGEST_LENGTH_MISMATCH',
      'INGEST_FILE_CHANGED',
      'INGEST_UNSUPPORTED_FILE',
      'PRIVATE_KEY_MISMATCH',
      'PRIVATE_MANIFEST_INVALID',
      'PRIVATE_ENVELOPE_MALFORMED',
      'PRIVATE_NOT_A_READER',
      'PRIVATE_TOO_MANY_READERS',
      'PRIVATE_BAD_READER',
      'PRIVATE_LINK_MALFORMED',
      'PRIVATE_SHARE_MALFORMED',
      'ABORTED',
    ] satisfies readonly PiecesErrorCode[],
  },
  {
    pkg: 'transport',
    errorClass: TransportError,
    name: 'TransportError',
    codes: [
      'ADDRESS_INVALID',
      'ADDRESS_UNSUPPORTED',
      'ABORTED',
      'CLOSED',
      'DIAL_FAILED',
      'LISTEN_FAILED',
      'LISTEN_UNSUPPORTED',
      'CONNECTION_RESET',
      'CONNECTION_CLOSED',
      'HANDSHAKE_TIMEOUT',
      'HANDSHAKE_FAILED',
      'PAYLOAD_MALFORMED',
      'SIGNATURE_INVALID',
      'VERSION_MISMATCH',
      'PEER_ID_MISMATCH',
      'DECRYPT_FAILED',
      'FRAME_TOO_LARGE',
      'FRAME_TRUNCATED',
      'MESSAGE_TOO_LARGE',
      'NONCE_EXHAUSTED',
      'PEER_ID_INVALID',
      'IDENTITY_FILE_INVALID',
      'IDENTITY_FILE_INSECURE',
      'PROXY_URL_INVALID',
      'PROXY_UNREACHABLE',
      'PROXY_TIMEOUT',
      'PROXY_PROTOCOL',
      'PROXY_AUTH_FAILED',
    ] satisfies readonly TransportErrorCode[],
  },
  {
    pkg: 'dht',
    errorClass: DhtError,
    name: 'DhtError',
    codes: [
      'ABORTED',
      'CLOSED',
      'TIMEOUT',
      'REMOTE_ERROR',
      'INVALID_RESPONSE',
      'PACKET_TOO_LARGE',
      'MALFORMED_PACKET',
      'VALUE_TOO_LARGE',
      'SALT_TOO_LARGE',
      'INVALID_SIGNATURE',
      'INVALID_ADDRESS',
      'INVALID_SNAPSHOT',
      'SOCKET_ERROR',
    ] satisfies readonly DhtErrorCode[],
  },
  {
    pkg: 'store',
    errorClass: StoreError,
    name: 'StoreError',
    codes: [
      'PATH_ESCAPE',
      'PATH_CONFLICT',
      'NOT_WRITABLE',
      'NOT_READABLE',
      'DISK_FULL',
      'DATA_MISSING',
      'READ_ONLY',
      'IO_FAILED',
      'DATABASE_CORRUPT',
      'DATABASE_FOREIGN',
      'DATABASE_FAILED',
      'DATABASE_LOCKED',
      'SCHEMA_TOO_NEW',
      'SQLITE_UNAVAILABLE',
      'UNKNOWN_SHARE',
      'SHARE_EXISTS',
      'CLOSED',
      'ABORTED',
    ] satisfies readonly StoreErrorCode[],
  },
  {
    pkg: 'node',
    errorClass: NodeError,
    name: 'NodeError',
    codes: [
      'ABORTED',
      'CLOSED',
      'SHARE_NOT_FOUND',
      'SHARE_EXISTS',
      'FILE_NOT_FOUND',
      'RANGE_INVALID',
      'PEER_PROTOCOL',
      'PEER_VERSION',
      'PEER_TIMEOUT',
      'PEER_BANNED',
      'PEER_SELF',
      'PEER_DUPLICATE',
      'PEER_LIMIT',
      'PROXY_CONFLICT',
      'ONION_INVALID',
      'ADDRESS_NEEDS_PROXY',
      'TRACKER_FAILURE',
      'TRACKER_UNREACHABLE',
      'TRACKER_TIMEOUT',
      'TRACKER_INVALID_RESPONSE',
      'TRACKER_UNSUPPORTED',
      'PRIVATE_UNSUPPORTED',
    ] satisfies readonly NodeErrorCode[],
  },
]

describe.each(cases)('@mycel/$pkg: $name', ({ pkg, errorClass, name, codes }) => {
  it('is a MycelError, an Error and its own class, with its name, code and cause, for every code', () => {
    const cause = new Error('underneath')
    for (const code of codes) {
      const error = new errorClass(code as never, 'detail', { cause })
      expect(error).toBeInstanceOf(errorClass)
      expect(error).toBeInstanceOf(MycelError)
      expect(error).toBeInstanceOf(Error)
      expect(error.name).toBe(name)
      expect(error.code).toBe(code)
      expect(error.message).toBe('detail')
      expect(error.cause).toBe(cause)
      expect(Object.prototype.toString.call(error)).toBe('[object Error]')
      expect(String(error)).toBe(`${name}: detail`)
    }
    expect('cause' in new errorClass(codes[0] as never, 'no cause')).toBe(false)
  })

  it('documents every code in docs/errors.md', () => {
    expect(codes.filter((code) => !documentedCodes(pkg).includes(code))).toEqual([])
  })
})

describe('the shared factories', () => {
  const reason = new Error('stopped')
  const abortable: MycelErrorClass<'ABORTED', MycelError>[] = [
    PiecesError,
    TransportError,
    DhtError,
    StoreError,
    NodeError,
  ]
  it.each(abortable)('%o.aborted makes an ABORTED error of that class', (errorClass) => {
    const error = MycelError.aborted.call(errorClass, reason) as MycelError
    expect(error).toBeInstanceOf(errorClass)
    expect(error.code).toBe('ABORTED')
    expect(error.cause).toBe(reason)
    expect(error.message).toBe('the operation was aborted')
    const fromSignal = abortError(AbortSignal.abort(reason), errorClass)
    expect(fromSignal).toBeInstanceOf(errorClass)
    expect(fromSignal.code).toBe('ABORTED')
  })

  it('closed names what is closed, each class with its own default', () => {
    expect(TransportError.closed('the connection').message).toBe('the connection is closed')
    expect(StoreError.closed('the state store')).toMatchObject({ code: 'CLOSED', name: 'StoreError' })
    expect(DhtError.closed().message).toBe('the DHT node is closed')
    expect(NodeError.closed().message).toBe('the node is closed')
    expect(NodeError.closed()).toBeInstanceOf(NodeError)
    expect(DhtError.closed()).toBeInstanceOf(DhtError)
  })

  it('a DhtError keeps the remote KRPC code', () => {
    const error = new DhtError('REMOTE_ERROR', 'x', { remoteCode: 203 })
    expect(error.remoteCode).toBe(203)
    expect(error).toBeInstanceOf(MycelError)
  })
})
