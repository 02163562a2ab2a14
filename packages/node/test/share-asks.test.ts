import { describe, expect, it } from 'vitest'
import type { PeerConnection } from '../src/peer/connection.js'
import { MAX_ASK_BYTES_PER_CONNECTION, MAX_ASKS_PER_CONNECTION, ShareAsks } from '../src/peer/share-asks.js'

const peer = (name: string) => ({ peerIdText: name }) as unknown as PeerConnection
const hex = (i: number) => i.toString(16).padStart(64, '0')

describe('questions about shares we did not have', () => {
  it('are answered once, to the peers that asked, with the bitfield each sent (copied)', () => {
    const asks = new ShareAsks()
    const [a, b, c] = [peer('a'), peer('b'), peer('c')]
    const bits = Uint8Array.of(0b1010_0000)
    asks.remember(a, hex(1), bits)
    asks.remember(b, hex(1), new Uint8Array(0))
    asks.remember(c, hex(2), new Uint8Array(0))
    bits[0] = 0 // the message's memory is reused after the handler returns
    const answered = asks.take(hex(1))
    expect(answered.map(([who, kept]) => [who.peerIdText, [...kept]])).toEqual([
      ['a', [0b1010_0000]],
      ['b', []],
    ])
    expect(asks.take(hex(1))).toEqual([])
    expect(asks.count(c)).toBe(1)
    asks.forget(c)
    expect(asks.take(hex(2))).toEqual([])
  })

  it('keep at most 32 shares per connection, the oldest forgotten first', () => {
    const asks = new ShareAsks()
    const a = peer('a')
    for (let i = 0; i < MAX_ASKS_PER_CONNECTION + 5; i++) asks.remember(a, hex(i), new Uint8Array(0))
    expect(asks.count(a)).toBe(MAX_ASKS_PER_CONNECTION)
    expect(asks.take(hex(4))).toEqual([])
    expect(asks.take(hex(5))).toHaveLength(1)
  })

  it('keep at most 16 KiB of bitfields per connection; a larger one counts as empty', () => {
    const asks = new ShareAsks()
    const a = peer('a')
    const half = MAX_ASK_BYTES_PER_CONNECTION / 2
    asks.remember(a, hex(1), new Uint8Array(half).fill(1))
    asks.remember(a, hex(2), new Uint8Array(half).fill(2))
    asks.remember(a, hex(3), new Uint8Array(half).fill(3)) // pushes out the oldest
    asks.remember(a, hex(4), new Uint8Array(MAX_ASK_BYTES_PER_CONNECTION + 1))
    expect(asks.take(hex(1))).toEqual([])
    expect(asks.take(hex(2))[0]?.[1]).toHaveLength(half)
    expect(asks.take(hex(3))[0]?.[1]).toHaveLength(half)
    expect(asks.take(hex(4))[0]?.[1]).toHaveLength(0)
  })
})
