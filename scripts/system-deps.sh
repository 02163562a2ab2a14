#!/bin/sh
# Installs the Debian packages the tests need, when they are missing: the
# tracker's tests run a real PostgreSQL, the aria2c BitTorrent client and
# libtorrent's Python binding, Python's `cryptography` reads the
# private-share vector, the proxy tests run a real SOCKS5 server
# (microsocks) and Tor (offline), the daemon's Transmission RPC tests run
# Transmission's own client (transmission-remote, package transmission-cli),
# the browser tests drive Debian's headless Chromium
# (chromium-headless-shell) through playwright-core, and a C compiler builds
# @mycel/wire's native ChaCha20 (`npm run build:native`, against the running
# Node's own headers). `npm test` runs this first.
#
# As root with apt-get, what is missing is installed (apt-get update first,
# once). Otherwise the script says exactly what to install and exits 1, so
# that no test ever skips because a service is absent.
#
#   scripts/system-deps.sh           install what is missing (root) or say what to install
#   scripts/system-deps.sh --check   only say what is missing (exit 1 if anything is)
set -eu

missing=''

# PostgreSQL: Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<version>/bin.
has_postgres() {
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && return 0
  done
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1
}

# libtorrent's binding is installed for Debian's own Python (/usr/bin/python3), which a
# python3 earlier in PATH (pyenv, a virtualenv) does not see: the tests use /usr/bin/python3.
has_libtorrent() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1
}

has_python_cryptography() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import cryptography' >/dev/null 2>&1
}

# Debian's headless Chromium for the browser tests, or the one MYCEL_CHROMIUM names.
has_chromium() {
  if [ -n "${MYCEL_CHROMIUM:-}" ]; then
    [ -x "$MYCEL_CHROMIUM" ] && return 0
    echo "system-deps: MYCEL_CHROMIUM is $MYCEL_CHROMIUM, which is not an executable" >&2
    return 1
  fi
  command -v chromium-headless-shell >/dev/null 2>&1
}

check() {
  missing=''
  has_postgres || missing="$missing postgresql"
  command -v aria2c >/dev/null 2>&1 || missing="$missing aria2"
  has_libtorrent || missing="$missing python3-libtorrent"
  has_python_cryptography || missing="$missing python3-cryptography"
  command -v microsocks >/dev/null 2>&1 || missing="$missing microsocks"
  command -v tor >/dev/null 2>&1 || missing="$missing tor"
  command -v transmission-remote >/dev/null 2>&1 || missing="$missing transmission-cli"
  has_chromium || missing="$missing chromium-headless-shell"
  command -v cc >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
  missing="${missing# }"
}

check
[ -z "$missing" ] && exit 0

if [ "${1:-}" = '--check' ]; then
  echo "system-deps: missing Debian packages: $missing" >&2
  exit 1
fi

uid=$(id -u 2>/dev/null || echo unknown)
if [ "$uid" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  {
    echo "system-deps: the tests need these Debian packages, which are not installed: $missing"
    echo "system-deps: install them as root, then run the tests again:"
    echo "    apt-get update && apt-get install -y --no-install-recommends $missing"
    echo "system-deps: (on another system, install PostgreSQL's server programs, aria2c,"
    echo "system-deps:  libtorrent's Python 3 binding for /usr/bin/python3, microsocks, tor, transmission-remote,"
    echo "system-deps:  a C compiler (cc) and a headless Chromium, whose path goes in MYCEL_CHROMIUM)"
  } >&2
  exit 1
fi

echo "system-deps: installing $missing (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg run on this machine instead of failing at once.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 "$@"; }
apt_get update -qq
# shellcheck disable=SC2086 # one word per package
apt_get install -y -qq --no-install-recommends $missing >/dev/null

check
if [ -n "$missing" ]; then
  echo "system-deps: still missing after apt-get install: $missing" >&2
  exit 1
fi
echo 'system-deps: done' >&2
