#!/usr/bin/env node
import { main } from './program.js'

/** A failure nothing caught (a bug): one line, status 1. */
function crash(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  process.stderr.write(`mycel-tracker: internal error: ${message}\n`)
  process.exit(1)
}

process.on('uncaughtException', crash)
process.on('unhandledRejection', crash)

const code = await main(process.argv)
process.exitCode = code
// Everything opened is closed by now; if a handle lingers (a bug), exit anyway.
setTimeout(() => process.exit(code), 2000).unref()
