import { ID_LENGTH } from '../id.js'
import { closestNodes, keyArg, protocolError, type QueryHandler } from './context.js'

/** BEP 51's largest `interval`, in seconds. */
const MAX_INTERVAL_SECONDS = 21_600

/**
 * `sample_infohashes` (BEP 51): a random sample of the keys we store peers
 * for (`samples`, 20 bytes each, concatenated), how many keys we store
 * (`num`), how many seconds the sample stays the same (`interval`), and the
 * nodes closest to `target`, so that a crawler can walk the DHT.
 * @internal
 */
export const handleSampleInfohashes: QueryHandler = (context, query) => {
  const target = keyArg(query.args, 'target')
  if (target === undefined) return protocolError('sample_infohashes needs a 20-byte target')
  const { maxSamplesPerResponse, sampleInterval } = context.limits
  const samples = context.peers.sample(context.now(), maxSamplesPerResponse, sampleInterval)
  const joined = new Uint8Array(samples.length * ID_LENGTH)
  for (const [index, key] of samples.entries()) joined.set(key, index * ID_LENGTH)
  return {
    values: {
      id: context.id,
      interval: Math.min(MAX_INTERVAL_SECONDS, Math.floor(sampleInterval / 1000)),
      num: context.peers.keyCount,
      samples: joined,
      ...closestNodes(context, query, target),
    },
  }
}
