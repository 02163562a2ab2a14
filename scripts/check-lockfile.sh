#!/usr/bin/env bash
# Checks that `npm ci` accepts package-lock.json, as CI runs it.
#
# The npm registry reachable from our machines mirrors only some platform
# builds of packages that ship native binaries as optional dependencies
# (Biome, turbo, rollup, ...). When one is missing, `npm install` leaves it out
# of the lockfile and `npm ci` then refuses that lockfile. Run this after every
# dependency change; if it fails, pick a version whose platform packages are
# all present (see docs/decisions.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
git ls-files -z -- package.json package-lock.json '*/package.json' | xargs -0 -I{} cp --parents {} "$tmp"
cp package.json package-lock.json "$tmp"
for manifest in packages/*/package.json examples/*/package.json; do
  [ -f "$manifest" ] && cp --parents "$manifest" "$tmp"
done
cd "$tmp"
if npm ci --ignore-scripts --no-audit --no-fund >"$tmp/ci.log" 2>&1; then
  echo "npm ci accepts package-lock.json"
else
  grep -E 'Missing|error' "$tmp/ci.log" | grep -v nodedir | head -20
  exit 1
fi
