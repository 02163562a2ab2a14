/**
 * The package's `install` script: builds the native ChaCha20 of
 * `@mycel/wire` beside the bundled command (`dist/native/chacha20.node`),
 * where the command finds it. Without a C compiler nothing is built and the
 * command uses `node:crypto` (the same bytes, slower). In the repository,
 * before the first build, there is nothing to build yet.
 */
import { existsSync } from 'node:fs'

const build = new URL('../dist/native/build.mjs', import.meta.url)
if (existsSync(build)) await import(build.href)
