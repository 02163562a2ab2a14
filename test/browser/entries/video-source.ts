/**
 * Makes the test video of `video.test.ts` in the page: frames drawn on a
 * canvas (moving noise, so that they do not compress to nothing), encoded
 * to VP8 by the browser's WebCodecs encoder with a keyframe each second,
 * and muxed into a seekable WebM file (`support/webm.ts`). Nothing large is
 * kept in the repository.
 */

import { expose } from '../support/page.js'
import { muxWebm, type WebmFrame } from '../support/webm.js'

const WIDTH = 320
const HEIGHT = 240
const FPS = 25

/** Whether this Chromium plays VP8 WebM, and encodes VP8 with WebCodecs. */
expose('codecs', async () => ({
  plays: document.createElement('video').canPlayType('video/webm; codecs="vp8"'),
  encodes: (await VideoEncoder.isConfigSupported({ codec: 'vp8', width: WIDTH, height: HEIGHT })).supported === true,
}))

/**
 * Encodes `seconds` of video at about `bitrate` bits per second.
 * @returns the WebM file as base64, and its duration (s)
 */
expose('makeVideo', async (seconds: number, bitrate: number) => {
  const frames: WebmFrame[] = []
  let failure: unknown
  const encoder = new VideoEncoder({
    output(chunk) {
      const data = new Uint8Array(chunk.byteLength)
      chunk.copyTo(data)
      frames.push({ time: chunk.timestamp / 1000, key: chunk.type === 'key', data })
    },
    error(error) {
      failure = error
    },
  })
  encoder.configure({ codec: 'vp8', width: WIDTH, height: HEIGHT, bitrate, framerate: FPS })
  const canvas = new OffscreenCanvas(WIDTH, HEIGHT)
  const context = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D
  // A noise tile twice the frame's size, drawn at a moving offset.
  const noise = new ImageData(WIDTH * 2, HEIGHT * 2)
  crypto.getRandomValues(new Uint8Array(noise.data.buffer, 0, 65536))
  for (let at = 0; at < noise.data.length; at += 65536) {
    crypto.getRandomValues(new Uint8Array(noise.data.buffer, at, Math.min(65536, noise.data.length - at)))
  }
  for (let i = 3; i < noise.data.length; i += 4) noise.data[i] = 255
  const tile = await createImageBitmap(noise)
  for (let index = 0; index < seconds * FPS; index++) {
    context.drawImage(tile, -((index * 7) % WIDTH), -((index * 3) % HEIGHT))
    context.fillStyle = 'white'
    context.font = '48px sans-serif'
    context.fillText(`${(index / FPS).toFixed(1)} s`, 20, 60)
    const frame = new VideoFrame(canvas, { timestamp: Math.round((index * 1_000_000) / FPS) })
    encoder.encode(frame, { keyFrame: index % FPS === 0 })
    frame.close()
    // Keeps the encoder's queue short.
    while (encoder.encodeQueueSize > 8)
      await new Promise((resolve) => encoder.addEventListener('dequeue', resolve, { once: true }))
  }
  await encoder.flush()
  encoder.close()
  if (failure !== undefined) throw failure
  const file = muxWebm({ width: WIDTH, height: HEIGHT, duration: seconds * 1000 }, frames)
  let binary = ''
  for (let at = 0; at < file.length; at += 32768) {
    binary += String.fromCharCode(...file.subarray(at, at + 32768))
  }
  return { base64: btoa(binary), seconds }
})
