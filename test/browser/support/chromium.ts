/**
 * The Node side of the Chromium tests: Debian's headless Chromium driven by
 * `playwright-core` (through `executablePath`, no downloaded browser), a
 * test entry bundled with esbuild for the browser (the `browser` export
 * condition, `@mycel/*` from sources), served from 127.0.0.1 (a secure
 * context: OPFS and workers are there). `browser-tests.ts` turns the tests
 * an entry registers in the page into vitest tests. Nothing here imports
 * vitest, so benchmarks use it too.
 *
 * One browser per test file: `launchChromium()` once, in the file's scope.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

const root = fileURLToPath(new URL('../../..', import.meta.url))

/** Where Chromium is looked for when `MYCEL_CHROMIUM` does not say. */
const CHROMIUM_PATHS = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium']

/**
 * The headless Chromium the tests drive: `MYCEL_CHROMIUM`, else Debian's
 * `chromium-headless-shell` (installed by `scripts/system-deps.sh`), else
 * Debian's `chromium`.
 * @throws Error naming what to install when there is none: the tests never skip
 */
export function chromiumPath(): string {
  const given = process.env.MYCEL_CHROMIUM
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`MYCEL_CHROMIUM is ${given}, which does not exist`)
    return given
  }
  const found = CHROMIUM_PATHS.find((path) => existsSync(path))
  if (found === undefined) {
    throw new Error(
      `no headless Chromium at ${CHROMIUM_PATHS.join(' or ')}: run scripts/system-deps.sh as root ` +
        '(apt-get install chromium-headless-shell), or set MYCEL_CHROMIUM to a Chromium binary',
    )
  }
  return found
}

/** Launches the headless Chromium; close it with the test file (`afterAll`). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true })
}

/**
 * Resolves `@mycel/<pkg>[/<entry>]` to the package's sources as the
 * published `exports` map would for a browser: where an entry has a
 * `browser` condition (`@mycel/transport/ws`), the source of that file.
 */
const mycelSources: Plugin = {
  name: 'mycel-browser-sources',
  setup(builder) {
    builder.onResolve({ filter: /^@mycel\/[a-z-]+(\/[a-z0-9-]+)?$/ }, (args) => {
      const [, pkg, entry] = /^@mycel\/([a-z-]+)(?:\/([a-z0-9-]+))?$/.exec(args.path) as RegExpExecArray
      const manifest = JSON.parse(readFileSync(`${root}packages/${pkg}/package.json`, 'utf8')) as {
        exports: Record<string, { browser?: string; import?: string }>
      }
      const target = manifest.exports[entry === undefined ? '.' : `./${entry}`]
      const file = target?.browser ?? target?.import
      if (file === undefined) return { errors: [{ text: `${args.path} is not an export of @mycel/${pkg}` }] }
      const source = file.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')
      return { path: `${root}packages/${pkg}/${source}` }
    })
  },
}

/**
 * Bundles a page entry for the browser (ES modules, one file). The entry's
 * imports, top-level awaits included, have all run when the page says it is
 * ready.
 * @param entry - a path from the repository root, such as `test/browser/entries/stores.ts`
 * @returns the JavaScript
 */
export async function bundleEntry(entry: string): Promise<string> {
  const result = await build({
    stdin: {
      // The entry's namespace is used, so that a bundler never drops it as free of side effects (an entry
      // under a package whose package.json says `"sideEffects": false`).
      contents: `import * as entry from ${JSON.stringify(`${root}${entry}`)}\nglobalThis.__mycelEntry = entry\nglobalThis.__mycelReady = true\n`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['browser'],
    write: false,
    logLevel: 'silent',
    sourcemap: 'inline',
    plugins: [mycelSources],
  })
  return (result.outputFiles[0] as { text: string }).text
}

/** A page running a bundled entry. */
export interface TestPage {
  readonly page: Page
  /** Where the page is served (`http://127.0.0.1:<port>/`). */
  readonly url: string
  /**
   * Calls a function the entry exposed (`expose(name, fn)` of `page.ts`).
   * @throws the error the function threw in the page (message and stack)
   */
  call<T = unknown>(name: string, ...args: unknown[]): Promise<T>
  /** Closes the page, its context and its server. */
  close(): Promise<void>
}

/** What a test page is made of besides its entry. */
export interface PageOptions {
  /** The page's HTML; default a shell that loads the bundle. */
  html?: string
  /** The name the HTML loads the bundle by; default `entry.js`. */
  scriptName?: string
  /** More scripts served beside the page (a Service Worker), by name: `{ 'stream-sw.js': code }`. */
  scripts?: Record<string, string>
}

/** Serves the page (an HTML shell) and the bundle from 127.0.0.1. */
async function serve(script: string, options: PageOptions): Promise<Server> {
  const scriptName = options.scriptName ?? 'entry.js'
  const html =
    options.html ??
    `<!doctype html><meta charset="utf-8"><title>mycel test</title><script type="module" src="/${scriptName}"></script>`
  const server = createServer((request, response) => {
    if (request.url === `/${scriptName}`) {
      response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
      response.end(script)
    } else if (options.scripts !== undefined && Object.hasOwn(options.scripts, (request.url ?? '').slice(1))) {
      response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' })
      response.end(options.scripts[(request.url ?? '').slice(1)])
    } else if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end(html)
    } else {
      response.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  return server
}

/**
 * Opens a page running `entry` in its own browser context (its own storage).
 * @param browser - from {@link launchChromium}
 * @param entry - a path from the repository root
 * @param options - the page's own HTML, and the name it loads the bundle by
 * @throws Error with the page's errors when the entry fails to load
 */
export async function openPage(browser: Browser, entry: string, options: PageOptions = {}): Promise<TestPage> {
  const server = await serve(await bundleEntry(entry), options)
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  let context: BrowserContext | undefined
  try {
    context = await browser.newContext()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.stack ?? error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
      if (process.env.MYCEL_BROWSER_CONSOLE !== undefined) console.log(`[page] ${message.text()}`)
    })
    await page.goto(url)
    await page
      .waitForFunction(() => (globalThis as { __mycelReady?: boolean }).__mycelReady === true, undefined, {
        timeout: 15_000,
      })
      .catch((error: Error) => {
        throw new Error(`${entry} did not load in Chromium: ${errors.join('\n') || error.message}`)
      })
    const opened = context
    return {
      page,
      url,
      call: <T>(name: string, ...args: unknown[]) =>
        page.evaluate(
          ([fn, list]) =>
            (
              globalThis as unknown as { __mycelPage: { call(n: string, a: unknown[]): Promise<unknown> } }
            ).__mycelPage.call(fn, list),
          [name, args] as const,
        ) as Promise<T>,
      close: async () => {
        await opened.close()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      },
    }
  } catch (error) {
    await context?.close()
    server.close()
    throw error
  }
}
