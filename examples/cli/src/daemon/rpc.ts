import type { CliError } from '../errors.js'
import type { Params } from './params.js'
import { DAEMON_LIMITS, RPC_ERRORS, type RpcError, type RpcRequest, type RpcResponse } from './protocol.js'

/** One method: takes its params object, returns its result (or throws a `CliError`). */
export type RpcMethod = (params: Params) => Promise<unknown>

/** Turns any thrown value into a `CliError` with a stable code. */
export type ErrorExplainer = (error: unknown) => CliError

type Id = string | number | null

function failure(id: Id, code: number, message: string, data?: RpcError['data']): RpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }
}

function idOf(value: unknown): Id {
  const id = (value as { id?: unknown } | null)?.id
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null
}

function isRequest(value: unknown): value is RpcRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const { jsonrpc, method, params, id } = value as Record<string, unknown>
  return (
    jsonrpc === '2.0' &&
    typeof method === 'string' &&
    (params === undefined || (typeof params === 'object' && params !== null && !Array.isArray(params))) &&
    (id === undefined || id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))
  )
}

/**
 * JSON-RPC 2.0 over any transport (an HTTP body, a WebSocket message):
 * parses a request or a batch, calls the methods, and answers. Params are by
 * name (an object). A method's failure is error code -32000 with the stable
 * code of the `CliError` in `error.data.code` and what to do in
 * `error.data.hint`; a `USAGE` failure is -32602 (invalid params).
 */
export class RpcDispatcher {
  /**
   * @param methods - the methods by name
   * @param explainError - how a failure gets its stable code
   */
  constructor(
    private readonly methods: Readonly<Record<string, RpcMethod>>,
    private readonly explainError: ErrorExplainer,
  ) {}

  /** The method names. */
  get names(): string[] {
    return Object.keys(this.methods)
  }

  /**
   * Answers a message.
   *
   * @param text - the JSON text of a request or a batch
   * @returns the response (or the batch's), or undefined when there is none to send (notifications only)
   */
  async handle(text: string): Promise<RpcResponse | RpcResponse[] | undefined> {
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      return failure(null, RPC_ERRORS.parseError, 'the request is not JSON')
    }
    if (!Array.isArray(message)) return this.answer(message)
    if (message.length === 0) return failure(null, RPC_ERRORS.invalidRequest, 'an empty batch')
    if (message.length > DAEMON_LIMITS.maxBatch) {
      return failure(null, RPC_ERRORS.invalidRequest, `a batch of more than ${DAEMON_LIMITS.maxBatch} requests`)
    }
    const responses: RpcResponse[] = []
    for (const request of message) {
      const response = await this.answer(request)
      if (response !== undefined) responses.push(response)
    }
    return responses.length === 0 ? undefined : responses
  }

  private async answer(request: unknown): Promise<RpcResponse | undefined> {
    if (!isRequest(request)) {
      return failure(
        idOf(request),
        RPC_ERRORS.invalidRequest,
        'a request is {"jsonrpc":"2.0","method":...,"params":{...},"id":...}',
      )
    }
    const notification = request.id === undefined
    const id = request.id ?? null
    const method = Object.hasOwn(this.methods, request.method) ? this.methods[request.method] : undefined
    if (method === undefined) {
      return notification ? undefined : failure(id, RPC_ERRORS.methodNotFound, `no method ${request.method}`)
    }
    try {
      const result = await method(request.params ?? {})
      return notification ? undefined : { jsonrpc: '2.0', id, result: result ?? null }
    } catch (error) {
      if (notification) return undefined
      const explained = this.explainError(error)
      const code = explained.code === 'USAGE' ? RPC_ERRORS.invalidParams : RPC_ERRORS.methodFailed
      return failure(id, code, explained.message, { code: explained.code, hint: explained.hint })
    }
  }
}
