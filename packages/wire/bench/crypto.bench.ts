/**
 * The crypto providers on the hot paths of mycel: sealing and opening 64 KiB
 * ChaCha20-Poly1305 messages (the secure channel), SHA-256 of 16 KiB blocks
 * (Merkle hashing), X25519 (handshakes), Ed25519 verify and sign.
 *
 * Four implementations, taking turns in rounds (each round in another order)
 * so a slow spell of this shared machine hits each alike (median of the rounds):
 * - `node (found)`: the provider of `getDefaultCrypto()`, over the
 *   `node:crypto` that `process.getBuiltinModule` returns;
 * - `node (imported)`: the same provider built over a static
 *   `import * as crypto from 'node:crypto'`, the alternative an entry like
 *   `@mycel/transport/node` could keep;
 * - `raw node:crypto`: the reference, the same work written directly against
 *   `node:crypto` with no provider in between;
 * - `noble`: the pure-JavaScript provider.
 *
 * Run: `npx tsx packages/wire/bench/crypto.bench.ts` (MYCEL_BENCH_ROUNDS, default 5).
 */
import * as nodeBuffer from 'node:buffer'
import * as nodeCrypto from 'node:crypto'
import { loadavg } from 'node:os'
import { createNodeCrypto } from '../src/crypto/node-crypto.js'
import { type CryptoProvider, fastSha256, findNodeCrypto, nobleCrypto } from '../src/crypto.js'

const MiB = 1024 * 1024
const ROUNDS = Number(process.env.MYCEL_BENCH_ROUNDS ?? 5)
const key = nodeCrypto.randomBytes(32)
const nonce = new Uint8Array(12)
const ad = new Uint8Array(0)
const message = nodeCrypto.randomBytes(64 * 1024)
const block = nodeCrypto.randomBytes(16 * 1024)

interface Implementation {
  name: string
  sealOpen(): void
  sha256Block(): void
  x25519(): void
  verify(): void
  sign(): void
  /** Fraction of the work of the fast ones per call (noble is ten times slower). */
  scale: number
}

function fromProvider(name: string, crypto: CryptoProvider, scale = 1): Implementation {
  const sha256 = fastSha256(crypto)
  const mine = crypto.x25519KeyPair()
  const theirs = crypto.x25519KeyPair().publicKey
  const secret = new Uint8Array(32).fill(9)
  const publicKey = crypto.ed25519PublicKey(secret)
  const signature = crypto.ed25519Sign(block.subarray(0, 64), secret)
  return {
    name,
    scale,
    sealOpen() {
      const [ciphertext, tag] = crypto.encryptParts(key, nonce, ad, message)
      const stream = crypto.decryptStream(key, nonce, ad, ciphertext.length)
      stream.update(ciphertext.subarray(0, 40_000))
      stream.update(ciphertext.subarray(40_000))
      if (stream.final(tag) === null) throw new Error('tag')
    },
    sha256Block() {
      sha256(block)
    },
    x25519() {
      crypto.x25519(mine.secretKey, theirs)
    },
    verify() {
      if (!crypto.ed25519Verify(signature, block.subarray(0, 64), publicKey)) throw new Error('verify')
    },
    sign() {
      crypto.ed25519Sign(block.subarray(0, 64), secret)
    },
  }
}

/** The same work with no provider: what the transport's provider did before it moved here. */
function raw(): Implementation {
  const mine = nodeCrypto.generateKeyPairSync('x25519')
  const theirs = nodeCrypto.generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x as string
  const signer = nodeCrypto.generateKeyPairSync('ed25519')
  const publicX = signer.publicKey.export({ format: 'jwk' }).x as string
  const signature = nodeCrypto.sign(null, block.subarray(0, 64), signer.privateKey)
  return {
    name: 'raw node:crypto',
    scale: 1,
    sealOpen() {
      const cipher = nodeCrypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
      const ciphertext = cipher.update(message)
      cipher.final()
      const tag = cipher.getAuthTag()
      const decipher = nodeCrypto.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
      decipher.update(ciphertext.subarray(0, 40_000))
      decipher.update(ciphertext.subarray(40_000))
      decipher.setAuthTag(tag)
      decipher.final()
    },
    sha256Block() {
      nodeCrypto.hash('sha256', block, 'buffer')
    },
    x25519() {
      const publicKey = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: theirs }, format: 'jwk' })
      nodeCrypto.diffieHellman({ privateKey: mine.privateKey, publicKey })
    },
    verify() {
      const publicKey = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicX }, format: 'jwk' })
      nodeCrypto.verify(null, block.subarray(0, 64), publicKey, signature)
    },
    sign() {
      nodeCrypto.sign(null, block.subarray(0, 64), signer.privateKey)
    },
  }
}

const found = findNodeCrypto()
if (found === undefined) throw new Error('this bench runs in Node')
const implementations: Implementation[] = [
  fromProvider('node (found)', found),
  fromProvider('node (imported)', createNodeCrypto({ crypto: nodeCrypto, buffer: nodeBuffer })),
  raw(),
  fromProvider('noble', nobleCrypto, 0.1),
]

const cases: Array<{ label: string; run: (i: Implementation) => void; calls: number; bytes: number }> = [
  { label: 'AEAD seal + streamed open 64 KiB', run: (i) => i.sealOpen(), calls: 3000, bytes: message.length },
  { label: 'SHA-256 of a 16 KiB block', run: (i) => i.sha256Block(), calls: 20_000, bytes: block.length },
  { label: 'X25519', run: (i) => i.x25519(), calls: 2000, bytes: 0 },
  { label: 'Ed25519 verify', run: (i) => i.verify(), calls: 2000, bytes: 0 },
  { label: 'Ed25519 sign', run: (i) => i.sign(), calls: 2000, bytes: 0 },
]

/** Seconds per call of each case and implementation, one list per round. */
const samples = new Map<string, number[]>()
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with another implementation, so none is always the first after a case change.
  const order = implementations.map((_, i) => implementations[(i + round) % implementations.length] as Implementation)
  for (const testCase of cases) {
    for (const implementation of order) {
      const calls = Math.max(1, Math.round(testCase.calls * implementation.scale))
      for (let i = 0; i < Math.max(1, Math.round(calls / 10)); i++) testCase.run(implementation)
      const start = process.hrtime.bigint()
      for (let i = 0; i < calls; i++) testCase.run(implementation)
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      const sampleKey = `${testCase.label}\u0000${implementation.name}`
      samples.set(sampleKey, [...(samples.get(sampleKey) ?? []), seconds / calls])
    }
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

console.log(
  `crypto providers, median of ${ROUNDS} rounds taking turns (load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})`,
)
for (const testCase of cases) {
  const reference = median(samples.get(`${testCase.label}\u0000raw node:crypto`) ?? [])
  console.log(testCase.label)
  for (const implementation of implementations) {
    const perCall = median(samples.get(`${testCase.label}\u0000${implementation.name}`) ?? [])
    const rate =
      testCase.bytes > 0
        ? `${(testCase.bytes / MiB / perCall).toFixed(0).padStart(6)} MiB/s`
        : `${(1 / perCall).toFixed(0).padStart(6)} /s   `
    console.log(
      `  ${implementation.name.padEnd(16)} ${rate}  ${(perCall * 1e6).toFixed(1).padStart(8)} us/call  ${(perCall / reference).toFixed(2)} x raw`,
    )
  }
}
