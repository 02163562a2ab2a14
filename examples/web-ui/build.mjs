// Builds the UI into dist/ with esbuild: one minified ES module (Preact included: no CDN, works offline),
// its HTML and CSS. The daemon serves dist/ at / (docs/daemon.md, "The web UI"). `--watch` rebuilds on change.
import { copyFile, mkdir } from 'node:fs/promises'
import { build, context } from 'esbuild'

const here = new URL('.', import.meta.url)
await mkdir(new URL('dist/', here), { recursive: true })
const options = {
  entryPoints: [new URL('src/main.tsx', here).pathname],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: new URL('dist/app.js', here).pathname,
  logLevel: 'warning',
}
await copyFile(new URL('index.html', here), new URL('dist/index.html', here))
await copyFile(new URL('style.css', here), new URL('dist/style.css', here))
if (process.argv.includes('--watch')) await (await context(options)).watch()
else await build(options)
