import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/bin.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // src/bin.ts starts with its own `#!/usr/bin/env node` line; tsup keeps it and marks the file executable.
})
