/**
 * The rules behind the accept path, one by one: address groups, the
 * admission gate (per-address limits, displacement of the oldest
 * handshake), and which connection gives up its slot.
 */
import { describe, expect, it } from 'vitest'
import type { ConnectionRefusal } from '../src/index.js'
import { addressGroupOf } from '../src/peer/address-group.js'
import { Admission, AdmissionTicket } from '../src/peer/admission.js'
import { type ConnectionActivity, evictionCandidate, isIdle, RECENT_TRANSFER_MS } from '../src/peer/eviction.js'

describe('addressGroupOf', () => {
  it('groups IPv4 by /24 and IPv6 by /48', () => {
    expect(addressGroupOf('tcp://192.0.2.77:6881')).toEqual({ ip: '192.0.2.77', subnet: '192.0.2/24' })
    expect(addressGroupOf('ws://[2001:db8:a:b::1]:80/mycel')).toEqual({
      ip: '2001:db8:a:b:0:0:0:1',
      subnet: '2001:db8:a::/48',
    })
    // One address written two ways is one address.
    expect(addressGroupOf('tcp://[2001:DB8:0:0::1]:1')?.ip).toBe(addressGroupOf('tcp://[2001:db8::1]:2')?.ip)
    expect(addressGroupOf('tcp://[::ffff:10.1.2.3]:5')).toEqual({ ip: '10.1.2.3', subnet: '10.1.2/24' })
  })

  it('has no group for addresses that are not IP addresses', () => {
    expect(addressGroupOf('memory://alice')).toBeUndefined()
    expect(addressGroupOf('tcp://example.org:80')).toBeUndefined()
    expect(addressGroupOf(undefined)).toBeUndefined()
    expect(addressGroupOf('not an address')).toBeUndefined()
  })
})

const limits = {
  maxHandshakes: 3,
  maxHandshakesPerAddress: 2,
  maxHandshakesPerSubnet: 3,
  maxConnectionsPerAddress: 3,
  maxConnectionsPerSubnet: 4,
}

function admission(): { gate: Admission; refusals: ConnectionRefusal[] } {
  const refusals: ConnectionRefusal[] = []
  return { gate: new Admission(limits, (refusal) => refusals.push(refusal)), refusals }
}

describe('Admission', () => {
  it('refuses an address over its handshakes or connections, and a network over its own', () => {
    const { gate, refusals } = admission()
    const first = gate.admit('tcp://10.0.0.1:1') as AdmissionTicket
    gate.admit('tcp://10.0.0.1:2')
    expect(gate.admit('tcp://10.0.0.1:3')).toMatchObject({ code: 'PEER_LIMIT' })
    expect(refusals.at(-1)).toMatchObject({ reason: 'address-handshakes', address: 'tcp://10.0.0.1:3' })
    // Once a handshake is over, the address may start another, up to its connections.
    gate.established(first)
    expect(gate.admit('tcp://10.0.0.1:4')).toBeInstanceOf(AdmissionTicket)
    expect(gate.admit('tcp://10.0.0.1:5')).toMatchObject({ code: 'PEER_LIMIT' })
    expect(refusals.at(-1)?.reason).toBe('address-connections')
    // 10.0.0.0/24 holds 3 connections, all handshaking but one: a neighbour is refused for its network.
    expect(gate.admit('tcp://10.0.0.9:1')).toBeInstanceOf(AdmissionTicket)
    expect(gate.admit('tcp://10.0.0.8:1')).toMatchObject({ code: 'PEER_LIMIT' })
    expect(refusals.at(-1)?.reason).toBe('subnet-connections')
    expect(gate.refused).toMatchObject({ 'address-handshakes': 1, 'address-connections': 1, 'subnet-connections': 1 })
  })

  it('drops the oldest handshake for a new one when maxHandshakes are in progress', () => {
    const { gate, refusals } = admission()
    const tickets = ['tcp://10.0.1.1:1', 'tcp://10.0.2.1:1', 'tcp://10.0.3.1:1'].map(
      (address) => gate.admit(address) as AdmissionTicket,
    )
    const newest = gate.admit('tcp://10.0.4.1:1')
    expect(newest).toBeInstanceOf(AdmissionTicket)
    expect(tickets[0]?.signal.aborted).toBe(true)
    expect(tickets[0]?.signal.reason).toMatchObject({ code: 'PEER_LIMIT' })
    expect(tickets.slice(1).every((ticket) => !ticket.signal.aborted)).toBe(true)
    expect(refusals).toEqual([expect.objectContaining({ reason: 'handshakes', address: 'tcp://10.0.1.1:1' })])
    expect(gate.handshakesInProgress).toBe(3)
    // Releasing the dropped one again changes nothing.
    gate.release(tickets[0] as AdmissionTicket)
    expect(gate.handshakesInProgress).toBe(3)
  })

  it('counts connections without an IP address only against maxHandshakes', () => {
    const { gate } = admission()
    for (let i = 0; i < 10; i++) {
      const ticket = gate.admit(`memory://peer-${i}`)
      expect(ticket).toBeInstanceOf(AdmissionTicket)
      gate.established(ticket as AdmissionTicket)
    }
  })
})

function connection(fields: Partial<ConnectionActivity> & { peerIdText: string }): ConnectionActivity {
  return { connectedAt: 0, lastActiveAt: 0, lastTransferAt: 0, score: 0, isClosed: false, ...fields }
}

describe('eviction', () => {
  const now = 1_000_000

  it('never picks a useful connection: recent transfer, good score, or a share we download', () => {
    const peers = [
      connection({ peerIdText: 'moving', lastTransferAt: now - RECENT_TRANSFER_MS + 1000 }),
      connection({ peerIdText: 'good', score: 3 }),
      connection({ peerIdText: 'source' }),
    ]
    expect(evictionCandidate(peers, now, (peer) => peer.peerIdText === 'source')).toBeUndefined()
  })

  it('picks the lowest score, then the longest inactive', () => {
    const peers = [
      connection({ peerIdText: 'new', lastActiveAt: now - 10 }),
      connection({ peerIdText: 'old', lastActiveAt: now - 5000 }),
      connection({ peerIdText: 'stale', lastTransferAt: now - RECENT_TRANSFER_MS - 1, lastActiveAt: now - 1 }),
    ]
    expect(evictionCandidate(peers, now, () => false)?.peerIdText).toBe('old')
    peers.push(connection({ peerIdText: 'bad', score: -2, lastActiveAt: now }))
    expect(evictionCandidate(peers, now, () => false)?.peerIdText).toBe('bad')
  })

  it('calls a connection idle once nothing happened on it for the idle timeout (0: never)', () => {
    const peer = connection({ peerIdText: 'p', lastActiveAt: now - 2000 })
    expect(isIdle(peer, now, 2000)).toBe(true)
    expect(isIdle(peer, now, 2001)).toBe(false)
    expect(isIdle(peer, now, 0)).toBe(false)
  })
})
