"""A libtorrent peer of the transfer benchmark, one per process: the native
engine as a reference (libtorrent 2.0 from Debian's python3-libtorrent, run
with /usr/bin/python3). It speaks the same JSON-line protocol as
mycel-peer.ts and webtorrent-peer.ts (child-io.ts): events on stdout,
commands on stdin.

- `seed <file> <torrentOut>`: makes a BitTorrent v2 torrent of the file
  (SHA-256 Merkle trees, as mycel's shares), timed apart as hashing, writes
  it, seeds the file, reports `ready` with its port.
- `leech <downloadDir> <torrentFile|magnet>`: on `go`, adds the torrent and
  the seeders' addresses, reports `first-piece` when the first piece passed
  its hash check (`piece_finished_alert`) and `done` once every piece did.
- `seed-many <folder> <torrentDir>`: makes a v2 torrent of every entry of the
  folder (written to `torrentDir`), seeds them all in one session, reports
  `ready` with their torrent files once all are seeding.
- `leech-many <downloadDir> <torrentsFile>`: on `go`, adds every torrent file
  of the JSON array in `torrentsFile` with the seeders' addresses, reports
  `done` with the paths of the copies once all are complete.

`--bootstrap <host:port>` after the arguments turns the DHT on, joined
through that node only (`dht_bootstrap_nodes`; one routing-table node per IP
address is not enforced, since every node of the local DHT is 127.0.0.1).

Settings: libtorrent's `high_performance_seed` preset, TCP on 127.0.0.1 only
(no uTP), DHT, LSD, UPnP and NAT-PMP off, protocol encryption off (plaintext:
libtorrent does not encrypt what it verifies; mycel always does). Both report
`exit` with CPU seconds (every thread), peak RSS and peak anonymous memory.
"""

import json
import os
import resource
import sys
import threading
import time

import libtorrent as lt

MiB = 1024 * 1024


def report(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def command(expected):
    line = sys.stdin.readline()
    if line == "":
        os._exit(2)  # the orchestrator is gone
    parsed = json.loads(line)
    if parsed.get("command") != expected:
        raise RuntimeError(f"expected command {expected}, got {parsed.get('command')}")
    return parsed


def status_field(name):
    """A `kB` field of /proc/self/status, in MiB (0 where it is absent)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class AnonymousPeak:
    """Samples RssAnon (memory that is not a mapped file) every 50 ms and keeps the largest."""

    def __init__(self):
        self.peak = status_field("RssAnon")
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()

    def run(self):
        while True:
            self.peak = max(self.peak, status_field("RssAnon"))
            time.sleep(0.05)


anonymous = AnonymousPeak()


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def usage():
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpuSeconds": own.ru_utime + own.ru_stime,
        "systemSeconds": own.ru_stime,
        "peakRssMiB": status_field("VmHWM"),
        "peakAnonMiB": max(anonymous.peak, status_field("RssAnon")),
        "minorPageFaults": own.ru_minflt,
        "gc": {"count": 0, "majorCount": 0, "seconds": 0},
    }


def open_session(bootstrap=None):
    settings = lt.high_performance_seed()
    dht = (
        {
            "enable_dht": True,
            "dht_bootstrap_nodes": bootstrap,
            "dht_restrict_routing_ips": False,
            "dht_restrict_search_ips": False,
        }
        if bootstrap is not None
        else {"enable_dht": False}
    )
    settings.update(
        {
            "listen_interfaces": "127.0.0.1:0",
            **dht,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_outgoing_utp": False,
            "enable_incoming_utp": False,
            "out_enc_policy": int(lt.enc_policy.disabled),
            "in_enc_policy": int(lt.enc_policy.disabled),
            "allow_multiple_connections_per_ip": True,
            "alert_mask": int(lt.alert.category_t.error_notification)
            | int(lt.alert.category_t.piece_progress_notification),
        }
    )
    return lt.session(settings)


def wait_until(session, handle, done, timeout_s=300, on_piece=None):
    deadline = time.monotonic() + timeout_s
    while not done(handle.status()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no progress within {timeout_s} s: {handle.status().state}")
        session.wait_for_alert(20)
        for alert in session.pop_alerts():
            if isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert)):
                raise RuntimeError(alert.message())
            if on_piece is not None and isinstance(alert, lt.piece_finished_alert):
                on_piece()


def make_torrent(path):
    """A v2 torrent of a file or folder, bencoded, and its parsed form."""
    files = lt.file_storage()
    lt.add_files(files, path)
    creator = lt.create_torrent(files, 0, lt.create_torrent.v2_only)
    lt.set_piece_hashes(creator, os.path.dirname(path))
    metainfo = lt.bencode(creator.generate())
    return metainfo, lt.torrent_info(lt.bdecode(metainfo))


def since_start():
    """Seconds since this process started (its start time in /proc/self/stat, in clock ticks since boot)."""
    with open("/proc/self/stat") as stat:
        started = int(stat.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as uptime:
        return float(uptime.read().split()[0]) - started


def seed(path, torrent_out, bootstrap):
    start = time.perf_counter()
    cpu_start = cpu_seconds()
    metainfo, info = make_torrent(path)
    hash_seconds = time.perf_counter() - start
    cpu_ready = cpu_seconds()
    with open(torrent_out, "wb") as out:
        out.write(metainfo)
    session = open_session(bootstrap)
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = os.path.dirname(path)
    params.flags |= lt.torrent_flags.seed_mode
    handle = session.add_torrent(params)
    wait_until(session, handle, lambda status: status.is_seeding)
    report(
        "ready",
        port=session.listen_port(),
        magnet=lt.make_magnet_uri(info),
        hashSeconds=hash_seconds,
        hashCpuSeconds=cpu_ready - cpu_start,
        pieceLength=info.piece_length(),
        pieceCount=info.num_pieces(),
    )
    command("stop")
    cpu_served = cpu_seconds() - cpu_ready
    # libtorrent adds its peers' transfer figures to the torrent's once a second: wait for that tick.
    time.sleep(1.1)
    uploaded = handle.status().all_time_upload
    report("served", cpuSeconds=cpu_served, uploaded=uploaded)
    session.remove_torrent(handle)
    del session


def connect(handle, peers):
    for peer in peers:
        host, port = peer.rsplit(":", 1)
        handle.connect_peer((host, int(port)))


def leech(download_dir, link, bootstrap):
    if link.startswith("magnet:"):
        params = lt.parse_magnet_uri(link)
    else:
        with open(link, "rb") as source:
            params = lt.add_torrent_params()
            params.ti = lt.torrent_info(lt.bdecode(source.read()))
    session = open_session(bootstrap)
    report("ready")
    peers = command("go").get("peers", [])
    start = time.perf_counter()
    cpu_start = cpu_seconds()
    params.save_path = download_dir
    handle = session.add_torrent(params)
    connect(handle, peers)
    first = []

    def on_piece():
        if not first:
            first.append(True)
            report("first-piece", seconds=time.perf_counter() - start, sinceStart=since_start())

    wait_until(session, handle, lambda status: status.is_seeding, on_piece=on_piece)
    seconds = time.perf_counter() - start
    info = handle.torrent_file()
    report(
        "done",
        seconds=seconds,
        cpuSeconds=cpu_seconds() - cpu_start,
        bytes=info.total_size(),
        path=os.path.join(download_dir, info.files().file_path(0)),
        root=os.path.join(download_dir, info.name()),
        peers=len(peers),
    )
    command("stop")
    report("served", uploaded=handle.status().all_time_upload)
    session.remove_torrent(handle)
    del session


def seed_many(folder, torrent_dir):
    start = time.perf_counter()
    cpu_start = cpu_seconds()
    session = open_session()
    handles = []
    torrents = []
    for i, entry in enumerate(sorted(os.listdir(folder))):
        metainfo, info = make_torrent(os.path.join(folder, entry))
        torrent_file = os.path.join(torrent_dir, f"{i}.torrent")
        with open(torrent_file, "wb") as out:
            out.write(metainfo)
        torrents.append(torrent_file)
        params = lt.add_torrent_params()
        params.ti = info
        params.save_path = folder
        params.flags |= lt.torrent_flags.seed_mode
        handles.append(session.add_torrent(params))
    for handle in handles:
        wait_until(session, handle, lambda status: status.is_seeding)
    cpu_ready = cpu_seconds()
    report(
        "ready",
        port=session.listen_port(),
        torrents=torrents,
        hashSeconds=time.perf_counter() - start,
        hashCpuSeconds=cpu_ready - cpu_start,
        sinceStart=since_start(),
        rssMiB=status_field("VmRSS"),
    )
    command("stop")
    uploaded = sum(handle.status().all_time_upload for handle in handles)
    report("served", cpuSeconds=cpu_seconds() - cpu_ready, uploaded=uploaded)
    del session


def leech_many(download_dir, torrents_file):
    with open(torrents_file) as source:
        files = json.load(source)
    infos = []
    for file in files:
        with open(file, "rb") as source:
            infos.append(lt.torrent_info(lt.bdecode(source.read())))
    session = open_session()
    # Every torrent at once, as the other leechers do (libtorrent queues all but 3 downloads by default).
    session.apply_settings({"active_downloads": -1, "active_limit": -1})
    report("ready")
    peers = command("go").get("peers", [])
    start = time.perf_counter()
    cpu_start = cpu_seconds()
    handles = []
    for info in infos:
        params = lt.add_torrent_params()
        params.ti = info
        params.save_path = download_dir
        handle = session.add_torrent(params)
        connect(handle, peers)
        handles.append(handle)
    for handle in handles:
        wait_until(session, handle, lambda status: status.is_seeding)
    report(
        "done",
        seconds=time.perf_counter() - start,
        cpuSeconds=cpu_seconds() - cpu_start,
        bytes=sum(info.total_size() for info in infos),
        paths=[os.path.join(download_dir, info.name()) for info in infos],
        peers=len(peers),
    )
    command("stop")
    report("served", uploaded=0)
    del session


def main():
    args = sys.argv[1:]
    bootstrap = None
    if "--bootstrap" in args:
        at = args.index("--bootstrap")
        bootstrap = args[at + 1]
        args = args[:at]
    role, *rest = args
    if role == "seed":
        seed(rest[0], rest[1], bootstrap)
    elif role == "leech":
        leech(rest[0], rest[1], bootstrap)
    elif role == "seed-many":
        seed_many(rest[0], rest[1])
    elif role == "leech-many":
        leech_many(rest[0], rest[1])
    else:
        raise RuntimeError(f"unknown role {role}")
    report("exit", **usage())


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # reported to the orchestrator, which fails the run
        report("error", message=repr(error))
        sys.exit(1)
    sys.stdout.flush()
    os._exit(0)  # libtorrent's threads need not wind down in a benchmark peer
