import type { Notification } from './types.js'

type Handler = (notification: Notification) => void

/** Hands the daemon's notifications to the views that listen for them, by method (`*`: every one). */
export class NotificationBus {
  private readonly handlers = new Map<string, Set<Handler>>()

  /**
   * @param method - a notification method (`progress`, `share.added`, ...) or `*`
   * @param handler - called with each such notification
   * @returns a function that stops the calls
   */
  on(method: string, handler: Handler): () => void {
    let set = this.handlers.get(method)
    if (set === undefined) {
      set = new Set()
      this.handlers.set(method, set)
    }
    set.add(handler)
    return () => set.delete(handler)
  }

  /** @param notification - hands it to its method's handlers and to those of `*` */
  emit(notification: Notification): void {
    for (const handler of this.handlers.get(notification.method) ?? []) handler(notification)
    for (const handler of this.handlers.get('*') ?? []) handler(notification)
  }
}
