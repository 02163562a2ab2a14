import { copyFile, cp, mkdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
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
  // The native ChaCha20's source and build script go to dist/native/, where the package's install script
  // builds chacha20.node and the bundled @mycel/wire looks for it first (docs/decisions.md, "A native
  // ChaCha20").
  async onSuccess() {
    await cp(new URL('../web-ui/dist/', import.meta.url), new URL('dist/web-ui/', import.meta.url), {
      recursive: true,
      filter: (source) => !source.endsWith('.map'),
    })
    const wire = dirname(createRequire(import.meta.url).resolve('@mycel/wire/package.json'))
    await mkdir(new URL('dist/native/', import.meta.url), { recursive: true })
    for (const file of ['build.mjs', 'chacha20.c']) {
      await copyFile(join(wire, 'native', file), new URL(`dist/native/${file}`, import.meta.url))
    }
  },
  banner: {
    js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);",
  },
})
