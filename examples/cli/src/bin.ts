#!/usr/bin/env node
import { main } from './program.js'

/** After the command ends, wait this long for open handles to close before exiting anyway. */
const EXIT_GRACE_MS = 2000

const debug = process.argv.includes('--debug')

/** A failure no command caught (a bug): one line, the terminal's cursor back, status 1. */
function crash(error: unknown): void {
  if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h\n')
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`mycel: internal error: ${message} (run again with --debug for details)\n`)
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
  process.exit(1)
}

process.on('uncaughtException', crash)
process.on('unhandledRejection', crash)
// `mycel ls | head -1`: the reader went away; nothing more to say
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  crash(error)
})

const code = await main(process.argv)
process.exitCode = code
// A command closes everything it opened, so the process ends now; if some
// handle lingers (a bug), exit after a grace period rather than hang.
setTimeout(() => {
  if (debug) process.stderr.write(`mycel: still open at exit: ${process.getActiveResourcesInfo().join(', ')}\n`)
  process.exit(code)
}, EXIT_GRACE_MS).unref()
