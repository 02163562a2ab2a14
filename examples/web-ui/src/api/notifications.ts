import type { Notification } from './types.js'

/** Whether the page hears the daemon now. */
export type LinkState = 'connecting' | 'open' | 'closed'

/** Longest wait between two attempts to reconnect. */
const MAX_RETRY_MS = 10_000

/**
 * The daemon's notifications over its WebSocket, reconnecting (1 s, then
 * doubling up to 10 s) when the socket closes, until {@link close}.
 */
export class NotificationLink {
  private socket: WebSocket | undefined
  private retryMs = 1000
  private timer: ReturnType<typeof setTimeout> | undefined
  private closed = false

  /**
   * Connects at once.
   *
   * @param url - `ws://host:port/ws?token=...`
   * @param onNotification - called with every notification
   * @param onState - called when the link opens, or closes (and retries)
   */
  constructor(
    private readonly url: string,
    private readonly onNotification: (notification: Notification) => void,
    private readonly onState: (state: LinkState) => void,
  ) {
    this.connect()
  }

  private connect(): void {
    this.onState('connecting')
    const socket = new WebSocket(this.url)
    this.socket = socket
    socket.onopen = () => {
      this.retryMs = 1000
      this.onState('open')
    }
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return
      const message = JSON.parse(event.data) as { method?: unknown; params?: unknown }
      if (typeof message.method !== 'string') return
      this.onNotification({ method: message.method, params: (message.params ?? {}) as Record<string, unknown> })
    }
    socket.onclose = () => {
      this.onState('closed')
      if (this.closed) return
      this.timer = setTimeout(() => this.connect(), this.retryMs)
      this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2)
    }
  }

  /** Closes the socket and stops reconnecting. Idempotent. */
  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.socket?.close()
  }
}
