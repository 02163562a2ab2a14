/**
 * Loaded into a `mycel` CLI process of the transfer benchmark with
 * `NODE_OPTIONS=--require <this file>`: writes the process's own figures
 * (CPU of every thread, peak RSS, peak anonymous memory, minor page faults)
 * as JSON to the file named by MYCEL_BENCH_USAGE_FILE when the process
 * exits, and to `<file>.<n>` on SIGUSR2 (a snapshot the benchmark asks for
 * once the CLI is ready, to split its CPU into start-up + hashing and
 * transfer). The CLI itself is not changed.
 */
'use strict'
const { readFileSync, writeFileSync } = require('node:fs')

const file = process.env.MYCEL_BENCH_USAGE_FILE

function statusMiB(name) {
  try {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))
    return match ? Number(match[1]) / 1024 : 0
  } catch {
    return 0
  }
}

let anonymousPeak = statusMiB('RssAnon')
setInterval(() => {
  anonymousPeak = Math.max(anonymousPeak, statusMiB('RssAnon'))
}, 50).unref()

function usage() {
  const { user, system } = process.cpuUsage()
  return {
    cpuSeconds: (user + system) / 1e6,
    systemSeconds: system / 1e6,
    peakRssMiB: statusMiB('VmHWM'),
    peakAnonMiB: Math.max(anonymousPeak, statusMiB('RssAnon')),
    minorPageFaults: process.resourceUsage().minorPageFault,
    gc: { count: 0, majorCount: 0, seconds: 0 },
  }
}

if (file !== undefined) {
  let snapshots = 0
  process.on('SIGUSR2', () => writeFileSync(`${file}.${++snapshots}`, JSON.stringify(usage())))
  process.on('exit', () => writeFileSync(file, JSON.stringify(usage())))
}
