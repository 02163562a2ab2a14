import { useEffect, useRef } from 'preact/hooks'
import { formatRate } from '../format.js'

/** One sample of the node's rates. */
export interface SpeedSample {
  uploadRate: number
  downloadRate: number
}

const WIDTH = 600
const HEIGHT = 120

/**
 * Upload and download rates over the last minutes, drawn on a canvas
 * (download green, upload blue), scaled to the highest rate shown.
 */
export function SpeedGraph(props: { samples: readonly SpeedSample[]; capacity: number }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const top = Math.max(1024, ...props.samples.map((sample) => Math.max(sample.uploadRate, sample.downloadRate)))
  useEffect(() => {
    const context = canvas.current?.getContext('2d')
    if (context === undefined || context === null) return
    context.clearRect(0, 0, WIDTH, HEIGHT)
    const step = WIDTH / Math.max(1, props.capacity - 1)
    const offset = props.capacity - props.samples.length
    const y = (rate: number) => HEIGHT - 2 - (rate / top) * (HEIGHT - 4)
    const line = (pick: (sample: SpeedSample) => number, color: string, fill: string) => {
      const points = props.samples.map((sample, index) => [(offset + index) * step, y(pick(sample))] as const)
      const first = points[0]
      const last = points.at(-1)
      if (first === undefined || last === undefined) return
      context.beginPath()
      context.moveTo(first[0], HEIGHT)
      for (const [x, height] of points) context.lineTo(x, height)
      context.lineTo(last[0], HEIGHT)
      context.closePath()
      context.fillStyle = fill
      context.fill()
      context.beginPath()
      for (const [x, height] of points) context.lineTo(x, height)
      context.strokeStyle = color
      context.lineWidth = 2
      context.stroke()
      // the latest sample as a dot: one sample alone is seen too
      context.beginPath()
      context.arc(last[0] - 3, last[1], 3, 0, 2 * Math.PI)
      context.fillStyle = color
      context.fill()
    }
    line((sample) => sample.downloadRate, '#2ea043', 'rgba(46, 160, 67, 0.15)')
    line((sample) => sample.uploadRate, '#1f6feb', 'rgba(31, 111, 235, 0.15)')
  }, [props.samples, props.capacity, top])
  const last = props.samples.at(-1)
  return (
    <figure class="speed">
      <canvas ref={canvas} width={WIDTH} height={HEIGHT} role="img" aria-label="upload and download rates" />
      <figcaption>
        <span class="down">↓ {formatRate(last?.downloadRate ?? 0)}</span>{' '}
        <span class="up">↑ {formatRate(last?.uploadRate ?? 0)}</span>{' '}
        <span class="muted">last 5 minutes, scale {formatRate(top)}</span>
      </figcaption>
    </figure>
  )
}
