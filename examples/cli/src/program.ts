import { Command, CommanderError, Option } from 'commander'
import packageJson from '../package.json' with { type: 'json' }
import { addTrackerAccountCommands } from './commands/account.js'
import { runAnnounce } from './commands/announce.js'
import {
  runChannelCreate,
  runChannelExportKey,
  runChannelImportKey,
  runChannelLs,
  runChannelPublish,
  runChannelUnpublish,
  runSubscribe,
  runSubscriptions,
} from './commands/channel.js'
import { runDht } from './commands/dht.js'
import { runExport } from './commands/export.js'
import { DEFAULT_PEER_TIMEOUT_SECONDS, runGet } from './commands/get.js'
import { runId } from './commands/id.js'
import { runLs, runLsFiles, runSearch } from './commands/ls.js'
import { runSeedBlind, type SeedCommandOptions } from './commands/private.js'
import { runReaders } from './commands/readers.js'
import { runRm } from './commands/rm.js'
import { runShare, type ShareCommandOptions } from './commands/share.js'
import { runPeers, runStatus } from './commands/status.js'
import { type Context, createContext, type RawGlobalOptions, resolveGlobalOptions } from './context.js'
import { type DaemonCommandOptions, runDaemon } from './daemon/run.js'
import { debugLines, EXIT_USAGE, explain } from './errors.js'
import { Output } from './output.js'
import { collect } from './trackers.js'

/** The CLI's version, from its package.json. */
export const VERSION: string = packageJson.version

/** Runs a command with its context and arguments; returns its exit status. */
type Runner = (context: Context, ...args: never[]) => Promise<number>

/**
 * Builds the `mycel` program: global options and one subcommand per job.
 * Each action stores its context and exit status in `state`.
 */
function buildProgram(state: { context?: Context; exitCode: number }, json: boolean): Command {
  const program = new Command('mycel')
  program
    .description(
      'Share and download files peer to peer: content-addressed (BitTorrent v2), found on the Mainline DHT, sent over encrypted connections.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(
      new Option('--data-dir <dir>', 'folder of the identity, state and control socket (default ~/.mycel)').env(
        'MYCEL_DATA_DIR',
      ),
    )
    .addOption(
      new Option('-p, --port <port>', 'TCP port to accept peers on, and UDP port of the DHT (default: a free one)').env(
        'MYCEL_PORT',
      ),
    )
    .addOption(
      new Option(
        '--ws <port>',
        'also accept peers over WebSocket on this port, as ws://<host>:<port>/mycel (browsers dial it; 0: a free one)',
      ).env('MYCEL_WS_PORT'),
    )
    .addOption(
      new Option('--host <address>', 'address to listen on (default 0.0.0.0, every interface)').env('MYCEL_HOST'),
    )
    .addOption(
      new Option(
        '--bootstrap <host:port,...>',
        'DHT nodes to join through, or "none" (default: the public Mainline routers)',
      ).env('MYCEL_BOOTSTRAP'),
    )
    .addOption(
      new Option(
        '--proxy <url>',
        'send every connection through a SOCKS5 proxy, such as Tor: socks5://[user:pass@]host:port (no DHT then: UDP cannot go through it)',
      ).env('MYCEL_PROXY'),
    )
    .option(
      '--onion <address>',
      'tell peers this onion address of your Tor onion service, <56 characters>.onion:<port> (needs --proxy)',
    )
    .option('--anonymous', 'no software name in the handshake, and a fresh peer id for this run')
    .option('--upload-limit <rate>', 'upload limit of the node, such as 2MiB (per second)')
    .option('--download-limit <rate>', 'download limit of the node, such as 10MiB (per second)')
    .option('--json', 'machine-readable output: one JSON value per line on stdout')
    .option('-q, --quiet', 'no progress and no notes: only results and errors')
    .option(
      '--debug',
      'print stack traces of errors, and what the node drops and refuses and why (stderr; MYCEL_DEBUG=mycel:peer,mycel:dht picks components)',
    )
    .showSuggestionAfterError(true)
    // `mycel <command> --help` lists the global options too (they go before or after the command)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => {
        const message = text
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')
          .trim()
        write(
          json
            ? `${JSON.stringify({ error: { code: 'USAGE', message, hint: 'see mycel --help' } })}\n`
            : `mycel: ${message} (see mycel --help)\n`,
        )
      },
    })

  // commander calls an action with the arguments, the command's options and the command
  const action =
    (run: Runner) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command
      const context = createContext(resolveGlobalOptions(command.optsWithGlobals() as RawGlobalOptions))
      state.context = context
      state.exitCode = await run(context, ...(args.slice(0, -1) as never[]))
    }

  program
    .command('id')
    .description('create or show the identity of the data folder (its peer id)')
    .action(action(runId))

  program
    .command('share')
    .description('hash files or folders, print their magnet links, and seed them until Ctrl-C')
    .argument('<path...>', 'files or folders to share (served where they are, never copied)')
    .option('--piece-length <size>', 'piece length, a power of two from 16KiB to 16MiB (default: from the size)')
    .option(
      '--tracker <url>',
      'a tracker to announce to and find peers through (http://, https:// or udp://), written in the magnet link; repeat for more',
      collect,
    )
    .option(
      '--private',
      'encrypt into a private share: anyone can seed it, only readers can read (prints mycel:// links)',
    )
    .option(
      '--reader <peer id>',
      'with --private: a peer id that can read it with its identity alone; repeat for more (before or after the paths)',
      collect,
    )
    .option('--no-link', 'with --private: no link with the key; only the --reader peers can read')
    .action(action((context, paths: string[], options: ShareCommandOptions) => runShare(context, paths, options)))

  program
    .command('get')
    .description('download a share, verify it, and print where the files are (run again to resume)')
    .argument(
      '<link>',
      'v2 magnet link (magnet:?xt=urn:btmh:1220...), infohash (64 hex digits), or a v2 or hybrid .torrent file (BitTorrent v1 links cannot be fetched); or a private mycel:// link (decrypted into the folder), or a .torrent.enc encrypted for this identity',
    )
    .option('-o, --output <dir>', 'folder to download into (default: the current folder)')
    .option(
      '--timeout <seconds>',
      'give up when no peer is connected for this long',
      String(DEFAULT_PEER_TIMEOUT_SECONDS),
    )
    .option('--peer <address...>', 'peers to connect to directly, as host:port or tcp://host:port')
    .option(
      '--tracker <url>',
      'a tracker to find peers through (http://, https:// or udp://), before those of the link or .torrent; repeat for more',
      collect,
    )
    .option(
      '--file <path...>',
      'download only these files of a folder share (paths inside it, such as photos/beach.jpg)',
    )
    .option('--seed', 'keep seeding after the download until Ctrl-C')
    .option('--verify', 'read the files back at the end and check every piece again (each was verified on arrival)')
    .option('--no-verify', 'do not read back a copy that was complete before this run (by default it is checked again)')
    .option(
      '--verify-existing',
      'files of the share already in the folder (not downloaded by this data folder) are verified in place: keep what matches, download the rest',
    )
    .action(action((context, link: string, options: Parameters<typeof runGet>[2]) => runGet(context, link, options)))

  program
    .command('seed')
    .description('fetch and seed the ciphertext of a private share without reading it (a blind seeder)')
    .argument('<link>', 'mycel:// link of a private share (a key in it is dropped)')
    .option('--blind', 'keep and serve ciphertext only (required)')
    .option('-o, --output <dir>', 'folder to keep the ciphertext in (default: the private folder of the data folder)')
    .option('--peer <address...>', 'peers to connect to directly, as host:port or tcp://host:port')
    .action(action((context, link: string, options: SeedCommandOptions) => runSeedBlind(context, link, options)))

  program
    .command('readers')
    .description('give a private share other readers: a new version under a new key, seeded until Ctrl-C')
    .argument('<add|rm>', 'add or remove readers')
    .argument('<share>', 'infohash of the current version (or a prefix of it)')
    .argument('<peer id...>', 'readers, as mycel id prints peer ids')
    .action(
      action((context, what: string, share: string, peerIds: string[]) => runReaders(context, what, share, peerIds)),
    )

  program
    .command('ls')
    .description('list the shares and downloads of the data folder with their status, or the files of one')
    .argument('[share]', 'infohash (or a prefix of it, or the magnet link) of a share: list its files')
    .option('-l, --long', 'also show peers, rates, bytes uploaded, path and last error')
    .action(
      action((context, share: string | undefined, options: { long?: boolean }) =>
        share === undefined ? runLs(context, options) : runLsFiles(context, share),
      ),
    )

  program
    .command('search')
    .description('find local shares (and files inside them) by name')
    .argument('<text...>', 'words that must all appear, ignoring case')
    .option('--limit <n>', 'most results (default 100)')
    .action(action((context, words: string[], options: { limit?: string }) => runSearch(context, words, options)))

  program.command('peers').description('list the peers connected to the running mycel process').action(action(runPeers))

  program
    .command('status')
    .description('health: peer id, listen addresses, connections, DHT routing table, bytes up and down')
    .action(action(runStatus))

  program
    .command('announce')
    .description('announce a share on the DHT now (through the running mycel process)')
    .argument('<infohash>', 'infohash, a prefix of it as mycel ls shows, or a magnet link')
    .action(action((context, input: string) => runAnnounce(context, input)))

  program
    .command('export')
    .description('write a BitTorrent v2 (or hybrid v1+v2) .torrent file of a share')
    .argument('<infohash>', 'infohash, a prefix of it as mycel ls shows, or a magnet link')
    .option('-o, --output <file>', 'the .torrent file to write (default: <name>.torrent)')
    .option('--hybrid', 'a hybrid v1+v2 torrent that v1-only clients read too (hashes the files again)')
    .option('--force', 'replace the file if it exists')
    .option(
      '--to <peer id...>',
      'encrypt the .torrent for these users (x.torrent.enc; mycel get decrypts it with their identity)',
    )
    .action(
      action((context, input: string, options: Parameters<typeof runExport>[2]) => runExport(context, input, options)),
    )

  program
    .command('rm')
    .description('forget a share or download (stop seeding or resuming it); its files are kept')
    .argument('<infohash>', 'infohash, a prefix of it as mycel ls shows, or a magnet link')
    .action(action((context, input: string) => runRm(context, input)))

  program
    .command('dht')
    .description('run a DHT-only node until Ctrl-C: a bootstrap node for a local network (default port 6881)')
    .action(action(runDht))

  const channel = program
    .command('channel')
    .description('publish an updatable list of shares under a key of this data folder (a channel)')
  channel
    .command('create')
    .description('make a channel (a new key kept in the data folder) and print its link')
    .argument('<title>', 'the title subscribers see')
    .option('--private', 'seal its index with a read key carried in the link (only link holders read it)')
    .action(
      action((context, title: string, options: { private?: boolean }) => runChannelCreate(context, title, options)),
    )
  channel
    .command('publish')
    .description('list shares in a channel of this data folder and push the new version to subscribers')
    .argument('<channel>', 'the channel: its key (64 hex digits) or link')
    .argument('<share...>', 'infohashes or magnet links (name and size from the share, when the data folder knows it)')
    .option('--name <name>', 'the share name to list (one share)')
    .option('--size <size>', 'its size, such as 700MiB (one share)')
    .option('--text <text>', 'a description')
    .action(
      action((context, key: string, shares: string[], options: Parameters<typeof runChannelPublish>[3]) =>
        runChannelPublish(context, key, shares, options),
      ),
    )
  channel
    .command('unpublish')
    .description('remove shares from a channel of this data folder')
    .argument('<channel>', 'the channel: its key or link')
    .argument('<share...>', 'infohashes or magnet links')
    .action(action((context, key: string, shares: string[]) => runChannelUnpublish(context, key, shares)))
  channel
    .command('ls')
    .description('list the channels of this data folder with their entries')
    .action(action(runChannelLs))
  channel
    .command('export-key')
    .description("print a channel's secret key (JSON), to back it up or publish from another data folder")
    .argument('<channel>', 'the channel: its key or link')
    .option('-o, --output <file>', 'write it to a new file (mode 600) instead')
    .action(action((context, key: string, options: { output?: string }) => runChannelExportKey(context, key, options)))
  channel
    .command('import-key')
    .description('own a channel whose key was exported elsewhere (its entries come back from the DHT and peers)')
    .argument('<file>', 'the file export-key wrote')
    .action(action((context, file: string) => runChannelImportKey(context, file)))

  program
    .command('subscribe')
    .description('follow a channel: print its updates and new entries until Ctrl-C, downloading by --auto')
    .argument('<link>', 'mycel://channel/<key>[#<read key>]')
    .option('--auto <policy>', 'download new entries: all, none (default), match:<text>, max-size:<bytes>')
    .option(
      '--poll <seconds>',
      'seconds between DHT polls when gossip brings nothing (0: none; default 300, backing off)',
    )
    .action(
      action((context, link: string, options: Parameters<typeof runSubscribe>[2]) =>
        runSubscribe(context, link, options),
      ),
    )

  program
    .command('subscriptions')
    .description('list the channels this data folder subscribes to')
    .action(action(runSubscriptions))

  program
    .command('daemon')
    .description(
      'run the node of the data folder in the background with a web UI and an HTTP API (JSON-RPC, WebSocket, Transmission RPC) until Ctrl-C; other commands talk to it',
    )
    .option('--listen <host:port>', 'address of the HTTP API (default 127.0.0.1:9092)')
    .option(
      '--password <text>',
      'accepted like the token; required with --listen off loopback (env MYCEL_DAEMON_PASSWORD)',
    )
    .option('--download-dir <dir>', 'where downloads go when a request names no folder (default <data-dir>/downloads)')
    .option(
      '--allow-origin <origin>',
      'a web origin (http://host:port) whose pages may call the API; repeat for more',
      collect,
    )
    .action(action((context, options: DaemonCommandOptions) => runDaemon(context, options)))

  addTrackerAccountCommands(program, action)

  return program
}

/**
 * Runs `mycel` with the process's arguments: parses them, runs the command,
 * and reports a failure in one line on stderr (a stack trace only with
 * `--debug`).
 *
 * @param argv - `process.argv`
 * @returns the exit status: 0 success, 1 failure, 2 wrong usage, 130/143 interrupted by SIGINT/SIGTERM
 */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json')
  const state: { context?: Context; exitCode: number } = { exitCode: 0 }
  const program = buildProgram(state, json)
  try {
    await program.parseAsync([...argv])
    return state.exitCode
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE
    const context = state.context
    const explained =
      context === undefined
        ? explain(error, { dataDir: '', port: undefined, host: '' })
        : explain(error, context.explain)
    const out = context?.out ?? new Output({ stdout: process.stdout, stderr: process.stderr, json, quiet: false })
    const debug = context?.options.debug ?? argv.includes('--debug')
    out.error(explained, debug ? debugLines(error) : [])
    return explained.exitCode
  }
}
