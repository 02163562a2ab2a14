import { defineConfig } from 'tsup'

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/node.ts',
    'src/tcp.ts',
    'src/ws.ts',
    'src/ws-browser.ts',
    'src/socks.ts',
    'src/webrtc.ts',
    'src/webrtc-browser.ts',
    'src/testing.ts',
  ],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
