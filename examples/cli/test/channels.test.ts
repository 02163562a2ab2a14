/**
 * Channels end to end, every node its own `mycel` process on 127.0.0.1
 * with a local DHT bootstrap node: a publisher (`channel create`, then a
 * running `share` whose node serves the channel, `channel publish` through
 * it) and subscribers (`subscribe --poll 0`: no DHT polls, so what arrives
 * after the first resolve comes by gossip); a subscriber that was offline
 * catching up from the DHT; a new subscriber resolving the channel from a
 * subscriber's republished item on a DHT the publisher never reached; a
 * private channel unreadable without its key; and libtorrent, another
 * Mainline implementation, getting the channel's signed item.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createUdpDhtNode } from '@mycel/dht/udp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Background, ensureBuilt, jsonLines, local, Sandbox, startDht, writeContent } from './helpers.js'

const run = promisify(execFile)
const sandbox = new Sandbox()
let bootstrap: string
let dhtProcess: Background
let work: string
const dirs = { publisher: '', first: '', second: '', late: '', heir: '', blind: '', reader: '' }
let publicKey = ''
let link = ''
let infohash = ''
let publisher: Background | undefined
const subscribers: Record<string, Background | undefined> = {}

/** Runs a short `mycel` command with `--json` and returns its JSON lines; fails on a non-zero exit. */
async function mycel(args: string[]): Promise<Record<string, unknown>[]> {
  const result = await sandbox.run([...args, '--json'])
  if (result.code !== 0) throw new Error(`mycel ${args.join(' ')} failed (${result.code}): ${result.stderr}`)
  return jsonLines(result.stdout)
}

/** Starts `mycel subscribe` (no DHT polls) and waits for its subscription. */
async function subscribe(dir: string, channelLink: string, dhtBootstrap = bootstrap): Promise<Background> {
  const process = sandbox.start(['subscribe', channelLink, '--poll', '0', ...local(dir, dhtBootstrap), '--json'])
  await process.waitFor('subscribed')
  return process
}

/** Entries of an update event. */
function names(event: Record<string, unknown>): string[] {
  return ((event.entries as { name: string }[] | null) ?? []).map((entry) => entry.name)
}

beforeAll(async () => {
  await ensureBuilt()
  ;({ bootstrap, dht: dhtProcess } = await startDht(sandbox))
  work = await sandbox.dir()
  for (const name of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[name] = join(work, name)
  await writeContent(join(work, 'episode-1.ogg'), 300_000, 21)
}, 300_000)

afterAll(() => sandbox.cleanup())

describe('channels across processes', () => {
  it('channel create prints the key and link; the running share process serves it', async () => {
    const [created] = await mycel(['channel', 'create', 'Night radio', ...local(dirs.publisher, bootstrap)])
    const channel = (created?.channels as { publicKey: string; link: string; title: string }[] | undefined)?.[0]
    publicKey = String(channel?.publicKey)
    link = String(channel?.link)
    expect(link).toBe(`mycel://channel/${publicKey}`)
    expect(channel?.title).toBe('Night radio')
    publisher = sandbox.start(['share', join(work, 'episode-1.ogg'), ...local(dirs.publisher, bootstrap), '--json'])
    const shared = await publisher.waitFor('shared')
    infohash = String(shared.infohash)
    await publisher.waitFor('seeding')
  })

  it('an update reaches two subscribers by gossip within a second (DHT polls off), as events', {
    timeout: 120_000,
  }, async () => {
    subscribers.first = await subscribe(dirs.first, link)
    subscribers.second = await subscribe(dirs.second, link)
    // Each resolves the first version (from the DHT or a peer), and finds the publisher under the channel's topic.
    for (const name of ['first', 'second']) {
      await subscribers[name]?.waitFor('channel-update', (event) => event.publicKey === publicKey)
      await subscribers[name]?.waitFor('peer-connected')
    }
    // Through the running publisher (its data folder is busy): name and size come from the share.
    const [published] = await mycel([
      'channel',
      'publish',
      publicKey,
      infohash,
      '--text',
      'the first one',
      ...local(dirs.publisher, bootstrap),
    ])
    expect(published?.event).toBe('channel-published')
    for (const name of ['first', 'second']) {
      const added = await subscribers[name]?.waitFor('entry-added', (event) => event.publicKey === publicKey, 10_000)
      expect(added?.entry).toMatchObject({ infohash, name: 'episode-1.ogg', size: 300_000, text: 'the first one' })
      const update = await subscribers[name]?.waitFor('channel-update', (event) =>
        names(event).includes('episode-1.ogg'),
      )
      expect(update?.source).toBe('gossip')
      // seq is the publication time (the publisher's clock, the same machine): from signing to hearing it
      const latency = Number(update?.receivedAt) - Number(update?.seq)
      console.log(`${name} subscriber heard the version ${latency} ms after it was signed`)
      expect(latency).toBeLessThan(1000)
    }
  })

  it('a subscriber that was offline catches up from the DHT', { timeout: 120_000 }, async () => {
    await subscribers.second?.stop()
    const [published] = await mycel([
      'channel',
      'publish',
      publicKey,
      'ab'.repeat(32),
      '--name',
      'episode-2.ogg',
      '--size',
      '1MiB',
      ...local(dirs.publisher, bootstrap),
    ])
    expect(published?.dhtNodes).toBeGreaterThan(0)
    // Everyone else goes offline: the DHT is the only way the news can come.
    await publisher?.stop()
    await subscribers.first?.stop()
    subscribers.second = await subscribe(dirs.second, link)
    const update = await subscribers.second.waitFor('channel-update', (event) => names(event).includes('episode-2.ogg'))
    expect(update.source).toBe('dht')
    expect(names(update)).toEqual(['episode-2.ogg', 'episode-1.ogg'])
    const [listed] = await mycel(['subscriptions', ...local(dirs.second, bootstrap)])
    expect((listed?.channels as { entries: unknown[] }[] | undefined)?.[0]?.entries).toHaveLength(2)
  })

  it('with the publisher gone, a new subscriber resolves the channel from a subscriber that republished it', {
    timeout: 120_000,
  }, async () => {
    await subscribers.second?.stop()
    // A DHT the publisher never reached: what it holds, a subscriber put there.
    await dhtProcess.stop()
    const fresh = await startDht(sandbox)
    dhtProcess = fresh.dht
    const second = await subscribe(dirs.second, link, fresh.bootstrap)
    await second.waitFor('channel-republished', (event) => Number(event.dhtNodes) > 0, 60_000)
    await second.stop() // no peer left to tell: only the item it put
    const late = await subscribe(dirs.late, link, fresh.bootstrap)
    const update = await late.waitFor('channel-update', (event) => event.publicKey === publicKey, 60_000)
    expect(update.source).toBe('dht')
    expect(names(update)).toEqual(['episode-2.ogg', 'episode-1.ogg'])
    await late.stop()
    bootstrap = fresh.bootstrap
  })

  it('libtorrent gets the channel signed item from the DHT: the same seq and signature as mycel resolves', {
    timeout: 120_000,
  }, async () => {
    const python = await libtorrentPython()
    const script = join(import.meta.dirname, 'fixtures', 'libtorrent-get-item.py')
    const { stdout } = await run(python, [script, bootstrap, publicKey, 'mycel/1 channel'], { timeout: 90_000 })
    const item = jsonLines(stdout).find((line) => line.event === 'item')
    expect(item).toBeDefined()
    const dht = await createUdpDhtNode({ host: '127.0.0.1', port: 0, bootstrap: [bootstrap] })
    try {
      await dht.bootstrap()
      const mine = await dht.getMutable(Buffer.from(publicKey, 'hex'), {
        salt: new TextEncoder().encode('mycel/1 channel'),
      })
      expect(mine).toBeDefined()
      expect(item?.key).toBe(publicKey)
      expect(item?.seq).toBe(Number(mine?.seq))
      expect(item?.signature).toBe(Buffer.from(mine?.signature ?? []).toString('hex'))
    } finally {
      await dht.close()
    }
  })

  it('export-key and import-key move the channel: a publication from the new data folder continues its list', {
    timeout: 120_000,
  }, async () => {
    const keyFile = join(work, 'night-radio.key')
    await mycel(['channel', 'export-key', publicKey, '-o', keyFile, ...local(dirs.publisher, bootstrap)])
    const [imported] = await mycel(['channel', 'import-key', keyFile, ...local(dirs.heir, bootstrap)])
    expect((imported?.channels as { publicKey: string; owned: boolean }[] | undefined)?.[0]).toMatchObject({
      publicKey,
      owned: true,
    })
    const [published] = await mycel([
      'channel',
      'publish',
      publicKey,
      'ef'.repeat(32),
      '--name',
      'episode-3.ogg',
      '--size',
      '3MiB',
      ...local(dirs.heir, bootstrap),
    ])
    const channel = (published?.channels as { entries: { name: string }[] }[] | undefined)?.[0]
    expect(channel?.entries.map((entry) => entry.name)).toEqual(['episode-3.ogg', 'episode-2.ogg', 'episode-1.ogg'])
    const [removed] = await mycel(['channel', 'unpublish', publicKey, 'ab'.repeat(32), ...local(dirs.heir, bootstrap)])
    const after = (removed?.channels as { entries: { name: string }[] }[] | undefined)?.[0]
    expect(after?.entries.map((entry) => entry.name)).toEqual(['episode-3.ogg', 'episode-1.ogg'])
  })

  it('a private channel: a subscriber without the read key sees versions but no entry; the link holder reads them', {
    timeout: 120_000,
  }, async () => {
    const [created] = await mycel([
      'channel',
      'create',
      'Family photos',
      '--private',
      ...local(dirs.publisher, bootstrap),
    ])
    const channel = (created?.channels as { publicKey: string; link: string }[] | undefined)?.[0]
    const keyed = String(channel?.link)
    expect(keyed).toMatch(/#[A-Za-z0-9_-]{43}$/)
    await mycel([
      'channel',
      'publish',
      String(channel?.publicKey),
      'cd'.repeat(32),
      '--name',
      'beach.jpg',
      '--size',
      '2MiB',
      ...local(dirs.publisher, bootstrap),
    ])
    const blind = await subscribe(dirs.blind, keyed.slice(0, keyed.indexOf('#')))
    const blindUpdate = await blind.waitFor('channel-update', (event) => event.publicKey === channel?.publicKey)
    expect(blindUpdate.entries ?? null).toBeNull()
    expect(blindUpdate.title ?? null).toBeNull()
    await blind.stop()
    const [listed] = await mycel(['subscriptions', ...local(dirs.blind, bootstrap)])
    expect((listed?.channels as { readable: boolean; entries: unknown[] }[] | undefined)?.[0]).toMatchObject({
      readable: false,
      entries: [],
    })
    const reader = await subscribe(dirs.reader, keyed)
    const readerUpdate = await reader.waitFor('channel-update', (event) => event.publicKey === channel?.publicKey)
    expect(readerUpdate.title).toBe('Family photos')
    expect(names(readerUpdate)).toEqual(['beach.jpg'])
    await reader.stop()
  })
})

/** A Python that has libtorrent: Debian's /usr/bin/python3, where python3-libtorrent installs. */
async function libtorrentPython(): Promise<string> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      await run(python, ['-c', 'import libtorrent'])
      return python
    } catch {}
  }
  throw new Error(
    "libtorrent's Python binding is not installed: the channel test runs it as another Mainline implementation. On Debian: apt-get install -y python3-libtorrent (scripts/system-deps.sh installs it)",
  )
}
