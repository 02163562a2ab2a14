/**
 * A client of the tracker's JSON API for tests (fetch over 127.0.0.1):
 * `@mycel/node`'s `requestTrackerApi`, the client the node and the CLI use,
 * with the answer's text beside it.
 */
import { requestTrackerApi } from '@mycel/node'

/** A JSON answer, read field by field by the tests (their expectations check the shapes). */
// biome-ignore lint/suspicious/noExplicitAny: test answers are arbitrary JSON, checked by the assertions
type JsonObject = Record<string, any>

/** One answer: status, JSON (or raw bytes) and the raw text. */
export interface ApiAnswer {
  readonly status: number
  readonly json: JsonObject
  readonly bytes: Uint8Array
  readonly text: string
}

/** Calls the API; every status is answered. */
export async function api(
  base: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: Uint8Array; type?: string } = {},
): Promise<ApiAnswer> {
  const answer = await requestTrackerApi(base, method, path, options, { maxBytes: 64 * 1024 * 1024 })
  return { ...answer, json: answer.json as JsonObject, text: Buffer.from(answer.bytes).toString('utf8') }
}

/** Registers an account and returns its token and passkey. */
export async function registered(
  base: string,
  name: string,
  password = 'correct horse battery',
): Promise<{ token: string; passkey: string; announce: string }> {
  const answer = await api(base, 'POST', '/accounts', { json: { name, password } })
  if (answer.status !== 201) throw new Error(`register ${name}: ${answer.status} ${answer.text}`)
  const me = await api(base, 'GET', '/me', { token: answer.json.token })
  return { token: answer.json.token, passkey: me.json.passkey, announce: me.json.announce }
}
