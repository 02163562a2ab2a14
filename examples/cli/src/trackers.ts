import { parseTrackerUrl } from '@mycel/wire'
import { CliError } from './errors.js'

/**
 * Collects a repeatable option (`--tracker a --tracker b`), for commander.
 *
 * @param value - this occurrence
 * @param previous - the ones before
 * @returns all of them, in order
 */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/**
 * Checks the `--tracker` URLs: each one is a tier of its own (asked in the
 * order given, the next only when the one before does not answer, BEP 12).
 *
 * @param values - the option's values
 * @returns the URLs as given
 * @throws {@link CliError} `USAGE` for a URL that is not an `http://`, `https://` or `udp://` tracker
 */
export function trackerOptions(values: readonly string[] | undefined): string[] {
  return (values ?? []).map((value) => {
    try {
      parseTrackerUrl(value)
      return value
    } catch (error) {
      throw CliError.usage(
        `--tracker ${JSON.stringify(value.slice(0, 100))} is not a tracker URL: ${error instanceof Error ? error.message.replace(/^.*is not a tracker URL: /, '') : String(error)}`,
        'give http://host/announce, https://host/announce or udp://host:port',
      )
    }
  })
}
