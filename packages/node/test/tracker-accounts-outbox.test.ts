/**
 * How the node hands receipts and reports to its tracker accounts
 * (`receipts/tracker-accounts.ts`): only to the accounts of the share's
 * trackers, in batches of at most 256, one request per account at most
 * every 5 s, a failure kept and tried again after a backoff that doubles,
 * the newest receipt of a (share, downloader) replacing the one waiting,
 * and each banned peer reported once per share. The API is a fake `fetch`
 * that records each request; time is a manual clock.
 */
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '@mycel/dht/testing'
import { decodeReceipt, signReceipt, toHex } from '@mycel/wire'
import { getDefaultCrypto } from '@mycel/wire/crypto'
import { componentLogger } from '@mycel/wire/log'
import { describe, expect, it } from 'vitest'
import { TrackerAccountApi } from '../src/discovery/tracker/account-api.js'
import { createNode, type ReceiptsProtocol } from '../src/index.js'
import {
  ACCOUNT_BACKOFF_MS,
  ACCOUNT_REQUEST_INTERVAL_MS,
  RECEIPTS_PER_REQUEST,
  TrackerAccounts,
} from '../src/receipts/tracker-accounts.js'

const crypto = getDefaultCrypto()
const uploaderKey = new Uint8Array(32).fill(1)
const uploader = crypto.ed25519PublicKey(uploaderKey)

function receipt(share: Uint8Array, downloader: number, bytes: number): Uint8Array {
  const secretKey = new Uint8Array(32).fill(9)
  new DataView(secretKey.buffer).setUint16(0, downloader)
  return signReceipt(
    { share, uploader, downloader: crypto.ed25519PublicKey(secretKey), bytes, issuedAt: Date.now() },
    secretKey,
    crypto,
  )
}

interface Posted {
  readonly url: string
  readonly body: { receipts?: string[]; peerKey?: string; share?: string; reason?: string }
}

/** The tracker's codes for the statuses the fake answers with. */
const ERROR_CODES: Record<number, string> = { 400: 'REQUEST_INVALID', 401: 'SESSION_INVALID' }

/** A tracker API: records requests, answers each with `status` (or what `answer` says). */
function fakeApi(answer: (posted: Posted) => number = () => 200) {
  const posted: Posted[] = []
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const body = JSON.parse(String(init?.body)) as Posted['body']
    const request = { url, body }
    posted.push(request)
    const status = answer(request)
    const json =
      status !== 200
        ? { error: { code: ERROR_CODES[status] ?? 'INTERNAL', message: 'refused' } }
        : body.receipts !== undefined
          ? { results: body.receipts.map(() => ({ status: 'credited', increase: 1 })) }
          : { status: 'counted', penalty: 5 }
    return new Response(JSON.stringify(json), { status, headers: { 'content-type': 'application/json' } })
  }
  return { posted, fetch }
}

/** Receipts waiting in a fake protocol, taken by `takeFrom`. */
function protocolWith(receipts: Uint8Array[]): ReceiptsProtocol {
  return { takeReceipts: () => receipts.splice(0) } as unknown as ReceiptsProtocol
}

const shareA = new Uint8Array(32).fill(0xa)
const shareB = new Uint8Array(32).fill(0xb)

function accountsOf(
  clock: ManualClock,
  fetch: (url: string, init?: RequestInit) => Promise<Response>,
  trackers: Record<string, string[]>,
) {
  const apis = ['http://one.example:6970', 'http://two.example:6970'].map(
    (api, i) =>
      new TrackerAccountApi(
        { api, announce: `http://${i === 0 ? 'one' : 'two'}.example:6969/announce`, token: `token-${i}` },
        fetch,
      ),
  )
  return new TrackerAccounts({
    apis,
    trackersOf: async (hex) => trackers[hex] ?? [],
    log: componentLogger(undefined, 'mycel:tracker'),
    clock,
  })
}

/** The bytes a base64 receipt covers. */
function bytesOf(text: string | undefined): number {
  return decodeReceipt(new Uint8Array(Buffer.from(text ?? '', 'base64')), crypto).bytes
}

/** Lets the promise callbacks of the outboxes run (routing reads the share's trackers asynchronously). */
const settle = () => new Promise((resolve) => setImmediate(resolve))

describe("a node's tracker accounts", () => {
  it('hand each receipt to the accounts of its share’s trackers only, in batches of 256, one request per 5 s', async () => {
    const clock = new ManualClock(1_000_000)
    const { posted, fetch } = fakeApi()
    const accounts = accountsOf(clock, fetch, {
      [toHex(shareA)]: ['http://one.example:6969/announce', 'udp://two.example:6969'],
      [toHex(shareB)]: ['http://two.example:6969/announce'],
    })
    try {
      const many = Array.from({ length: RECEIPTS_PER_REQUEST + 44 }, (_, i) => receipt(shareA, i, 1000))
      accounts.takeFrom(protocolWith([...many, receipt(shareB, 3, 500)]))
      await settle()
      await clock.advance(0)
      await settle()
      // Share A goes to account one only (account two's tracker is UDP for it); share B to two only.
      expect(posted.map((request) => [request.url, request.body.receipts?.length])).toEqual([
        ['http://one.example:6970/api/v1/receipts', RECEIPTS_PER_REQUEST],
        ['http://two.example:6970/api/v1/receipts', 1],
      ])
      await clock.advance(ACCOUNT_REQUEST_INTERVAL_MS - 1)
      await settle()
      expect(posted).toHaveLength(2) // not before the interval
      await clock.advance(1)
      await settle()
      expect(posted.map((request) => request.body.receipts?.length)).toEqual([RECEIPTS_PER_REQUEST, 1, 44])
      await clock.advance(60 * 60_000)
      await settle()
      expect(posted).toHaveLength(3) // nothing left
    } finally {
      await accounts.close()
    }
  })

  it('keep what a failed request carried, try again after a backoff that doubles, and send the newest receipt of a pair', async () => {
    const clock = new ManualClock(1_000_000)
    let failing = 2
    const { posted, fetch } = fakeApi(() => (failing-- > 0 ? 500 : 200))
    const accounts = accountsOf(clock, fetch, { [toHex(shareA)]: ['http://one.example:6969/announce'] })
    try {
      accounts.takeFrom(protocolWith([receipt(shareA, 2, 1000)]))
      await settle()
      await clock.advance(0)
      await settle()
      expect(posted).toHaveLength(1) // failed
      accounts.takeFrom(protocolWith([receipt(shareA, 2, 5000)])) // a higher receipt of the same pair
      await settle()
      await clock.advance(ACCOUNT_BACKOFF_MS - 1)
      await settle()
      expect(posted).toHaveLength(1)
      await clock.advance(1)
      await settle()
      expect(posted).toHaveLength(2) // failed again: the next wait is twice as long
      await clock.advance(2 * ACCOUNT_BACKOFF_MS - 1)
      await settle()
      expect(posted).toHaveLength(2)
      await clock.advance(1)
      await settle()
      expect(posted).toHaveLength(3)
      const sent = posted.map((request) => request.body.receipts)
      expect(sent[0]).toHaveLength(1)
      // Retries carry one receipt of the pair: the newest (5000 bytes), never both.
      expect(sent[1]).toEqual(sent[2])
      expect(sent[2]).toHaveLength(1)
      expect(bytesOf(sent[0]?.[0])).toBe(1000)
      expect(bytesOf(sent[2]?.[0])).toBe(5000)
      await clock.advance(60 * 60_000)
      await settle()
      expect(posted).toHaveLength(3) // nothing left
    } finally {
      await accounts.close()
    }
  })

  it('are checked before the node opens anything: TypeError for an account that is not one', async () => {
    const dataDir = join(tmpdir(), `mycel-no-such-${Date.now()}-${Math.random()}`)
    for (const trackerAccounts of [
      'http://one.example:6970',
      [{ api: 'ftp://one.example', announce: 'http://one.example:6969/announce', token: 't' }],
      [{ api: 'http://one.example:6970', announce: 'not a url', token: 't' }],
      [{ api: 'http://one.example:6970', announce: 'http://one.example:6969/announce', token: 5 }],
    ]) {
      await expect(createNode({ dataDir, trackerAccounts: trackerAccounts as never })).rejects.toThrow(TypeError)
    }
    expect(existsSync(dataDir)).toBe(false)
  })

  it('report a banned peer once per share, to the accounts of that share', async () => {
    const clock = new ManualClock(1_000_000)
    const { posted, fetch } = fakeApi()
    const accounts = accountsOf(clock, fetch, {
      [toHex(shareA)]: ['http://one.example:6969/announce', 'http://two.example:6969/announce'],
    })
    const peer = new Uint8Array(32).fill(7)
    try {
      accounts.banned(peer, shareA)
      accounts.banned(peer, shareA) // the same ban again: not reported twice
      accounts.banned(peer, shareB) // a share of no account's tracker
      await settle()
      await clock.advance(60 * 60_000)
      await settle()
      expect(posted.map((request) => [request.url, request.body])).toEqual([
        ['http://one.example:6970/api/v1/reports', { peerKey: toHex(peer), share: toHex(shareA), reason: 'corrupt' }],
        ['http://two.example:6970/api/v1/reports', { peerKey: toHex(peer), share: toHex(shareA), reason: 'corrupt' }],
      ])
    } finally {
      await accounts.close()
    }
  })

  it('report a peer that failed a transfer once per share, apart from a corrupt report of it', async () => {
    const clock = new ManualClock(1_000_000)
    const { posted, fetch } = fakeApi()
    const accounts = accountsOf(clock, fetch, { [toHex(shareA)]: ['http://one.example:6969/announce'] })
    const peer = new Uint8Array(32).fill(9)
    try {
      accounts.failed(peer, shareA)
      accounts.failed(peer, shareA) // it failed again: not reported twice
      accounts.banned(peer, shareA) // then sent corrupt data: that is another report
      await settle()
      await clock.advance(60 * 60_000)
      await settle()
      expect(posted.map((request) => request.body)).toEqual([
        { peerKey: toHex(peer), share: toHex(shareA), reason: 'failed' },
        { peerKey: toHex(peer), share: toHex(shareA), reason: 'corrupt' },
      ])
    } finally {
      await accounts.close()
    }
  })

  it('drop a report the tracker refuses for itself, and keep one refused for an expired session', async () => {
    const clock = new ManualClock(1_000_000)
    const statuses = [401, 200, 400]
    const { posted, fetch } = fakeApi(() => statuses.shift() ?? 200)
    const accounts = accountsOf(clock, fetch, {
      [toHex(shareA)]: ['http://one.example:6969/announce'],
      [toHex(shareB)]: ['http://one.example:6969/announce'],
    })
    try {
      accounts.banned(new Uint8Array(32).fill(7), shareA)
      await settle()
      await clock.advance(0)
      await settle()
      expect(posted).toHaveLength(1) // 401: kept
      await clock.advance(ACCOUNT_BACKOFF_MS)
      await settle()
      expect(posted).toHaveLength(2) // sent again, counted
      accounts.banned(new Uint8Array(32).fill(8), shareB)
      await settle()
      await clock.advance(ACCOUNT_REQUEST_INTERVAL_MS)
      await settle()
      expect(posted).toHaveLength(3) // 400: the tracker's final word
      await clock.advance(60 * 60_000)
      await settle()
      expect(posted).toHaveLength(3)
      expect(posted.map((request) => request.body.peerKey?.slice(0, 2))).toEqual(['07', '07', '08'])
    } finally {
      await accounts.close()
    }
  })
})
