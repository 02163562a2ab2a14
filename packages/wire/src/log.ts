/**
 * Logging by component, for every mycel package: a {@link Logger} hands
 * out one {@link ComponentLogger} per component (`mycel:dht`,
 * `mycel:transport`, `mycel:store`, `mycel:peer`, `mycel:swarm`,
 * `mycel:discovery`, `mycel:node`). Every package takes an optional
 * `logger` and is silent without one ({@link silentLogger}); every dropped
 * connection and refused input is logged with its reason, at `debug`.
 * {@link createTextLogger} writes lines of text, with a choice of
 * components and a least level; any other logging library fits behind the
 * one-method interface. Runs in every JavaScript runtime.
 *
 * @example
 * ```ts
 * import { createTextLogger } from '@mycel/wire/log'
 *
 * const logger = createTextLogger({
 *   write: (line) => process.stderr.write(`${line}\n`),
 *   components: 'mycel:peer,mycel:swarm',
 *   level: 'debug',
 * })
 * const node = await createNode({ logger })
 * ```
 *
 * @packageDocumentation
 */
export { componentFilter } from './log/components.js'
export {
  type ComponentLogger,
  componentLogger,
  describeError,
  LOG_LEVELS,
  type LogFields,
  type Logger,
  type LogLevel,
  silentLogger,
} from './log/logger.js'
export { createTextLogger, type TextLoggerOptions } from './log/text-logger.js'
