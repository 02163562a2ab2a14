import { useEffect, useState } from 'preact/hooks'
import type { DaemonClient } from './api/client.js'
import type { StatusView } from './api/types.js'
import type { SpeedSample } from './widgets/speed-graph.js'

/** Seconds between two samples of the node's rates. */
export const SAMPLE_SECONDS = 1

/** Samples kept: five minutes. */
export const SAMPLES_KEPT = 300

/**
 * The node's upload and download rates over the last five minutes. The
 * daemon sends no notification for node-wide rates (they change all the
 * time), so they are read from `stats` every second while the page is shown.
 *
 * @param client - the daemon
 * @returns the samples, oldest first
 */
export function useSpeedSamples(client: DaemonClient): SpeedSample[] {
  const [samples, setSamples] = useState<SpeedSample[]>([])
  useEffect(() => {
    let stopped = false
    const sample = () => {
      // a hidden tab draws nothing: it asks nothing either
      if (document.hidden) return
      client.call<StatusView>('stats').then(
        (status) => {
          if (stopped) return
          const next = { uploadRate: status.uploadRate, downloadRate: status.downloadRate }
          setSamples((before) => [...before.slice(1 - SAMPLES_KEPT), next])
        },
        () => undefined,
      )
    }
    sample()
    const timer = setInterval(sample, SAMPLE_SECONDS * 1000)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [client])
  return samples
}
