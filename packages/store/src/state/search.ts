/**
 * The search semantics every state store shares: how text is folded and a
 * query cut into terms. Stores keep the folded text of names and paths and
 * test each term as a substring, so the memory and SQLite stores find
 * exactly the same hits.
 * @internal
 * @module
 */
import { STORE_LIMITS } from '../limits.js'

const LONE_SURROGATE = /\p{Surrogate}/gu

/**
 * Text as it is searched: NFKC-normalised (full-width forms, ligatures),
 * lower-cased, lone surrogates replaced by U+FFFD (as SQLite stores them).
 */
export function foldText(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').normalize('NFKC').toLowerCase()
}

/** The searchable text of a file path inside a share. */
export function pathText(path: readonly string[]): string {
  return path.join('/')
}

/**
 * The folded, distinct terms of a query (split at white space).
 *
 * @throws RangeError for too many terms or a term too long
 */
export function searchTerms(query: string): string[] {
  if (typeof query !== 'string') throw new TypeError('query must be a string')
  const terms = [
    ...new Set(
      foldText(query)
        .split(/\s+/u)
        .filter((term) => term.length > 0),
    ),
  ]
  if (terms.length > STORE_LIMITS.maxSearchTerms) {
    throw new RangeError(`a query has at most ${STORE_LIMITS.maxSearchTerms} terms, got ${terms.length}`)
  }
  for (const term of terms) {
    if (term.length > STORE_LIMITS.maxSearchTermLength) {
      throw new RangeError(`a search term has at most ${STORE_LIMITS.maxSearchTermLength} characters`)
    }
  }
  return terms
}

/** Whether folded text contains every term. */
export function matchesAll(folded: string, terms: readonly string[]): boolean {
  for (const term of terms) if (!folded.includes(term)) return false
  return true
}
