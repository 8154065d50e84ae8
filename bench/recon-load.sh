#!/usr/bin/env bash
# bench/recon-load.sh -- HKP under load while recon brings in 3,000 keys: wrk at 64 connections
# on random keys of node A while node B, holding 3,000 keys more, peers with it. dkeyserv only.
#
#   npm run build && bash bench/recon-load.sh N [SECONDS]        # N = 100000; SECONDS default 60
#
# Environment: EXTRA (default 3000: keys only B holds), PATHS (default 20000), B_AFTER (default
# SECONDS/4: seconds into the wrk run at which B starts), TIMEOUT (default 600), DKS_BENCH_CACHE,
# KEEP=1 (keep the scratch dir).
# 1. Keys: bench/gen-keys.mjs N into ${DKS_BENCH_CACHE:-/tmp/dkeyserv-bench}/keys-N (reused when
#    COMPLETE). bench/scale-bench.js split holds out the last 2 × EXTRA keys, alternately "only A"
#    and "only B". A imports the common keys and its half: N - EXTRA keys. B is a copy of A
#    (`cp -a --reflink=auto`) plus B's half: all N keys, EXTRA more than A.
# 2. A: `dkeyserv serve --peer B --gossip-interval 1` (the default HKP worker count, rate limits
#    off); B is not running yet, so A's gossip fails quietly. RssAnon of A (the serve process and
#    its HKP workers) is read before the load.
# 3. wrk -t2 -c64 -dSECONDS --latency, keep-alive, bench/random-paths.lua over PATHS random
#    non-revoked common keys (op=get&options=mr by fingerprint: every one must answer 200).
#    B_AFTER seconds in, B starts (`--peer A --gossip-interval 1`); bench/scale-bench.js
#    recon-wait watches A's log until A has recovered the EXTRA keys and its stats show N.
# 4. Printed: wrk's requests/s, p50/p99/max latency, its "Non-2xx or 3xx responses" count and
#    socket errors (all must be 0: the script exits 1 otherwise), RssAnon of A's processes before
#    the load, its peak (sampled every 0.5 s) and after, and when A held the union (seconds
#    after B started and whether within the wrk run), with A's recon sessions until then.
# Only 127.0.0.1 is used; every loop is bounded. Scratch space: one /tmp/dks-rl-* dir, removed
# at exit with every process started here (KEEP=1 keeps the dir).
set -euo pipefail

USAGE='usage: bench/recon-load.sh N [SECONDS]'
N=${1:?$USAGE}
SECS=${2:-60}
EXTRA=${EXTRA:-3000}
PATHS=${PATHS:-20000}
B_AFTER=${B_AFTER:-$(( SECS / 4 ))}
TIMEOUT=${TIMEOUT:-600}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CLI=$ROOT/packages/cli/dist/main.js
HELPER=$ROOT/bench/scale-bench.js
LUA=$ROOT/bench/random-paths.lua

[[ $EXTRA =~ ^[0-9]+$ ]] && (( EXTRA >= 1 )) || { echo "EXTRA must be a whole number >= 1" >&2; exit 2; }
[[ $N =~ ^[0-9]+$ ]] && (( N > 3 * EXTRA )) || { echo "N must be a whole number above 3 × EXTRA ($((3 * EXTRA))); $USAGE" >&2; exit 2; }
[[ $SECS =~ ^[0-9]+$ ]] && (( SECS >= 5 && SECS <= 3600 )) || { echo "SECONDS must be a whole number from 5 to 3600" >&2; exit 2; }
[[ $B_AFTER =~ ^[0-9]+$ ]] && (( B_AFTER < SECS )) || { echo "B_AFTER must be a whole number of seconds below SECONDS" >&2; exit 2; }
[[ $PATHS =~ ^[0-9]+$ ]] && (( PATHS >= 1 )) || { echo "PATHS must be >= 1" >&2; exit 2; }
[[ $TIMEOUT =~ ^[0-9]+$ ]] && (( TIMEOUT >= 10 )) || { echo "TIMEOUT must be a whole number of seconds >= 10" >&2; exit 2; }
[[ -f $CLI && -f $ROOT/packages/recon/dist/index.js ]] || { echo "no $CLI: run 'npm run build' first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "no wrk (apt-get install wrk)" >&2; exit 1; }
# shellcheck source=bench/scale-lib.sh
source "$ROOT/bench/scale-lib.sh"
scratch dks-rl

# rss_all PID: RssAnon in kB of PID and its children (the HKP workers)
rss_all() {
  local p sum=0 kb
  for p in "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
    kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    sum=$(( sum + ${kb:-0} ))
  done
  echo "$sum"
}

echo "HKP under recon: N=$N keys, A holds $((N - EXTRA)), B $EXTRA more; wrk -t2 -c64 -d${SECS}s, B starts ${B_AFTER} s in; $(nproc) CPUs, node $(node --version); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. keys and stores ----------------------------------------------------------------------
bench_keys "$N"
mkdir -p "$TMP/sets"
node "$HELPER" split "$KEYS" "$TMP/sets" $(( 2 * EXTRA )) >&2
mapfile -t COMMON <"$TMP/sets/common.list"
import_keys() {  # import_keys DIR FILE...: must reject nothing
  local dir=$1 out
  shift
  out=$(node "$CLI" import --no-progress --data "$dir" "$@" 2>&1) || { echo "$out" >&2; echo "import into $dir failed" >&2; exit 1; }
  grep -qE '^keys:.* 0 rejected' <<<"$out" || { echo "$out" >&2; echo "import into $dir rejected keys" >&2; exit 1; }
}
log "importing $((N - EXTRA)) keys into A ..."
t0=$(now)
import_keys "$TMP/a" "${COMMON[@]}" "$TMP/sets/only-a.pgp"
log "A imported in $(elapsed "$t0" "$(now)") s; copying to B and adding its $EXTRA keys ..."
cp -a --reflink=auto "$TMP/a" "$TMP/b"
import_keys "$TMP/b" "$TMP/sets/only-b.pgp"

# request paths: PATHS random non-revoked common keys (A has them all along)
paste -d' ' <(seq 0 $((N - 1))) "$KEYS/fingerprints.txt" | \
  awk -v common=$((N - 2 * EXTRA)) 'NR == FNR { rev[$1] = 1; next } $1 < common && !($1 in rev)' "$KEYS/revoked.txt" - | \
  shuf -n "$PATHS" --random-source=<(yes dkeyserv-bench) | \
  awk '{ print "/pks/lookup?op=get&options=mr&search=0x" $2 }' >"$TMP/get.paths"

# --- 2. A serves --------------------------------------------------------------------------------
read -r HKP_A RECON_A HKP_B RECON_B < <(node "$ROOT/bench/quorum-bench.js" ports 4)
printf '[hkp.rateLimit]\nrequests = 0\nuploads = 0\n' >"$TMP/dkeyserv.toml"
serve() {  # serve NAME HKP RECON PEER_RECON: in the background, stopped at exit
  node "$CLI" serve --data "$TMP/$1" --config "$TMP/dkeyserv.toml" --hkp "127.0.0.1:$2" --recon "127.0.0.1:$3" \
    --peer "127.0.0.1:$4" --gossip-interval 1 2>"$TMP/$1.log" &
  track $!
}
serve a "$HKP_A" "$RECON_A" "$RECON_B"
PID_A=$(tail -1 "$TMP/pids")
wait_serving "$TIMEOUT" "a:$PID_A"
URL=http://127.0.0.1:$HKP_A
while read -r p; do
  s=$(curl -s -o /dev/null -w '%{http_code}' "$URL$p")
  [[ $s == 200 ]] || { echo "$URL$p answered $s before the load" >&2; exit 1; }
done < <(head -50 "$TMP/get.paths")
log "A serving after ${READY[a]} s; warm-up (5 s of wrk) ..."
wrk -t2 -c64 -d5s --timeout 10s -s "$LUA" "$URL" -- "$TMP/get.paths" >/dev/null
sleep 2
RSS_BEFORE=$(rss_all "$PID_A")

# --- 3. the load, and B in the middle of it ------------------------------------------------------
log "wrk for $SECS s; B starts after $B_AFTER s ..."
T_WRK=$(now)
wrk -t2 -c64 -d"${SECS}s" --timeout 10s --latency -s "$LUA" "$URL" -- "$TMP/get.paths" >"$TMP/wrk.out" 2>&1 &
WRK=$!
track "$WRK"
PEAK=$RSS_BEFORE
sample_until() {  # sample A's RssAnon every 0.5 s until $1 seconds after T_WRK (or wrk ends)
  while kill -0 "$WRK" 2>/dev/null && awk -v a="$T_WRK" -v b="$(now)" -v s="$1" 'BEGIN { exit !(b - a < s) }'; do
    r=$(rss_all "$PID_A"); (( r > PEAK )) && PEAK=$r
    sleep 0.5
  done
}
sample_until "$B_AFTER"
T_B=$(now)
serve b "$HKP_B" "$RECON_B" "$RECON_A"
PID_B=$(tail -1 "$TMP/pids")
node "$HELPER" recon-wait "$TMP/result.env" "$TIMEOUT" "$N" "a:$TMP/a.log:$PID_A:$HKP_A:$EXTRA" >"$TMP/recon-wait.out" 2>&1 &
RW=$!
track "$RW"
sample_until "$SECS"
wait "$WRK" || { cat "$TMP/wrk.out" >&2; echo "wrk failed" >&2; exit 1; }
RSS_AFTER_WRK=$(rss_all "$PID_A")
log "wrk done; waiting for A to hold the union ..."
if wait "$RW"; then
  T_RW=$(now)
  UNION_OK=1
  # shellcheck source=/dev/null
  source "$TMP/result.env"
else
  UNION_OK=0
fi
RSS_END=$(rss_all "$PID_A")

# --- 4. results --------------------------------------------------------------------------------
R=$(grep '^RESULT' "$TMP/wrk.out") || { cat "$TMP/wrk.out" >&2; echo "wrk printed no RESULT" >&2; exit 1; }
val() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$R"; }
NON2XX=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$TMP/wrk.out")
NON2XX=${NON2XX:-0}
SOCKET_ERRORS=$(( $(val connect) + $(val read) + $(val write) + $(val timeout) ))
echo
echo "HKP under recon: N=$N, A $((N - EXTRA)) keys + $EXTRA by recon from B; wrk -t2 -c64 -d${SECS}s keep-alive, $PATHS random keys (op=get), rate limits off"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), node $(node --version), $(wrk --version 2>&1 | head -1 | awk '{ print $1, $2 }'); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
row() { printf '%-64s %14s  %s\n' "$@"; }
row measure value target
row 'requests' "$(val requests)" ''
row 'requests/s' "$(val req_s)" ''
row 'latency p50 / p99 / max ms' "$(val p50_ms) / $(val p99_ms) / $(val max_ms)" ''
row 'Non-2xx or 3xx responses' "$NON2XX" '0'
row 'socket errors (connect/read/write/timeout)' "$SOCKET_ERRORS" '0'
row 'RssAnon of A, all processes, before the load MB' "$(mb "$RSS_BEFORE")" ''
row 'RssAnon peak during the load MB' "$(mb "$PEAK")" ''
row 'RssAnon after the load MB' "$(mb "$RSS_AFTER_WRK")" ''
row 'RssAnon at the end (union held) MB' "$(mb "$RSS_END")" ''
if (( UNION_OK )); then
  UNION_AFTER_B=$(awk -v b="$T_B" -v e="$T_RW" -v s="$STATS_S" 'BEGIN { printf "%.1f", e - b - s }')
  UNION_IN_WRK=$(awk -v w="$T_WRK" -v e="$T_RW" -v s="$STATS_S" -v d="$SECS" 'BEGIN { print (e - s - w <= d) ? "yes" : "no" }')
  row 'A held the union, s after B started' "$UNION_AFTER_B" ''
  row '... within the wrk run' "$UNION_IN_WRK" 'yes'
  row 'first recon session that got through began, s after B started' "$(awk -v u="$UNION_AFTER_B" -v t="$T_UNION" 'BEGIN { printf "%.1f", u - t }')" ''
  row 'that session began -> union s' "$T_UNION" ''
  row 'keys A fetched over hashquery' "$FETCHED_A" "$EXTRA"
  echo
  # A's sessions (without its dials before B listened)
  grep -E '^(node|  began)' "$TMP/recon-wait.out" | grep -v 'ECONNREFUSED' || true
else
  row 'A held the union' 'NO' "within $TIMEOUT s"
  tail -5 "$TMP/recon-wait.out" >&2
fi
echo "(B started ${B_AFTER} s into the run; load after: $(cut -d' ' -f1-3 /proc/loadavg))"
(( NON2XX == 0 && SOCKET_ERRORS == 0 && UNION_OK )) || { echo "FAILED: errors during the load or no union" >&2; exit 1; }
