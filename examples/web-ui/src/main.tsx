/**
 * The mycel daemon's web UI (docs/daemon.md, "The web UI"): Preact,
 * bundled by esbuild into one file the daemon serves at `/`.
 * @module
 */
import { render } from 'preact'
import { adoptTokenFromFragment } from './api/token.js'
import { App } from './app.js'

adoptTokenFromFragment(location, history)
render(<App />, document.getElementById('app') as HTMLElement)
