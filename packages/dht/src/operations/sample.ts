import { decodeCompactNodes, type IpFamily, type NodeContact } from '../compact.js'
import { DhtError } from '../errors.js'
import { ID_LENGTH } from '../id.js'
import type { QueryAnswer } from '../krpc/rpc.js'
import type { SampleAnswer } from '../options.js'

/**
 * Reads a `sample_infohashes` answer (BEP 51), refusing one whose fields
 * are missing or malformed: `interval` and `num` non-negative integers,
 * `samples` a whole number of 20-byte keys, `nodes` / `nodes6` compact node
 * info of our family (absent means none).
 *
 * @throws {@link DhtError} `INVALID_RESPONSE`
 * @internal
 */
export function readSampleAnswer(answer: QueryAnswer, family: IpFamily): SampleAnswer {
  const { interval, num, samples } = answer.values
  if (typeof interval !== 'number' || !Number.isSafeInteger(interval) || interval < 0)
    throw DhtError.invalidResponse('sample_infohashes without a non-negative integer interval')
  if (typeof num !== 'number' || !Number.isSafeInteger(num) || num < 0)
    throw DhtError.invalidResponse('sample_infohashes without a non-negative integer num')
  if (!(samples instanceof Uint8Array) || samples.length % ID_LENGTH !== 0)
    throw DhtError.invalidResponse('sample_infohashes samples are not a whole number of 20-byte keys')
  const packed = answer.values[family === 4 ? 'nodes' : 'nodes6']
  let nodes: NodeContact[] = []
  if (packed !== undefined) {
    const decoded = packed instanceof Uint8Array ? decodeCompactNodes(packed, family) : undefined
    if (decoded === undefined) throw DhtError.invalidResponse('sample_infohashes with malformed nodes')
    nodes = decoded
  }
  const keys: Uint8Array[] = []
  for (let offset = 0; offset < samples.length; offset += ID_LENGTH)
    keys.push(samples.slice(offset, offset + ID_LENGTH))
  return { id: answer.id, interval, num, samples: keys, nodes }
}
