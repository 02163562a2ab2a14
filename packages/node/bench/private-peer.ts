/**
 * A peer of the private-share benchmark, one per process (bundled from
 * sources and run with plain `node`, as `mycel-peer.ts`).
 *
 * - `seed <dataDir> <file> public|private`: shares the file (publicly: hashed
 *   in place; privately: read, encrypted, hashed and written in one pass),
 *   timed; reports `ready` with its link and addresses; serves until `stop`,
 *   then reports `served` with the CPU time serving took.
 * - `ingest <dataDir> <file> public|private`: shares the file as `seed` does,
 *   timed, reports `ingested`, and exits (the bench runs it with the file
 *   in the page cache, after a `seed` read it from the disk).
 * - `leech <dataDir> <downloadDir> <link> public|private`: on `go`, downloads
 *   (privately: downloads the ciphertext and decrypts it into the folder as
 *   blocks verify), reports `done`; closes on `stop`.
 */
import type { Manifest } from '@mycel/pieces'
import { createNode, type MycelNode } from '../src/index.js'
import { command, cpuSeconds, report, run, usage } from './child-io.js'

const [role, dataDir, ...rest] = process.argv.slice(2)

/** Shares the file, timed. */
async function share(node: MycelNode, file: string, mode: string) {
  const start = performance.now()
  const cpuStart = cpuSeconds()
  let link: string
  let manifest: Manifest
  if (mode === 'private') {
    const shared = await node.share(file, { private: {} })
    link = shared.link as string
    manifest = shared.share.manifest
  } else {
    const share = await node.share(file)
    link = share.magnet
    manifest = share.manifest
  }
  const ingestSeconds = (performance.now() - start) / 1000
  return {
    link,
    pieceLength: manifest.pieceLength,
    // What peers move: the padded data file (and keys file) of a private share.
    shareBytes: manifest.totalLength,
    ingestSeconds,
    ingestCpuSeconds: cpuSeconds() - cpuStart,
  }
}

async function seed(node: MycelNode, file: string, mode: string): Promise<void> {
  const shared = await share(node, file, mode)
  const servingFrom = cpuSeconds()
  report('ready', { ...shared, addresses: node.addresses })
  await command('stop')
  report('served', { cpuSeconds: cpuSeconds() - servingFrom })
}

async function leech(node: MycelNode, downloadDir: string, link: string, mode: string): Promise<void> {
  report('ready', { addresses: node.addresses })
  const { peers = [] } = await command('go')
  const start = performance.now()
  const cpuStart = cpuSeconds()
  let path: string | undefined
  if (mode === 'private') {
    const job = node.private.download(link, { dir: downloadDir, peers })
    let ciphertextSeconds = 0
    void job.download.done().then(() => {
      ciphertextSeconds = (performance.now() - start) / 1000
    })
    path = (await job.done()).contentPath
    report('ciphertext', { seconds: ciphertextSeconds })
  } else {
    const download = node.download(link, { dir: downloadDir, peers })
    await download.done()
    path = download.contentPath
  }
  report('done', { seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSeconds() - cpuStart, path })
  await command('stop')
}

run(async () => {
  if (dataDir === undefined) throw new Error('usage: private-peer seed|leech <dataDir> ...')
  const node = await createNode({ dataDir, listen: ['tcp://127.0.0.1:0'], dht: false })
  try {
    if (role === 'seed') await seed(node, rest[0] as string, rest[1] as string)
    else if (role === 'ingest') report('ingested', await share(node, rest[0] as string, rest[1] as string))
    else if (role === 'leech') await leech(node, rest[0] as string, rest[1] as string, rest[2] as string)
    else throw new Error(`unknown role ${role}`)
  } finally {
    await node.close()
  }
  report('exit', usage())
})
