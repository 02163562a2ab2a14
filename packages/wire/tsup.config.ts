import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/assert.ts', 'src/crypto.ts', 'src/hash.ts', 'src/log.ts', 'src/signal.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
