#!/usr/bin/env bash
# bench/import.sh -- import debian-keyring into a real SKS and into dkeyserv, side by side.
#
#   npm run build && bash bench/import.sh [RUNS] [KEYRING]
#
# RUNS (default 7, minimum 5) alternating runs of each, after one untimed warm-up of each:
#   SKS:      scripts/sks-peer.sh build (build + cleandb + pbuild into a fresh dir, no
#             daemons): the time SKS itself reports in DIR/import.times ("total"), i.e.
#             import to ready-to-serve, without signature checks.
#   dkeyserv: `node packages/cli/dist/main.js import --data FRESH_DIR KEYRING`: wall time of
#             the whole command, Node startup included.
# Prints every run, the medians, and the ratio dkeyserv/SKS (< 1 means dkeyserv is faster).
# Only loopback is used (nothing is: no daemons start).  Needs the Debian packages sks and
# debian-keyring.  Scratch space is one /tmp/dks-bench-* dir, removed at exit.
set -euo pipefail

RUNS=${1:-7}
KEYRING=${2:-/usr/share/keyrings/debian-keyring.gpg}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CLI=$ROOT/packages/cli/dist/main.js
SKS_PEER=$ROOT/scripts/sks-peer.sh

[[ $RUNS =~ ^[0-9]+$ ]] && (( RUNS >= 5 )) || { echo "RUNS must be >= 5" >&2; exit 2; }
[[ -f $KEYRING ]] || { echo "no keyring $KEYRING (apt-get install debian-keyring)" >&2; exit 1; }
[[ -f $CLI ]] || { echo "no $CLI: run 'npm run build' first" >&2; exit 1; }
[[ -x ${SKS:-/usr/sbin/sks} ]] || { echo "no SKS binary (apt-get install sks)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/dks-bench-XXXXXX)   # short: SKS puts AF_UNIX sockets under it
trap 'rm -rf "$TMP"' EXIT

now() { date +%s.%N; }

# one SKS import; prints its total seconds
sks_run() {
  local d; d=$(mktemp -d "$TMP/s.XXXX")
  bash "$SKS_PEER" build "$d" -k "$KEYRING" 2>"$d.log" || { cat "$d.log" >&2; exit 1; }
  rm -f "$d.log"
  sed -n 's/.*total=\([0-9.]*\).*/\1/p' "$d/import.times"
  rm -rf "$d"
}

# one dkeyserv import; prints its wall seconds
dk_run() {
  local d t0 t1; d=$(mktemp -d "$TMP/d.XXXX")
  t0=$(now)
  node "$CLI" import --data "$d/data" "$KEYRING" >"$d/out" 2>&1 || { cat "$d/out" >&2; echo "dkeyserv import failed" >&2; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
  rm -rf "$d"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "import benchmark: $(basename "$KEYRING") ($(du -h "$KEYRING" | cut -f1)), $RUNS runs each, $(nproc) CPUs, $(node --version), $(dpkg-query -W -f '${Version}' sks 2>/dev/null || echo 'sks ?')"

# untimed warm-up of both (also shows how many keys dkeyserv stored)
d=$(mktemp -d "$TMP/w.XXXX")
node "$CLI" import --data "$d/data" "$KEYRING" >"$d/out" 2>&1 || { cat "$d/out" >&2; echo "dkeyserv import failed" >&2; exit 1; }
echo "warm-up: dkeyserv stored $(node "$CLI" hashes --data "$d/data" | wc -l) keys; SKS: $(sks_run) s"
rm -rf "$d"

sks_times=() dk_times=()
for (( i = 1; i <= RUNS; i++ )); do
  s=$(sks_run); k=$(dk_run)
  sks_times+=("$s"); dk_times+=("$k")
  printf 'run %d: sks %s s  dkeyserv %s s\n' "$i" "$s" "$k"
done

ms=$(printf '%s\n' "${sks_times[@]}" | median)
mk=$(printf '%s\n' "${dk_times[@]}" | median)
printf 'median: sks %s s  dkeyserv %s s  ratio dkeyserv/sks %s\n' "$ms" "$mk" \
  "$(awk -v a="$mk" -v b="$ms" 'BEGIN { printf "%.2f", a / b }')"
