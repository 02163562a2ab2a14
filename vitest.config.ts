import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))

/**
 * Every `@mycel/<pkg>` import resolves to `packages/<pkg>/src/index.ts` and
 * every `@mycel/<pkg>/<entry>` to `packages/<pkg>/src/<entry>.ts`, the same
 * rule as the `paths` of tsconfig.base.json, so tests run without a build.
 */
const alias = [
  { find: /^@mycel\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
  { find: /^@mycel\/([a-z-]+)\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/$2.ts` },
]

const workspaceDirs = ['packages', 'examples'].flatMap((group) =>
  readdirSync(`${root}${group}`, { withFileTypes: true })
    // Workspaces with tests (examples/browser has none of its own: test/browser opens it in Chromium).
    .filter((entry) => entry.isDirectory() && existsSync(`${root}${group}/${entry.name}/test`))
    .map((entry) => `${group}/${entry.name}`),
)

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      ...workspaceDirs.map((dir) => ({
        extends: true as const,
        test: {
          name: dir.split('/')[1],
          root: `${root}${dir}`,
          include: ['test/**/*.test.ts'],
        },
      })),
      {
        extends: true as const,
        test: { name: 'repo', root, include: ['test/**/*.test.ts'], exclude: ['test/browser/**'] },
      },
      // Tests in headless Chromium (playwright-core and Debian's chromium-headless-shell), one browser per file.
      {
        extends: true as const,
        test: { name: 'chromium', root, include: ['test/browser/**/*.test.ts'] },
      },
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    passWithNoTests: false,
  },
})
