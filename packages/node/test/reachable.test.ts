import { PROTOCOL_VERSION } from '@mycel/wire'
import { describe, expect, it } from 'vitest'
import { canonicalAddress, reachableAt } from '../src/peer/reachable.js'

const hello = (listen: string[]) => ({
  type: 'hello' as const,
  version: PROTOCOL_VERSION,
  agent: 'test',
  listen,
  capabilities: [],
})

describe('where a connected peer can be dialled', () => {
  it('is the address we dialled, and its listen addresses on that host', () => {
    expect(
      reachableAt({
        outbound: true,
        address: 'tcp://192.0.2.7:4000',
        hello: hello(['tcp://0.0.0.0:4000', 'ws://192.0.2.7:4001/mycel', 'tcp://198.51.100.1:4000']),
      }),
    ).toEqual(['tcp://192.0.2.7:4000', 'ws://192.0.2.7:4001/mycel'])
  })

  it('for a peer that dialled us, is its listen addresses with the unspecified host replaced by the one it comes from', () => {
    expect(
      reachableAt({
        outbound: false,
        address: 'tcp://192.0.2.7:51234',
        hello: hello(['tcp://0.0.0.0:4000', 'tcp://[::]:4002', 'tcp://203.0.113.9:4000']),
      }),
    ).toEqual(['tcp://192.0.2.7:4000', 'tcp://192.0.2.7:4002'])
    expect(
      reachableAt({ outbound: false, address: 'tcp://[2001:db8::1]:51234', hello: hello(['tcp://[::]:4000']) }),
    ).toEqual(['tcp://[2001:db8::1]:4000'])
  })

  it('believes an onion address from any connection (it is dialled by name through a proxy), but no other host', () => {
    const onion = `tcp://${'a'.repeat(55)}d.onion:4001`
    expect(
      reachableAt({
        outbound: false,
        address: 'tcp://127.0.0.1:51234',
        hello: hello([onion, 'tcp://198.51.100.1:4000']),
      }),
    ).toEqual([onion])
  })

  it('believes no IP address when the connection comes from none (memory transport names are taken as they are)', () => {
    expect(
      reachableAt({
        outbound: false,
        address: 'memory://dialer-3',
        hello: hello(['memory://seeder', 'tcp://192.0.2.7:4000']),
      }),
    ).toEqual(['memory://seeder'])
    expect(reachableAt({ outbound: false, address: undefined, hello: hello(['tcp://192.0.2.7:4000']) })).toEqual([])
  })

  it('compares canonical addresses', () => {
    expect(canonicalAddress('TCP://192.0.2.7:4000')).toBe('tcp://192.0.2.7:4000')
    expect(canonicalAddress('not an address')).toBe('not an address')
  })
})
