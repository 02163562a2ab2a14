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
    const line = (pick: (sample: SpeedSample) => number, color: string) => {
      context.beginPath()
      props.samples.forEach((sample, index) => {
        const x = (offset + index) * step
        const y = HEIGHT - 2 - (pick(sample) / top) * (HEIGHT - 4)
        if (index === 0) context.moveTo(x, y)
        else context.lineTo(x, y)
      })
      context.strokeStyle = color
      context.lineWidth = 2
      context.stroke()
    }
    line((sample) => sample.downloadRate, '#2ea043')
    line((sample) => sample.uploadRate, '#1f6feb')
  }, [props.samples, props.capacity, top])
  const last = props.samples.at(-1)
  return (
    <figure class="speed">
      <canvas ref={canvas} width={WIDTH} height={HEIGHT} role="img" aria-label="upload and download rates" />
      <figcaption>
        <span class="down">↓ {formatRate(last?.downloadRate ?? 0)}</span>{' '}
        <span class="up">↑ {formatRate(last?.uploadRate ?? 0)}</span> <span class="muted">scale {formatRate(top)}</span>
      </figcaption>
    </figure>
  )
}
