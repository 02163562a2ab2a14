/**
 * What the state store compliance tests share: the harness types, a context
 * that tracks and closes the stores of each test, and error helpers.
 * @module
 */
import { StoreError } from '../errors.js'
import type { StateStore } from '../state-store.js'
import type { TestRunner } from './runner.js'

/** What {@link StateStoreHarness.create} is asked for. */
export interface StateStoreSetup {
  /** The clock the store must use. */
  now: () => number
  /** The store's bound on peer records, when the test needs a small one. */
  maxPeers?: number
}

/** How {@link stateStoreCompliance} makes the stores it tests. */
export interface StateStoreHarness {
  /** A new, empty store. */
  create(setup: StateStoreSetup): Promise<StateStore>
  /**
   * Closes `store` and opens the same storage again (stores that persist);
   * omit it for stores that do not.
   */
  reopen?(store: StateStore, setup: StateStoreSetup): Promise<StateStore>
  /** Called after each test, after every store made in it was closed. */
  cleanup?(): Promise<void>
}

/** Runs a test body with stores from the harness, closing them afterwards. @internal */
export interface StateContext {
  /** A new store on the shared clock. */
  create(maxPeers?: number): Promise<StateStore>
  /** The harness's reopen, tracking the new store. */
  reopen: ((store: StateStore) => Promise<StateStore>) | undefined
  /** The clock the stores use. */
  clock: { time: number }
}

/** @internal */
export async function rejectionCode(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (err) {
    return err instanceof StoreError ? err.code : `${(err as Error).name}`
  }
  return 'resolved'
}

/** @internal */
export function useStateContext(afterEach: TestRunner['afterEach'], harness: StateStoreHarness): StateContext {
  const opened: StateStore[] = []
  const clock = { time: 1_700_000_000_000 }
  const now = () => clock.time
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((store) => store.close()))
    await harness.cleanup?.()
  })
  const reopen = harness.reopen
  return {
    clock,
    create: async (maxPeers) => {
      const store = await harness.create(maxPeers === undefined ? { now } : { now, maxPeers })
      opened.push(store)
      return store
    },
    reopen:
      reopen &&
      (async (store) => {
        const again = await reopen(store, { now })
        opened.push(again)
        return again
      }),
  }
}
