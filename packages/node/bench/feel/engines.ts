/** How each implementation (mycel, WebTorrent, libtorrent) is run in the feel bench: the roles of its peer script and what they report. */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { LIBTORRENT_PEER, LIBTORRENT_PYTHON } from '../libtorrent-install.js'
import type { PeerProcess, PeerScripts } from '../peer-process.js'
import { ENGINES, TIMEOUT_MS } from './settings.js'

export interface Exit {
  cpuSeconds: number
  systemSeconds: number
  peakRssMiB: number
  peakAnonMiB: number
}
export interface SeedReady {
  hashSeconds: number
  hashCpuSeconds: number
  /** The piece length the seeder chose, and the pieces of the share. */
  pieceLength?: number
  pieceCount?: number
  magnet?: string
  addresses?: string[]
  port?: number
}
export interface ManyReady {
  hashSeconds: number
  hashCpuSeconds: number
  /** Seconds from the process's start, by its own clock. */
  sinceStart: number
  rssMiB: number
  /** mycel only: where start-up went, by the process's own clock (modules loaded; node created). */
  phases?: Record<'loaded' | 'created', { seconds: number; cpuSeconds: number; rssMiB: number }>
  magnets?: string[]
  torrents?: string[]
  addresses?: string[]
  port?: number
}
export interface FirstPiece {
  /** From `go`. */
  seconds: number
  /** From the process's start, by its own clock. */
  sinceStart: number
}
export interface Done {
  seconds: number
  cpuSeconds: number
  bytes: number
  path: string
  /** The downloaded file or folder (the multi-file torrents of the references). */
  root?: string
  paths?: string[]
}
export interface Stopped {
  served: { uploaded: number; cpuSeconds?: number }
  exit: Exit
}

/** How one implementation is run: the arguments of each role of its peer script. */
export interface Engine {
  name: string
  script: string
  interpreter?: string
  seed(dir: string, path: string, index: number): string[]
  leech(dir: string, link: string): string[]
  /** What a leecher is started from: the seeder's magnet link. */
  link(ready: SeedReady): string
  /** The seeder's address, as the leecher's `go` gives it. */
  address(ready: SeedReady | ManyReady): string[]
  seedMany(dir: string, folder: string): string[]
  leechMany(dir: string, linksFile: string): string[]
  /** What the leecher of many shares is given for each: a magnet link (mycel), a torrent file (the others). */
  manyLinks(ready: ManyReady): string[]
  /** Where the leecher's copy is. */
  copy(done: Done): string
}

export const withBootstrap = (args: string[], bootstrap: string | undefined): string[] =>
  bootstrap === undefined ? args : [...args, '--bootstrap', bootstrap]

/** Asks a peer to stop and collects its last two reports. */
export async function stop(peer: PeerProcess): Promise<Stopped> {
  peer.send({ command: 'stop' })
  const served = await peer.next<Stopped['served']>('served', TIMEOUT_MS)
  const exit = await peer.next<Exit>('exit', TIMEOUT_MS)
  await peer.exited
  return { served, exit }
}

export function engines(scripts: PeerScripts, webtorrentDir: string, libtorrent: boolean): Engine[] {
  const all: Record<string, Engine | undefined> = {
    mycel: {
      name: 'mycel',
      script: scripts.mycel,
      seed: (dir, path, index) => ['seed', join(dir, `seeder-${index}`), path],
      leech: (dir, link) => ['leech', join(dir, 'leecher'), join(dir, 'downloads'), link],
      link: (ready) => ready.magnet as string,
      address: (ready) => ready.addresses ?? [],
      seedMany: (dir, folder) => ['seed-many', join(dir, 'seeder'), folder],
      leechMany: (dir, linksFile) => ['leech-many', join(dir, 'leecher'), join(dir, 'downloads'), linksFile],
      manyLinks: (ready) => ready.magnets ?? [],
      copy: (done) => done.path,
    },
    webtorrent: {
      name: 'WebTorrent',
      script: scripts.webtorrent,
      seed: (dir, path, index) => [webtorrentDir, 'seed', path, join(dir, `share-${index}.torrent`)],
      leech: (dir, link) => [webtorrentDir, 'leech', join(dir, 'downloads'), link],
      link: (ready) => ready.magnet as string,
      address: (ready) => [`127.0.0.1:${ready.port}`],
      seedMany: (dir, folder) => [webtorrentDir, 'seed-many', folder, torrentDir(dir)],
      leechMany: (dir, linksFile) => [webtorrentDir, 'leech-many', join(dir, 'downloads'), linksFile],
      manyLinks: (ready) => ready.torrents ?? [],
      copy: (done) => done.root ?? done.path,
    },
    libtorrent: libtorrent
      ? {
          name: 'libtorrent',
          script: LIBTORRENT_PEER,
          interpreter: LIBTORRENT_PYTHON,
          seed: (dir, path, index) => ['seed', path, join(dir, `share-${index}.torrent`)],
          leech: (dir, link) => ['leech', downloadDir(dir), link],
          link: (ready) => ready.magnet as string,
          address: (ready) => [`127.0.0.1:${ready.port}`],
          seedMany: (dir, folder) => ['seed-many', folder, torrentDir(dir)],
          leechMany: (dir, linksFile) => ['leech-many', downloadDir(dir), linksFile],
          manyLinks: (ready) => ready.torrents ?? [],
          copy: (done) => done.root ?? done.path,
        }
      : undefined,
  }
  return ENGINES.map((name) => all[name]).filter((engine): engine is Engine => engine !== undefined)
}

/** The download folder of a libtorrent leecher, made beforehand (libtorrent does not make its save path). */
export function downloadDir(dir: string): string {
  const path = join(dir, 'downloads')
  mkdirSync(path, { recursive: true })
  return path
}

export function torrentDir(dir: string): string {
  const path = join(dir, 'torrents')
  mkdirSync(path, { recursive: true })
  return path
}
