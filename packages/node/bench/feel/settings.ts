export const MiB = 1024 * 1024
export const KiB = 1024
export const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
/** Case 1: the file's size. */
export const FIRST_BYTES = env('MYCEL_FEEL_FIRST_BYTES', 256 * MiB)
/** Case 2: how many files, and the size of each. */
export const SMALL_FILES = env('MYCEL_FEEL_FILES', 10_000)
export const SMALL_FILE_BYTES = env('MYCEL_FEEL_FILE_BYTES', 16 * KiB)
/** Case 3: how many shares, the size of each, and which are fetched back (every n-th). */
export const SHARES = env('MYCEL_FEEL_SHARES', 200)
export const SHARE_BYTES = env('MYCEL_FEEL_SHARE_BYTES', 64 * KiB)
export const SAMPLE_EVERY = env('MYCEL_FEEL_SAMPLE_EVERY', 20)
/** Case 4: the file's size and the seeders. */
export const SWARM_BYTES = env('MYCEL_FEEL_SWARM_BYTES', 256 * MiB)
export const SEEDERS = env('MYCEL_FEEL_SEEDERS', 4)
/** Which cases run: `first`, `dht`, `small`, `shares`, `seeders` (default all). */
export const CASES = (process.env.MYCEL_FEEL_ONLY ?? 'first,dht,small,shares,seeders').split(',').map((c) => c.trim())
/** Which implementations run: `mycel`, `webtorrent`, `libtorrent` (default all; libtorrent where installed). */
export const ENGINES = (process.env.MYCEL_FEEL_ENGINES ?? 'mycel,webtorrent,libtorrent').split(',').map((e) => e.trim())
export const TIMEOUT_MS = 300_000
/** The target for small files and many shares: at least this multiple of WebTorrent. */
export const TARGET_WEBTORRENT = 2
