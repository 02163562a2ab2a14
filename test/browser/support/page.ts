/**
 * The page side of the Chromium tests: what a bundled test entry uses to
 * hand functions to the Node side ({@link expose}) and to run a compliance
 * suite in the page ({@link pageRunner}). Node calls them through
 * `openPage(...).call(name, ...args)` (see `chromium.ts`); arguments and
 * results cross as structured clones, errors as their message and stack.
 * @module
 */
import { type Assertion, chai, JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect'

/** A function the Node side may call in the page. */
type PageFunction = (...args: never[]) => unknown

interface RegisteredTest {
  name: string
  body: () => Promise<void> | void
  /** afterEach hooks of the enclosing describes, innermost first. */
  hooks: Array<() => Promise<void> | void>
  timeout: number | undefined
}

interface PageApi {
  call(name: string, args: unknown[]): Promise<unknown>
}

const functions = new Map<string, PageFunction>()
const tests = new Map<string, RegisteredTest>()

chai.use(JestExtend)
chai.use(JestChaiExpect)
chai.use(JestAsymmetricMatchers)

/**
 * Makes `fn` callable from the Node side as `page.call(name, ...args)`.
 *
 * @param name - the name Node calls it by
 * @param fn - runs in the page; its result must be structured-cloneable
 */
export function expose(name: string, fn: PageFunction): void {
  if (functions.has(name)) throw new Error(`${name} is exposed twice`)
  functions.set(name, fn)
}

/**
 * A test runner in the page for the compliance suites of `@mycel/store/testing`
 * (their `TestRunner`): `describe` and `afterEach` nest as in vitest, `it`
 * registers a test that the Node side lists and runs one by one, and
 * `expect` is vitest's own (`@vitest/expect` on chai), so the suites assert
 * exactly as they do in Node.
 */
export function pageRunner() {
  const scopes: Array<{ name: string; hooks: Array<() => Promise<void> | void> }> = [{ name: '', hooks: [] }]
  return {
    describe(name: string, body: () => void): void {
      scopes.push({ name, hooks: [] })
      try {
        body()
      } finally {
        scopes.pop()
      }
    },
    it(name: string, body: () => Promise<void> | void, timeout?: number): void {
      const full = [...scopes.map((scope) => scope.name).filter((part) => part !== ''), name].join(' > ')
      if (tests.has(full)) throw new Error(`two tests are named ${full}`)
      // The hooks arrays are live: a hook declared after the `it` in the same describe still runs.
      const hooks = scopes.map((scope) => scope.hooks)
      tests.set(full, {
        name: full,
        body,
        get hooks() {
          return hooks.slice().reverse().flat()
        },
        timeout,
      })
    },
    afterEach(hook: () => Promise<void> | void): void {
      ;(scopes.at(-1) as { hooks: Array<() => Promise<void> | void> }).hooks.push(hook)
    },
    expect: (actual: unknown, message?: string): Assertion => chai.expect(actual, message) as unknown as Assertion,
  }
}

/** Runs one registered test and its afterEach hooks (always, as vitest does); the first error is thrown. */
async function runTest(name: string): Promise<void> {
  const test = tests.get(name)
  if (test === undefined) throw new Error(`no test named ${name}`)
  let failure: unknown
  try {
    await test.body()
  } catch (error) {
    failure = error
  }
  for (const hook of test.hooks) {
    try {
      await hook()
    } catch (error) {
      failure ??= error
    }
  }
  if (failure !== undefined) throw failure
}

expose('__listTests', () => [...tests.values()].map((test) => ({ name: test.name, timeout: test.timeout })))
expose('__runTest', (name: never) => runTest(name))

const api: PageApi = {
  async call(name, args) {
    const fn = functions.get(name)
    if (fn === undefined) throw new Error(`nothing is exposed as ${name} in the page`)
    return fn(...(args as never[]))
  },
}
;(globalThis as { __mycelPage?: PageApi }).__mycelPage = api
