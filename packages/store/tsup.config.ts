import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/fs.ts', 'src/sqlite.ts', 'src/browser.ts', 'src/testing.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
