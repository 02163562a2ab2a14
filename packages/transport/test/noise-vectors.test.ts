import { describe, expect, it } from 'vitest'
import { CipherState } from '../src/noise/cipher-state.js'
import { HandshakeState, type TransportCiphers } from '../src/noise/handshake-state.js'
import vector from './fixtures/noise-xx-25519-chachapoly-sha256.json' with { type: 'json' }
import { hex, providerPairs, providers, toHex } from './providers.js'

describe('Noise_XX_25519_ChaChaPoly_SHA256 known answers (cacophony)', () => {
  for (const [name, initiatorCrypto, responderCrypto] of providerPairs) {
    it(`reproduces every message, initiator/responder ${name}`, () => {
      const initiator = new HandshakeState(initiatorCrypto, {
        initiator: true,
        prologue: hex(vector.init_prologue),
        staticKeyPair: initiatorCrypto.x25519KeyPair(hex(vector.init_static)),
        ephemeralKeyPair: initiatorCrypto.x25519KeyPair(hex(vector.init_ephemeral)),
      })
      const responder = new HandshakeState(responderCrypto, {
        initiator: false,
        prologue: hex(vector.resp_prologue),
        staticKeyPair: responderCrypto.x25519KeyPair(hex(vector.resp_static)),
        ephemeralKeyPair: responderCrypto.x25519KeyPair(hex(vector.resp_ephemeral)),
      })
      let initiatorCiphers: TransportCiphers | undefined
      let responderCiphers: TransportCiphers | undefined
      vector.messages.forEach((message, index) => {
        const fromInitiator = index % 2 === 0
        const payload = hex(message.payload)
        let ciphertext: Uint8Array
        let received: Uint8Array | null
        if (index < 3) {
          const [writer, reader] = fromInitiator ? [initiator, responder] : [responder, initiator]
          ciphertext = writer.writeMessage(payload)
          received = reader.readMessage(ciphertext)
          if (index === 2) {
            initiatorCiphers = initiator.split()
            responderCiphers = responder.split()
          }
        } else {
          const [sender, receiver] = fromInitiator
            ? [initiatorCiphers?.send, responderCiphers?.receive]
            : [responderCiphers?.send, initiatorCiphers?.receive]
          if (sender === undefined || receiver === undefined) throw new Error('handshake did not split')
          ciphertext = sender.encryptWithAd(new Uint8Array(0), payload)
          received = receiver.decryptWithAd(new Uint8Array(0), ciphertext)
        }
        expect(toHex(ciphertext), `message ${index}`).toBe(message.ciphertext)
        expect(received === null ? null : toHex(received)).toBe(message.payload)
      })
      expect(toHex(initiator.handshakeHash)).toBe(toHex(responder.handshakeHash))
      expect(toHex(initiator.remoteStaticKey ?? new Uint8Array())).toBe(
        toHex(responderCrypto.x25519KeyPair(hex(vector.resp_static)).publicKey),
      )
    })
  }
})

describe('CipherState', () => {
  for (const [name, crypto] of providers) {
    it(`${name}: refuses to use the last nonce and never wraps`, () => {
      const cipher = new CipherState(crypto)
      cipher.initializeKey(new Uint8Array(32).fill(7))
      cipher.setNonce(Number.MAX_SAFE_INTEGER - 1)
      expect(cipher.encryptWithAd(new Uint8Array(0), new Uint8Array(4)).length).toBe(20)
      expect(() => cipher.encryptWithAd(new Uint8Array(0), new Uint8Array(4))).toThrow(
        expect.objectContaining({ code: 'NONCE_EXHAUSTED' }),
      )
    })

    it(`${name}: encodes nonces above 2^32 like the other provider`, () => {
      const results = providers.map(([, other]) => {
        const cipher = new CipherState(other)
        cipher.initializeKey(new Uint8Array(32).fill(1))
        cipher.setNonce(2 ** 40 + 5)
        return toHex(cipher.encryptWithAd(new Uint8Array(3), new Uint8Array(10)))
      })
      expect(new Set(results).size).toBe(1)
      const cipher = new CipherState(crypto)
      cipher.initializeKey(new Uint8Array(32).fill(1))
      cipher.setNonce(2 ** 40 + 5)
      const receiver = new CipherState(crypto)
      receiver.initializeKey(new Uint8Array(32).fill(1))
      receiver.setNonce(2 ** 40 + 5)
      const ciphertext = cipher.encryptWithAd(new Uint8Array(3), new Uint8Array(10))
      expect(receiver.decryptWithAd(new Uint8Array(3), ciphertext)).toEqual(new Uint8Array(10))
    })

    it(`${name}: rekey changes the key the same way on both providers, keeping the nonce`, () => {
      const keys = providers.map(([, other]) => {
        const cipher = new CipherState(other)
        cipher.initializeKey(new Uint8Array(32).fill(9))
        cipher.rekey()
        return toHex(cipher.encryptWithAd(new Uint8Array(0), new Uint8Array(0)))
      })
      expect(new Set(keys).size).toBe(1)
      const before = new CipherState(crypto)
      before.initializeKey(new Uint8Array(32).fill(9))
      expect(toHex(before.encryptWithAd(new Uint8Array(0), new Uint8Array(0)))).not.toBe(keys[0])
    })

    it(`${name}: a bad tag fails and leaves the nonce alone`, () => {
      const sender = new CipherState(crypto)
      const receiver = new CipherState(crypto)
      sender.initializeKey(new Uint8Array(32).fill(3))
      receiver.initializeKey(new Uint8Array(32).fill(3))
      const ciphertext = sender.encryptWithAd(new Uint8Array(0), new Uint8Array([1, 2, 3]))
      const corrupted = Uint8Array.from(ciphertext)
      corrupted[0] = (corrupted[0] as number) ^ 1
      expect(receiver.decryptWithAd(new Uint8Array(0), corrupted)).toBeNull()
      expect(receiver.decryptWithAd(new Uint8Array(0), new Uint8Array(5))).toBeNull()
      expect(receiver.decryptWithAd(new Uint8Array(0), ciphertext)).toEqual(new Uint8Array([1, 2, 3]))
    })
  }
})
