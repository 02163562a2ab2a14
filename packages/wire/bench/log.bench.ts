/**
 * What a log call costs when logging is off: the silent logger (no logger
 * given), and a text logger whose level or component leaves the line out,
 * against an empty function call as the reference. Then what a line that is
 * written costs (formatting into a string, written nowhere). A refusal
 * logged on a path a remote drives must cost next to nothing when off.
 * Run: `npx tsx packages/wire/bench/log.bench.ts`.
 */
import { Bench } from 'tinybench'
import { createTextLogger, silentLogger } from '../src/log.js'

const silent = silentLogger.forComponent('mycel:dht')
const off = createTextLogger({ write: () => {}, components: 'mycel:peer', level: 'info' })
const offLevel = off.forComponent('mycel:peer') // debug is below its level
const offComponent = off.forComponent('mycel:dht') // not one of its components
const on = createTextLogger({ write: () => {} }).forComponent('mycel:dht')

let sink = 0
const reference = (message: string): void => {
  sink += message.length
}
const from = { host: '203.0.113.5', port: 6881 }
const constant = 'dropped a datagram'

const bench = new Bench({ time: 500, warmupTime: 100 })
bench
  .add('an empty function call (reference)', () => reference(constant))
  .add('silent: debug(constant message)', () => silent.debug(constant))
  .add('silent: if (enabled()) debug(template, fields)', () => {
    if (silent.enabled('debug')) silent.debug(`dropped a datagram from ${from.host}:${from.port}`, { from })
  })
  .add('silent: debug(`template`) unguarded (the message is built)', () =>
    silent.debug(`dropped a datagram from ${from.host}:${from.port}`),
  )
  .add('text logger, level off: debug(constant, fields)', () => offLevel.debug(constant, { from }))
  .add('text logger, component off: debug(constant)', () => offComponent.debug(constant))
  .add('text logger, on: one line with a field, formatted', () => on.debug(constant, { from: '203.0.113.5:6881' }))
await bench.run()

console.log(`@mycel/wire/log, cost of one call (Node ${process.version})`)
console.table(
  bench.tasks.map((task) => {
    const hz = task.result.state === 'completed' ? task.result.throughput.mean : Number.NaN
    return { case: task.name, 'ns per call': (1e9 / hz).toFixed(1), 'calls/s': Math.round(hz).toLocaleString('en-US') }
  }),
)
if (sink < 0) console.log(sink)
