import { createContext } from 'preact'
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks'
import type { NotificationBus } from './api/bus.js'
import type { DaemonClient } from './api/client.js'
import type { DaemonError } from './api/errors.js'
import type { Notification } from './api/types.js'

/** What every view reaches the daemon through. */
export interface Daemon {
  client: DaemonClient
  bus: NotificationBus
}

/** The daemon of the page, given by the app once the token is known. */
export const DaemonContext = createContext<Daemon | undefined>(undefined)

/** @returns the page's daemon; only inside the app (after the token was taken) */
export function useDaemon(): Daemon {
  const daemon = useContext(DaemonContext)
  if (daemon === undefined) throw new Error('useDaemon() outside the app')
  return daemon
}

/**
 * Calls `handler` with each notification of these methods while the view is shown.
 *
 * @param methods - notification methods (`*` for all)
 * @param handler - the latest handler is called (no need to memoize it)
 */
export function useNotifications(methods: readonly string[], handler: (notification: Notification) => void): void {
  const { bus } = useDaemon()
  const latest = useRef(handler)
  latest.current = handler
  const key = methods.join(' ')
  useEffect(() => {
    const offs = key.split(' ').map((method) => bus.on(method, (notification) => latest.current(notification)))
    return () => {
      for (const off of offs) off()
    }
  }, [bus, key])
}

/** What {@link useRpc} gives: the last result, the last error, and a way to call again. */
export interface RpcState<T> {
  value: T | undefined
  error: DaemonError | undefined
  reload: () => void
}

/** Fewest milliseconds between two calls that notifications trigger (bursts come as one). */
const RELOAD_GAP_MS = 250

/**
 * The result of a method, called when the view is shown and again after
 * each notification that `refreshOn` accepts (no polling: a burst of
 * notifications causes one call every 250 ms at most).
 *
 * @param method - the method
 * @param params - its params (compared as JSON)
 * @param refreshOn - notification methods after which to call again, or a test on each notification
 * @returns the state
 */
export function useRpc<T>(
  method: string,
  params: Record<string, unknown>,
  refreshOn: readonly string[] | ((notification: Notification) => boolean),
): RpcState<T> {
  const { client, bus } = useDaemon()
  const [value, setValue] = useState<T | undefined>(undefined)
  const [error, setError] = useState<DaemonError | undefined>(undefined)
  const paramsKey = JSON.stringify(params)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const generation = useRef(0)
  const load = useCallback(() => {
    const mine = ++generation.current
    client.call<T>(method, JSON.parse(paramsKey) as Record<string, unknown>).then(
      (result) => {
        if (mine !== generation.current) return
        setValue(result)
        setError(undefined)
      },
      (failure: DaemonError) => {
        if (mine === generation.current) setError(failure)
      },
    )
  }, [client, method, paramsKey])
  const accepts = useRef(refreshOn)
  accepts.current = refreshOn
  useEffect(() => {
    load()
    const off = bus.on('*', (notification) => {
      const test = accepts.current
      const wanted = typeof test === 'function' ? test(notification) : test.includes(notification.method)
      if (!wanted || timer.current !== undefined) return
      timer.current = setTimeout(() => {
        timer.current = undefined
        load()
      }, RELOAD_GAP_MS)
    })
    return () => {
      off()
      clearTimeout(timer.current)
      timer.current = undefined
    }
  }, [bus, load])
  return { value, error, reload: load }
}
