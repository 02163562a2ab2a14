import { afterEach, describe, expect, it } from 'vitest'
import { Identity, peerIdToString, SecureConnection, secure } from '../src/index.js'
import { createMemoryNetwork, type MemoryNetwork, openPair } from '../src/testing.js'
import { providerPairs } from './providers.js'

let network: MemoryNetwork
afterEach(async () => {
  await network.close()
})

describe('secure over memory', () => {
  for (const [name, initiatorCrypto, responderCrypto] of providerPairs) {
    it(`handshakes and echoes, ${name}`, async () => {
      network = createMemoryNetwork()
      const transport = network.transport()
      const { client, server } = await openPair(transport, 'memory://0')
      const alice = Identity.generate()
      const bob = Identity.generate()
      const [a, b] = await Promise.all([
        secure(client, alice, {
          initiator: true,
          remotePeerId: bob.peerId,
          crypto: initiatorCrypto,
          capabilities: ['x'],
        }),
        secure(server, bob, { initiator: false, crypto: responderCrypto }),
      ])
      expect(a).toBeInstanceOf(SecureConnection)
      expect(peerIdToString(a.remotePeerId)).toBe(bob.toString())
      expect(peerIdToString(b.remotePeerId)).toBe(alice.toString())
      expect(b.remoteCapabilities).toEqual(['x'])
      expect(a.handshakeHash).toEqual(b.handshakeHash)
      b.onMessage((message) => b.write(message))
      const sizes = [0, 1, 100, 65515, 65516, 70000, 1024 * 1024]
      for (const size of sizes) a.write(new Uint8Array(size).fill(size % 251))
      const received: number[] = []
      for await (const message of a.messages()) {
        expect(message.every((byte) => byte === message.length % 251)).toBe(true)
        received.push(message.length)
        if (received.length === sizes.length) break
      }
      expect(received).toEqual(sizes)
      await a.close()
      expect(await b.closed).toBeUndefined()
      expect(await a.closed).toBeUndefined()
    })
  }
})
