import { cp } from 'node:fs/promises'
import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/bin.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // src/bin.ts starts with its own `#!/usr/bin/env node` line; tsup keeps it and marks the file executable.
  // Every JavaScript dependency is bundled into bin.js: Node then loads one file instead of resolving and
  // reading some hundred modules, which took about 150 ms of CPU on every command (docs/decisions.md,
  // "Performance against the native engine"). better-sqlite3 stays outside: it loads a native addon.
  noExternal: [/^(?!better-sqlite3$)/],
  // Bundled CommonJS dependencies (commander, ws, cli-progress) call require(); an ES module has none.
  // The daemon's web UI (examples/web-ui, built first: a dev dependency) goes beside bin.js, where the daemon
  // looks for it first (docs/daemon.md, "The web UI").
  async onSuccess() {
    await cp(new URL('../web-ui/dist/', import.meta.url), new URL('dist/web-ui/', import.meta.url), {
      recursive: true,
      filter: (source) => !source.endsWith('.map'),
    })
  },
  banner: {
    js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);",
  },
})
