/**
 * Streaming with mycel, start to finish, in one process on 127.0.0.1.
 *
 * A seeder node shares a generated file (its upload held to 8 MiB/s, as a
 * far-away peer would be). A viewer node starts downloading it by magnet
 * link and, at once, reads one MiB from the middle of the file: those bytes
 * are fetched first, each range checked against the file's Merkle tree
 * before it is handed over, long before the download is complete. The
 * example prints how far the download had got when the read finished, and
 * compares the bytes with the source.
 *
 * Run: `npm start -w @mycel/example-streaming` (`-- --size <MiB>` for another file size)
 */
import { createHash, randomFillSync } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createNode } from '@mycel/node'

const MiB = 1024 * 1024
const { values } = parseArgs({ options: { size: { type: 'string', default: '64' } } })
const size = Number(values.size) * MiB
if (!Number.isInteger(size) || size < 4 * MiB) throw new Error('--size must be a whole number of MiB, at least 4')

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

const folder = await mkdtemp(join(tmpdir(), 'mycel-streaming-'))
try {
  // A file to share, random so that nothing can be guessed.
  const moviePath = join(folder, 'movie.bin')
  const movie = randomFillSync(new Uint8Array(size))
  await writeFile(moviePath, movie)

  // Two nodes with their own data folders, TCP on loopback, no DHT: the
  // viewer is told the seeder's address, as a magnet link's x.pe would.
  const seeder = await createNode({
    dataDir: join(folder, 'seeder'),
    listen: ['tcp://127.0.0.1:0'],
    dht: false,
    limits: { uploadRate: 8 * MiB },
  })
  const viewer = await createNode({ dataDir: join(folder, 'viewer'), listen: ['tcp://127.0.0.1:0'], dht: false })
  try {
    const share = await seeder.share(moviePath, { pieceLength: 4 * MiB })
    console.log(`shared    ${share.manifest.name}, ${size / MiB} MiB in ${share.manifest.pieceCount} pieces of 4 MiB`)
    console.log(`magnet    ${share.magnet}`)

    const download = viewer.download(share.magnet, { dir: join(folder, 'downloads'), peers: seeder.addresses })
    if (download.manifest === undefined) await once(download, 'metadata')

    // One MiB from the middle, verified as it arrives.
    const start = Math.floor(size / 2) + 12_345
    const end = start + MiB - 1 // inclusive
    const began = performance.now()
    const hash = createHash('sha256')
    let read = 0
    for await (const chunk of viewer.createReadStream(share.infohash, 'movie.bin', { start, end })) {
      hash.update(chunk)
      read += chunk.length
    }
    const seconds = (performance.now() - began) / 1000
    const { piecesVerified, pieceCount } = download.progress
    console.log(
      `streamed  ${(read / MiB).toFixed(1)} MiB at offset ${start} in ${seconds.toFixed(2)} s, ` +
        `while the download had verified ${piecesVerified} of ${pieceCount} pieces`,
    )

    const streamed = hash.digest('hex')
    const expected = sha256(movie.subarray(start, end + 1))
    console.log(`SHA-256   streamed ${streamed}`)
    console.log(`          source   ${expected}`)
    console.log(streamed === expected ? 'identical' : 'DIFFERENT')
    if (streamed !== expected) process.exitCode = 1

    // The download goes on in the background; stop it, keeping what is verified.
    await download.stop()
  } finally {
    await Promise.all([viewer.close(), seeder.close()])
  }
} finally {
  await rm(folder, { recursive: true, force: true })
}
