import { defineConfig } from 'tsup'

export default defineConfig({
  // src/tracker.ts (createTracker) is built beside the command for the benchmark, which runs it in a
  // process of its own; the package exports no library entry.
  entry: ['src/bin.ts', 'src/tracker.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // src/bin.ts starts with its own `#!/usr/bin/env node` line; tsup keeps it and marks the file executable.
})
