/** Longest component pattern list accepted, in characters. */
const MAX_PATTERNS_LENGTH = 4096

/**
 * Which components a list of patterns selects, as the `DEBUG` variable of
 * the `debug` package reads it: names separated by commas or spaces, `*`
 * matching any run of characters (`mycel:*` is every mycel component), a
 * leading `-` leaving a component out (`mycel:*,-mycel:dht`). A component
 * is selected when some pattern matches it and no `-` pattern does.
 *
 * @param patterns - `'mycel:peer,mycel:dht'`, or the patterns as a list
 * @returns a test of one component's name
 * @throws TypeError when `patterns` is neither a string nor a list of strings
 *
 * @example
 * ```ts
 * const selected = componentFilter(process.env.MYCEL_DEBUG ?? 'mycel:*')
 * selected('mycel:dht') // true
 * ```
 */
export function componentFilter(patterns: string | readonly string[]): (component: string) => boolean {
  const list = typeof patterns === 'string' ? [patterns] : patterns
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw new TypeError('components must be a string or a list of strings')
  }
  const text = list.join(',')
  if (text.length > MAX_PATTERNS_LENGTH) throw new RangeError(`components is over ${MAX_PATTERNS_LENGTH} characters`)
  const include: RegExp[] = []
  const exclude: RegExp[] = []
  for (const raw of text.split(/[\s,]+/)) {
    if (raw === '' || raw === '-') continue
    const excluded = raw.startsWith('-')
    const pattern = excluded ? raw.slice(1) : raw
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')
    ;(excluded ? exclude : include).push(new RegExp(`^${source}$`))
  }
  return (component) =>
    include.some((pattern) => pattern.test(component)) && !exclude.some((pattern) => pattern.test(component))
}
