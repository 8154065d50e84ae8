#!/usr/bin/env bash
# bench/http-floor.sh -- what bare node:http does on this machine with wrk beside it, to read the
# HKP numbers of bench/scale.sh against: one fixed body of BYTES (default 1000, about one armored
# Ed25519 key), 1 process and WORKERS (default: the number of CPUs) cluster processes, keep-alive
# and `Connection: close`, wrk -t2 -c16 like scale.sh, RUNS runs of SECONDS (medians). Each is
# measured twice: wrk on one fixed URL, and wrk running bench/random-paths.lua, as scale.sh does (a random path out
# of 10,000 op=get paths per request), whose own cost on the shared 2 cores is part of what
# scale.sh measures.
#
#   bash bench/http-floor.sh [RUNS] [SECONDS] [BYTES]
#
# Only 127.0.0.1; each server is stopped after its runs.
set -euo pipefail
RUNS=${1:-3}
SECS=${2:-5}
BYTES=${3:-1000}
WORKERS=${WORKERS:-$(nproc)}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
command -v wrk >/dev/null || { echo "no wrk (apt-get install wrk)" >&2; exit 1; }
[[ $RUNS =~ ^[0-9]+$ && $SECS =~ ^[0-9]+$ && $BYTES =~ ^[0-9]+$ ]] || { echo "usage: bench/http-floor.sh [RUNS] [SECONDS] [BYTES]" >&2; exit 2; }

PID=''
LUA=$ROOT/bench/random-paths.lua PATHS=$(mktemp)
trap '[[ -n $PID ]] && kill "$PID" 2>/dev/null; rm -f "$PATHS"; true' EXIT
# paths shaped like scale.sh's op=get requests (the floor server answers any path alike)
node -e 'const c = require("node:crypto"); for (let i = 0; i < 10000; i++) console.log("/pks/lookup?op=get&options=mr&search=0x" + c.randomBytes(20).toString("hex").toUpperCase())' >"$PATHS"
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "HTTP floor: node $(node --version), $(nproc) CPUs, body $BYTES bytes, wrk -t2 -c16 -d${SECS}s, $RUNS runs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for w in 1 "$WORKERS"; do
  out=$(mktemp)
  node "$ROOT/bench/http-floor.js" "$BYTES" "$w" >"$out" &
  PID=$!
  port=''
  for _ in $(seq 1 100); do port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$out"); [[ -n $port ]] && break; sleep 0.1; done
  [[ -n $port ]] || { echo "the floor server did not start" >&2; exit 1; }
  for c in keepalive close; do
    hdr=(); [[ $c == close ]] && hdr=(-H 'Connection: close')
    for how in fixed lua; do
      rates=()
      for (( i = 1; i <= RUNS; i++ )); do
        if [[ $how == fixed ]]; then
          rates+=("$(wrk -t2 -c16 -d"${SECS}s" "${hdr[@]}" "http://127.0.0.1:$port/" | awk '/^Requests\/sec:/ { print $2 }')")
        else
          rates+=("$(wrk -t2 -c16 -d"${SECS}s" "${hdr[@]}" -s "$LUA" "http://127.0.0.1:$port" -- "$PATHS" | awk '/^Requests\/sec:/ { print $2 }')")
        fi
      done
      printf 'processes %s  %-9s  wrk %-5s  req/s median %s  (runs: %s)\n' "$w" "$c" "$how" "$(printf '%s\n' "${rates[@]}" | median)" "${rates[*]}"
    done
  done
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=''; rm -f "$out"
done
