/** The onion peers a tracker keeps apart from its compact lists: bounded per swarm, expiring, leaving on `stopped`. */
import { describe, expect, it } from 'vitest'
import { MAX_ONION_PEERS_PER_SWARM, OnionPeers, peerListOf } from '../src/core/onion-peers.js'

/** A distinct onion-like host per number (the store takes what the announce parser let through). */
const onion = (i: number) => `${String(i).padStart(55, 'a')}d.onion`

describe('onion peers', () => {
  it('are kept per swarm up to the bound, expire, leave on stopped, and are never handed to themselves', () => {
    const peers = new OnionPeers()
    for (let i = 0; i < MAX_ONION_PEERS_PER_SWARM + 10; i++) peers.announce('swarm', `${onion(i)}:4001`, 100, false)
    expect(peers.size).toBe(MAX_ONION_PEERS_PER_SWARM)
    expect(peers.pick('swarm', undefined, 5, 50)).toHaveLength(5)
    const self = `${onion(0)}:4001`
    expect(peers.pick('swarm', self, 2, 50).map((peer) => `${peer.host}:${peer.port}`)).not.toContain(self)
    peers.announce('swarm', self, 100, true)
    expect(peers.size).toBe(MAX_ONION_PEERS_PER_SWARM - 1)
    peers.announce('swarm', `${onion(1)}:4001`, 200, false) // announced again: lives longer
    expect(peers.pick('swarm', undefined, 10, 150)).toEqual([{ host: onion(1), port: 4001 }])
    expect(peers.size).toBe(1)
    expect(peers.pick('other', undefined, 10, 0)).toEqual([])
  })

  it('join the compact peers of an answer in a BEP 3 list', () => {
    const peers4 = String.fromCharCode(192, 0, 2, 7, 0x1a, 0xe1)
    expect(peerListOf({ peers4, peers6: '', onion: [{ host: onion(3), port: 4001 }] })).toEqual([
      { host: '192.0.2.7', port: 6881 },
      { host: onion(3), port: 4001 },
    ])
  })
})
