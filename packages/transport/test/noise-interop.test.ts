import createNoise from '@richardhopton/noise-c.wasm'
import { describe, expect, it } from 'vitest'
import { HandshakeState } from '../src/noise/handshake-state.js'
import { PROLOGUE } from '../src/secure/payload.js'
import { providers, toHex } from './providers.js'

// noise-c (rweather/noise-c compiled to WebAssembly) is an independent
// implementation of the Noise framework: completing XX with it, in both
// roles, and exchanging transport messages both ways shows that our Noise
// layer interoperates with another correct implementation.
type Noise = Parameters<Parameters<typeof createNoise>[0]>[0]
const noise = await new Promise<Noise>((resolve) => createNoise(resolve))
const { constants } = noise
const name = 'Noise_XX_25519_ChaChaPoly_SHA256'
const encoder = new TextEncoder()
const empty = new Uint8Array(0)

describe('interoperability with noise-c', () => {
  for (const [providerName, crypto] of providers) {
    for (const weInitiate of [true, false]) {
      it(`${providerName}: completes XX as ${weInitiate ? 'initiator' : 'responder'} and exchanges messages both ways`, () => {
        const ours = new HandshakeState(crypto, {
          initiator: weInitiate,
          prologue: PROLOGUE,
          staticKeyPair: crypto.x25519KeyPair(),
        })
        const [theirSecret, theirPublic] = noise.CreateKeyPair(constants.NOISE_DH_CURVE25519 as number)
        const theirs = noise.HandshakeState(
          name,
          (weInitiate ? constants.NOISE_ROLE_RESPONDER : constants.NOISE_ROLE_INITIATOR) as number,
        )
        theirs.Initialize(PROLOGUE, theirSecret)
        const payloads = ['one', 'two', 'three'].map((text) => encoder.encode(text))
        for (let index = 0; index < 3; index++) {
          const ourTurn = (index % 2 === 0) === weInitiate
          const payload = payloads[index] as Uint8Array
          if (ourTurn) {
            const message = ours.writeMessage(payload)
            expect(toHex(theirs.ReadMessage(message, true) ?? empty)).toBe(toHex(payload))
          } else {
            const message = theirs.WriteMessage(payload)
            expect(toHex(ours.readMessage(message))).toBe(toHex(payload))
          }
        }
        expect(theirs.GetAction()).toBe(constants.NOISE_ACTION_SPLIT)
        expect(toHex(ours.handshakeHash)).toBe(toHex(theirs.GetHandshakeHash()))
        expect(toHex(ours.remoteStaticKey ?? empty)).toBe(toHex(theirPublic))
        const { send, receive } = ours.split()
        const [theirSend, theirReceive] = theirs.Split()
        for (let round = 0; round < 5; round++) {
          const outgoing = encoder.encode(`to noise-c ${round}`)
          expect(toHex(theirReceive.DecryptWithAd(empty, send.encryptWithAd(empty, outgoing)))).toBe(toHex(outgoing))
          const incoming = encoder.encode(`from noise-c ${round}`)
          expect(toHex(receive.decryptWithAd(empty, theirSend.EncryptWithAd(empty, incoming)) ?? empty)).toBe(
            toHex(incoming),
          )
        }
        theirSend.free()
        theirReceive.free() // Split() already freed the handshake state
      })
    }
  }
})
