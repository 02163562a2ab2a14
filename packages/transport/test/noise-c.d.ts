declare module '@richardhopton/noise-c.wasm' {
  interface NoiseCipherState {
    EncryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array
    DecryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array
    free(): void
  }
  interface NoiseHandshakeState {
    Initialize(
      prologue?: Uint8Array | null,
      s?: Uint8Array | null,
      rs?: Uint8Array | null,
      psk?: Uint8Array | null,
    ): void
    GetAction(): number
    WriteMessage(payload?: Uint8Array | null): Uint8Array
    ReadMessage(message: Uint8Array, payloadNeeded?: boolean): Uint8Array | undefined
    GetHandshakeHash(): Uint8Array
    GetRemotePublicKey(): Uint8Array
    Split(): [NoiseCipherState, NoiseCipherState]
    free(): void
  }
  interface Noise {
    constants: Record<string, number>
    CreateKeyPair(curve: number): [Uint8Array, Uint8Array]
    HandshakeState(protocolName: string, role: number): NoiseHandshakeState
  }
  function createNoise(callback: (noise: Noise) => void): void
  export = createNoise
}
