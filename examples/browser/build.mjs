// Builds the page into dist/ with esbuild (`platform: 'browser'` picks the `browser` export condition: the
// browser's WebSocket);
// `--serve` then serves dist/ on http://127.0.0.1:8000/.
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { build } from 'esbuild'

const here = new URL('.', import.meta.url)
await mkdir(new URL('dist/', here), { recursive: true })
await build({
  entryPoints: [new URL('src/main.ts', here).pathname],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: new URL('dist/main.js', here).pathname,
  logLevel: 'warning',
  // The packages as an npm user gets them (their dist/, through node_modules), not the sources that the
  // repository's tsconfig paths point at.
  tsconfigRaw: {},
})
await copyFile(new URL('index.html', here), new URL('dist/index.html', here))

if (process.argv.includes('--serve')) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' }
  createServer(async (request, response) => {
    const name = request.url === '/' ? 'index.html' : (request.url ?? '').slice(1).replace(/[^a-z0-9._-]/gi, '')
    try {
      const body = await readFile(new URL(`dist/${name}`, here))
      response.writeHead(200, {
        'content-type': types[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
      })
      response.end(body)
    } catch {
      response.writeHead(404).end()
    }
  }).listen(8000, '127.0.0.1', () => console.log('http://127.0.0.1:8000/'))
}
