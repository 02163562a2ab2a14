import { describe, expect, it } from 'vitest'
import { ADDRESS_RECORD_TTL_MS, AddressBook, DIAL_BACKOFF_MS, MAX_DIAL_BACKOFF_MS } from '../src/peer/address-book.js'

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start
  return {
    now: () => time,
    advance: (ms) => {
      time += ms
    },
  }
}

describe('the address book', () => {
  it('backs a failing address off for a minute, doubling up to an hour, and forgets it once a peer answers', () => {
    const time = clock()
    const book = new AddressBook(time.now)
    const address = 'tcp://10.0.0.1:4000'
    expect(book.isBackingOff(address)).toBe(false)
    const waits: number[] = []
    for (let failures = 0; failures < 10; failures++) {
      book.failed(address)
      let waited = 0
      while (book.isBackingOff(address)) {
        time.advance(1000)
        waited += 1000
      }
      waits.push(waited)
    }
    expect(waits.slice(0, 4)).toEqual([DIAL_BACKOFF_MS, 2 * DIAL_BACKOFF_MS, 4 * DIAL_BACKOFF_MS, 8 * DIAL_BACKOFF_MS])
    expect(Math.max(...waits)).toBe(MAX_DIAL_BACKOFF_MS)
    book.answered(address, 'peer-a', 3)
    expect(book.isBackingOff(address)).toBe(false)
    expect(book.peerAt(address)).toBe('peer-a')
    book.failed(address)
    expect(book.isBackingOff(address)).toBe(true)
    time.advance(DIAL_BACKOFF_MS) // one failure after an answer: the first wait again
    expect(book.isBackingOff(address)).toBe(false)
  })

  it('waits the longest backoff at once for ourselves and banned peers', () => {
    const time = clock()
    const book = new AddressBook(time.now)
    book.failed('tcp://10.0.0.2:4000', true)
    time.advance(MAX_DIAL_BACKOFF_MS - 1)
    expect(book.isBackingOff('tcp://10.0.0.2:4000')).toBe(true)
    time.advance(1)
    expect(book.isBackingOff('tcp://10.0.0.2:4000')).toBe(false)
  })

  it('ranks addresses that answered (better scores first), then new ones, then failed ones', () => {
    const book = new AddressBook()
    book.answered('tcp://10.0.0.1:1', 'a', 2)
    book.answered('tcp://10.0.0.2:1', 'b', 7)
    book.failed('tcp://10.0.0.3:1')
    book.failed('tcp://10.0.0.4:1')
    book.failed('tcp://10.0.0.4:1')
    const order = ['tcp://10.0.0.4:1', 'tcp://10.0.0.9:1', 'tcp://10.0.0.3:1', 'tcp://10.0.0.1:1', 'tcp://10.0.0.2:1']
      .map((address) => ({ address, rank: book.rank(address) }))
      .sort((x, y) => x.rank.tier - y.rank.tier || y.rank.weight - x.rank.weight)
      .map((entry) => entry.address)
    expect(order).toEqual([
      'tcp://10.0.0.2:1',
      'tcp://10.0.0.1:1',
      'tcp://10.0.0.9:1',
      'tcp://10.0.0.3:1',
      'tcp://10.0.0.4:1',
    ])
    book.scored('tcp://10.0.0.1:1', 'a', 20)
    expect(book.rank('tcp://10.0.0.1:1')).toEqual({ tier: 0, weight: 20 })
    book.scored('tcp://10.0.0.1:1', 'someone-else', 99) // another peer's score does not move it
    expect(book.rank('tcp://10.0.0.1:1')).toEqual({ tier: 0, weight: 20 })
  })

  it('keeps at most its capacity, forgetting the least recently updated, and forgets records after their lifetime', () => {
    const time = clock()
    const book = new AddressBook(time.now, 3)
    for (let i = 1; i <= 4; i++) book.failed(`tcp://10.0.0.${i}:1`)
    expect(book.size).toBe(3)
    expect(book.isBackingOff('tcp://10.0.0.1:1')).toBe(false) // pushed out
    expect(book.isBackingOff('tcp://10.0.0.4:1')).toBe(true)
    book.answered('tcp://10.0.0.2:1', 'b', 0) // updated: now the most recent
    book.failed('tcp://10.0.0.5:1')
    expect(book.peerAt('tcp://10.0.0.2:1')).toBe('b')
    expect(book.isBackingOff('tcp://10.0.0.3:1')).toBe(false) // the least recently updated went
    time.advance(ADDRESS_RECORD_TTL_MS)
    expect(book.peerAt('tcp://10.0.0.2:1')).toBeUndefined()
    expect(book.rank('tcp://10.0.0.5:1')).toEqual({ tier: 1, weight: 0 })
  })
})
