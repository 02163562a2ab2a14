/** A client of the tracker's JSON API for tests (fetch over 127.0.0.1). */

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

/** Calls the API. */
export async function api(
  base: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: Uint8Array; type?: string } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`
  let body: string | Buffer | undefined
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(options.json)
  } else if (options.body !== undefined) {
    headers['Content-Type'] = options.type ?? 'application/x-bittorrent'
    body = Buffer.from(options.body)
  }
  const response = await fetch(`${base}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) })
  const bytes = new Uint8Array(await response.arrayBuffer())
  const text = Buffer.from(bytes).toString('utf8')
  let json: JsonObject = {}
  if ((response.headers.get('content-type') ?? '').startsWith('application/json') && text !== '')
    json = JSON.parse(text)
  return { status: response.status, json, bytes, text }
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
