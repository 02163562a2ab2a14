// Builds the page into dist/ with esbuild (`platform: 'browser'` picks the `browser` export condition: the
// browser's WebSocket);
// `--serve` then serves dist/ on http://127.0.0.1:8000/ (index.html: download and save; video.html: play a video).
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { build } from 'esbuild'

const here = new URL('.', import.meta.url)
await mkdir(new URL('dist/', here), { recursive: true })
const common = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outdir: new URL('dist/', here).pathname,
  logLevel: 'warning',
  // The packages as an npm user gets them (their dist/, through node_modules), not the sources that the
  // repository's tsconfig paths point at.
  tsconfigRaw: {},
}
// The pages: the download page (main) and the video player (video).
await build({
  ...common,
  entryPoints: ['main', 'video'].map((name) => new URL(`src/${name}.ts`, here).pathname),
  format: 'esm',
})
// The video page's Service Worker: a classic script of its own (module workers are not everywhere), served
// from the pages' folder so that its scope covers them.
await build({ ...common, entryPoints: [new URL('src/stream-sw.ts', here).pathname], format: 'iife' })
for (const page of ['index.html', 'video.html']) await copyFile(new URL(page, here), new URL(`dist/${page}`, here))

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
