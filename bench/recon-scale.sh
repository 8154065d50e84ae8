#!/usr/bin/env bash
# bench/recon-scale.sh -- recon at scale: two dkeyserv nodes of N keys that differ by D keys (D/2
# on each side) reach the union, the keys fetched over hashquery included. dkeyserv only.
#
#   npm run build && bash bench/recon-scale.sh N [GOSSIP_SECONDS]    # N = 1000000 (the target), 2000
#
# Environment: D (default 1000, even: keys held out), TIMEOUT (default 600: seconds allowed from
# the servers' start to the union), DKS_BENCH_CACHE, KEEP=1 (keep the scratch dir).
# 1. Keys: bench/gen-keys.mjs N into ${DKS_BENCH_CACHE:-/tmp/dkeyserv-bench}/keys-N, reused when
#    COMPLETE (deterministic; never commit it). The last D keys of the set are held out
#    (bench/scale-bench.js split: alternate keys to A and to B, each checked against
#    fingerprints.txt); the N - D others are the common keys.
# 2. Stores, built cheaply (timed, not part of the target): `dkeyserv import` of the common keys
#    into A's data dir once, `cp -a --reflink=auto` of it for B, then `dkeyserv import` of A's D/2
#    keys into A and of B's D/2 into B (few keys into a large store: prefix trees updated per key).
#    Each node then holds N - D/2 keys and lacks the other's D/2.
# 3. Both `dkeyserv serve --hkp 127.0.0.1:P --recon 127.0.0.1:R --peer 127.0.0.1:R_OTHER
#    --gossip-interval GOSSIP_SECONDS` (default 1 s), rate limits off, started together.
# 4. Measured, from the servers' own log lines (each recon session logs one line with startedAt,
#    reconMs and recoveryMs, docs/recon.md §9): from the start of the first session that got
#    through until both nodes have recovered the D/2 keys each lacks (the sum of `recovered` of
#    their session lines). Then `op=stats&options=mr` of both must show N keys under every recon
#    policy they keep (polled; the stats view is cached up to 10 s, so that wait is not counted).
#    Printed: every session line up to the union (begin, end, found, recovered, reconciliation
#    and fetch time), the sessions and keys fetched per node, and RssAnon of each server (peak,
#    sampled every 0.1 s, and at the end).
# Target (issue "Network scale"): N = 1,000,000, D = 1,000: union within 30 s.
# Only 127.0.0.1 is used; every loop is bounded. Scratch space: one /tmp/dks-rs-* dir, removed at
# exit with every process started here (KEEP=1 keeps the dir).
set -euo pipefail

USAGE='usage: bench/recon-scale.sh N [GOSSIP_SECONDS]'
N=${1:?$USAGE}
GOSSIP=${2:-1}
D=${D:-1000}
TIMEOUT=${TIMEOUT:-600}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CLI=$ROOT/packages/cli/dist/main.js
HELPER=$ROOT/bench/scale-bench.js

[[ $D =~ ^[0-9]+$ ]] && (( D >= 2 && D % 2 == 0 )) || { echo "D must be an even whole number >= 2" >&2; exit 2; }
[[ $N =~ ^[0-9]+$ ]] && (( N > D )) || { echo "N must be a whole number above D ($D); $USAGE" >&2; exit 2; }
[[ $GOSSIP =~ ^[0-9]+$ ]] && (( GOSSIP >= 1 && GOSSIP <= 3600 )) || { echo "GOSSIP_SECONDS must be a whole number from 1 to 3600" >&2; exit 2; }
[[ $TIMEOUT =~ ^[0-9]+$ ]] && (( TIMEOUT >= 10 )) || { echo "TIMEOUT must be a whole number of seconds >= 10" >&2; exit 2; }
[[ -f $CLI && -f $ROOT/packages/recon/dist/index.js ]] || { echo "no $CLI: run 'npm run build' first" >&2; exit 1; }
# shellcheck source=bench/scale-lib.sh
source "$ROOT/bench/scale-lib.sh"
scratch dks-rs
ms_to_s() { tr '/' '\n' <<<"$1" | awk '$1 != "-" { printf "%s%.2f", (n++ ? "/" : ""), $1 / 1000 } END { if (!n) printf "-" }'; }

echo "recon at scale: N=$N keys, D=$D held out ($((D / 2)) only on each node), gossip every $GOSSIP s; $(nproc) CPUs, node $(node --version); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. keys ---------------------------------------------------------------------------------
bench_keys "$N"
mkdir -p "$TMP/sets"
node "$HELPER" split "$KEYS" "$TMP/sets" "$D" >&2
mapfile -t COMMON <"$TMP/sets/common.list"

# --- 2. the two stores -----------------------------------------------------------------------
# import DIR FILE...: `dkeyserv import`, which must reject nothing; prints its summary line
import_keys() {
  local dir=$1 out
  shift
  out=$(node "$CLI" import --no-progress --data "$dir" "$@" 2>&1) || { echo "$out" >&2; echo "import into $dir failed" >&2; exit 1; }
  out=$(grep -E '^keys:' <<<"$out") || { echo "import into $dir printed no summary" >&2; exit 1; }
  grep -q ' 0 rejected' <<<"$out" || { echo "import into $dir: $out" >&2; exit 1; }
  echo "$out"
}
log "importing the $((N - D)) common keys into A ..."
t0=$(now)
SUMMARY=$(import_keys "$TMP/a" "${COMMON[@]}")
T_IMPORT=$(elapsed "$t0" "$(now)")
log "A: $SUMMARY ($T_IMPORT s)"
t0=$(now)
cp -a --reflink=auto "$TMP/a" "$TMP/b"
T_COPY=$(elapsed "$t0" "$(now)")
SIZE=$(du -sk "$TMP/a" | cut -f1)
log "copied to B in $T_COPY s ($(mb "$SIZE") MB)"
t0=$(now)
import_keys "$TMP/a" "$TMP/sets/only-a.pgp" >/dev/null
T_ONLY_A=$(elapsed "$t0" "$(now)")
t0=$(now)
import_keys "$TMP/b" "$TMP/sets/only-b.pgp" >/dev/null
T_ONLY_B=$(elapsed "$t0" "$(now)")
log "imported $((D / 2)) keys into A in $T_ONLY_A s, $((D / 2)) into B in $T_ONLY_B s"

# --- 3. serve --------------------------------------------------------------------------------
read -r HKP_A RECON_A HKP_B RECON_B < <(node "$ROOT/bench/quorum-bench.js" ports 4)
printf '[hkp.rateLimit]\nrequests = 0\nuploads = 0\n' >"$TMP/dkeyserv.toml"
serve() {  # serve NAME HKP RECON PEER_RECON: in the background, stopped at exit
  node "$CLI" serve --data "$TMP/$1" --config "$TMP/dkeyserv.toml" --hkp "127.0.0.1:$2" --recon "127.0.0.1:$3" \
    --peer "127.0.0.1:$4" --gossip-interval "$GOSSIP" 2>"$TMP/$1.log" &
  track $!
}
serve a "$HKP_A" "$RECON_A" "$RECON_B"
PID_A=$(tail -1 "$TMP/pids")
serve b "$HKP_B" "$RECON_B" "$RECON_A"
PID_B=$(tail -1 "$TMP/pids")
wait_serving "$TIMEOUT" "a:$PID_A" "b:$PID_B"
log "serving: A after ${READY[a]} s, B after ${READY[b]} s; waiting for the union ..."

# --- 4. until both hold the union ----------------------------------------------------------------
node "$HELPER" recon-wait "$TMP/result.env" "$TIMEOUT" "$N" \
  "a:$TMP/a.log:$PID_A:$HKP_A:$((D / 2))" "b:$TMP/b.log:$PID_B:$HKP_B:$((D / 2))" || {
  for x in a b; do echo "--- $x" >&2; grep -v '"serving HKP' "$TMP/$x.log" | tail -5 >&2; done
  exit 1
}
# shellcheck source=/dev/null
source "$TMP/result.env"

# --- table -----------------------------------------------------------------------------------
echo
echo "recon at scale: N=$N, D=$D ($((D / 2)) keys only on each node), gossip every $GOSSIP s, rate limits off"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), node $(node --version); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "common import: $SUMMARY"
echo
row() { printf '%-52s %12s %12s  %s\n' "$@"; }
row measure A B target
row 'keys at the start' "$((N - D / 2))" "$((N - D / 2))" ''
row 'import of the held-out keys s' "$T_ONLY_A" "$T_ONLY_B" ''
row 'serve start to "serving HKP" s' "${READY[a]}" "${READY[b]}" ''
row 'keys fetched over hashquery' "$FETCHED_A" "$FETCHED_B" "$((D / 2)) each"
row 'holds the union, s after the first session began' "$DONE_A" "$DONE_B" ''
row 'session lines until then (completed/failed)' "$SESSIONS_A/$FAILED_A" "$SESSIONS_B/$FAILED_B" ''
row 'reconciliation s, sessions that found keys' "$(ms_to_s "$RECON_MS_A")" "$(ms_to_s "$RECON_MS_B")" ''
row 'fetch s, sessions that found keys' "$(ms_to_s "$FETCH_MS_A")" "$(ms_to_s "$FETCH_MS_B")" ''
row 'RssAnon peak MB (from start to the union)' "$(mb "$PEAK_A")" "$(mb "$PEAK_B")" ''
row 'RssAnon at the end MB' "$(mb "$RSS_A")" "$(mb "$RSS_B")" ''
echo
printf '%-52s %12s  %s\n' 'first session began -> both hold the union s' "$T_UNION" '<= 30 at N = 1,000,000'
printf '%-52s %12s  %s\n' "import of the $((N - D)) common keys s" "$T_IMPORT" 'not part of the target'
printf '%-52s %12s  %s\n' "cp -a of the data dir s ($(mb "$SIZE") MB)" "$T_COPY" 'not part of the target'
echo "(stats showed $N keys under every recon policy on both $STATS_S s after the logs did; sessions that failed before the first one got through: $FAILED_BEFORE; load after: $(cut -d' ' -f1-3 /proc/loadavg))"
