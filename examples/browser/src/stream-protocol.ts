/**
 * What the page and its Service Worker (`stream-sw.ts`) say to each other
 * when a `<video src>` (or any fetch) under `stream/` is answered from the
 * page's mycel node: the worker asks the page over a `MessageChannel`, the
 * page answers with the status and headers, then with the body's chunks as
 * the worker pulls them (one chunk per pull: the player's reading paces the
 * download's read window).
 * @module
 */

/** The folder (under the worker's scope) whose URLs are files of shares: `stream/<infohash>/<path>`. */
export const STREAM_FOLDER = 'stream/'

/** The worker asks the page for a file (posted to the page with the channel's port). */
export interface StreamRequest {
  readonly type: 'mycel-stream'
  readonly infohash: string
  /** The file's path in the share, components joined with `/` (decoded). */
  readonly path: string
  /** The request's `Range` header, if any. */
  readonly range: string | null
}

/** The page's first answer on the port. */
export type StreamHead =
  | {
      readonly type: 'head'
      readonly status: 200 | 206
      readonly size: number
      /** First and last byte (inclusive) of the body. */
      readonly start: number
      readonly end: number
      readonly contentType: string
    }
  | { readonly type: 'fail'; readonly status: 404 | 416 | 500; readonly message: string; readonly size?: number }

/** The worker, for each chunk of the body; `cancel` when the player drops the response. */
export type StreamPull = { readonly type: 'pull' } | { readonly type: 'cancel' }

/** The page, for each pull. */
export type StreamChunk =
  | { readonly type: 'chunk'; readonly bytes: Uint8Array }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly message: string }

/**
 * The byte range a `Range` header asks of a file of `size` bytes: one range
 * (`bytes=S-`, `bytes=S-E`, `bytes=-N`), `undefined` for the whole file (no
 * header, or one this does not read: several ranges, another unit), or
 * `'unsatisfiable'` (416) when it starts past the end.
 */
export function parseRange(
  header: string | null,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header === null ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (match === null) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  if (start >= size) return 'unsatisfiable'
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (end < start) return undefined
  return { start, end }
}

const TYPES: Record<string, string> = {
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  ogv: 'video/ogg',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  flac: 'audio/flac',
  wav: 'audio/wav',
}

/** The `Content-Type` of a file by its name's extension (`application/octet-stream` when unknown). */
export function contentTypeOf(path: string): string {
  const dot = path.lastIndexOf('.')
  return (dot < 0 ? undefined : TYPES[path.slice(dot + 1).toLowerCase()]) ?? 'application/octet-stream'
}

/** Whether a file's name says it is audio or video (what a player can be given). */
export function isMedia(path: string): boolean {
  return /^(video|audio)\//.test(contentTypeOf(path))
}
