/** How much a log line matters. `debug` lines say why each refused request was refused. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Where the tracker writes what happens; silent unless one is given. */
export type Logger = (level: LogLevel, message: string) => void

/** The logger that writes nothing. */
export const silent: Logger = () => {}
