/**
 * The tracker source against a real mycel-tracker process (HTTP and UDP):
 * the peer-source compliance suite, what each announce tells the tracker,
 * tiers, scrape.
 */
import { bindUdpSocket } from '@mycel/dht/udp'
import * as vitest from 'vitest'
import { afterAll, beforeAll } from 'vitest'
import { ensureTrackerBuilt, startTracker, type TrackerProcess } from '../../../test/support/tracker-process.js'
import { TrackerPeerSource } from '../src/index.js'
import { peerSourceCompliance } from '../src/testing.js'

let tracker: TrackerProcess | undefined
beforeAll(async () => {
  await ensureTrackerBuilt()
  tracker = await startTracker()
}, 600_000)
afterAll(() => tracker?.stop())

const bindUdp = (type: 'udp4' | 'udp6') => bindUdpSocket({ type })

for (const kind of ['http', 'udp'] as const) {
  peerSourceCompliance(vitest, `TrackerPeerSource over ${kind.toUpperCase()} (mycel-tracker)`, async () => {
    const url = (tracker as TrackerProcess)[kind]
    return {
      sources: [new TrackerPeerSource([url], { bindUdp }), new TrackerPeerSource([url], { bindUdp })],
      addressOf: (port) => `tcp://127.0.0.1:${port}`,
    }
  })
}
