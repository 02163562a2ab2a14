/**
 * A minimal WebM (Matroska) muxer for one VP8 video track, for the video
 * tests: the frames come from the browser's own encoder (WebCodecs), and the
 * file is written seekable, as a file made for download is: a known
 * `Duration`, and `Cues` (one per keyframe cluster) ahead of the clusters,
 * so that a player seeks with one Range request. No dependency, no binary
 * in the repository. Runs in the page and in Node.
 * @module
 */

/** One encoded frame. */
export interface WebmFrame {
  /** Milliseconds from the start. */
  readonly time: number
  readonly key: boolean
  readonly data: Uint8Array
}

/** What the file holds besides its frames. */
export interface WebmTrack {
  readonly width: number
  readonly height: number
  /** Milliseconds. */
  readonly duration: number
}

type Element = Uint8Array

const encoder = new TextEncoder()

/** An EBML element: its ID (as written), an 8-byte size, and its body. */
function element(id: number, ...body: Uint8Array[]): Element {
  const idBytes: number[] = []
  for (let rest = id; rest > 0; rest = Math.floor(rest / 256)) idBytes.unshift(rest % 256)
  const length = body.reduce((sum, part) => sum + part.length, 0)
  const out = new Uint8Array(idBytes.length + 8 + length)
  out.set(idBytes, 0)
  // An 8-byte size (marker 0x01 then 7 bytes): every element's header has the same size.
  let size = length
  for (let i = 7; i >= 1; i--) {
    out[idBytes.length + i] = size % 256
    size = Math.floor(size / 256)
  }
  out[idBytes.length] = 0x01
  let at = idBytes.length + 8
  for (const part of body) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** An unsigned integer element, `width` bytes wide (big-endian). */
function uint(id: number, value: number, width = 8): Element {
  const bytes = new Uint8Array(width)
  let rest = value
  for (let i = width - 1; i >= 0; i--) {
    bytes[i] = rest % 256
    rest = Math.floor(rest / 256)
  }
  return element(id, bytes)
}

function float(id: number, value: number): Element {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setFloat64(0, value)
  return element(id, bytes)
}

function text(id: number, value: string): Element {
  return element(id, encoder.encode(value))
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** A cluster: the frames from one keyframe to the next, timed from the keyframe. */
function cluster(frames: readonly WebmFrame[]): Element {
  const start = (frames[0] as WebmFrame).time
  const blocks = frames.map((frame) => {
    const header = new Uint8Array(4)
    header[0] = 0x81 // track 1
    new DataView(header.buffer).setInt16(1, Math.round(frame.time - start))
    header[3] = frame.key ? 0x80 : 0x00
    return element(0xa3, header, frame.data)
  })
  return element(0x1f43b675, uint(0xe7, Math.round(start)), ...blocks)
}

/**
 * Writes a seekable WebM file of one VP8 track.
 * @param frames - in presentation order, the first a keyframe; a cluster is
 *   cut at each keyframe (keep them under 30 s apart)
 * @returns the file's bytes
 */
export function muxWebm(track: WebmTrack, frames: readonly WebmFrame[]): Uint8Array {
  const groups: WebmFrame[][] = []
  for (const frame of frames) {
    if (frame.key || groups.length === 0) groups.push([])
    ;(groups.at(-1) as WebmFrame[]).push(frame)
  }
  const clusters = groups.map(cluster)
  const header = element(
    0x1a45dfa3,
    uint(0x4286, 1, 1),
    uint(0x42f7, 1, 1),
    uint(0x42f2, 4, 1),
    uint(0x42f3, 8, 1),
    text(0x4282, 'webm'),
    uint(0x4287, 2, 1),
    uint(0x4285, 2, 1),
  )
  const info = element(
    0x1549a966,
    uint(0x2ad7b1, 1_000_000, 4),
    float(0x4489, track.duration),
    text(0x4d80, 'mycel test'),
    text(0x5741, 'mycel test'),
  )
  const tracks = element(
    0x1654ae6b,
    element(
      0xae,
      uint(0xd7, 1, 1),
      uint(0x73c5, 1, 1),
      uint(0x83, 1, 1),
      text(0x86, 'V_VP8'),
      element(0xe0, uint(0xb0, track.width, 2), uint(0xba, track.height, 2)),
    ),
  )
  // Cue positions are 8 bytes wide, so the cues' size is known before the positions are.
  const cueFor = (time: number, position: number) =>
    element(0xbb, uint(0xb3, Math.round(time)), element(0xb7, uint(0xf7, 1, 1), uint(0xf1, position)))
  const cuesSize = element(0x1c53bb6b, ...groups.map(() => cueFor(0, 0))).length
  let position = info.length + tracks.length + cuesSize // from the start of the segment's body
  const cues = element(
    0x1c53bb6b,
    ...groups.map((group, index) => {
      const cue = cueFor((group[0] as WebmFrame).time, position)
      position += (clusters[index] as Element).length
      return cue
    }),
  )
  return concat([header, element(0x18538067, info, tracks, cues, ...clusters)])
}
