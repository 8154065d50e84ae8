#!/usr/bin/env bash
# bench/scale.sh -- N generated keys through a real SKS and through dkeyserv: import, serve, disk.
#
#   npm run build && bash bench/scale.sh N [RUNS] [SECONDS]      # N = 100000, 1000000
#
# 1. Keys: bench/gen-keys.mjs N into ${DKS_BENCH_CACHE:-/tmp/dkeyserv-bench}/keys-N, reused
#    when that directory is COMPLETE (generation is deterministic; never commit the output).
# 2. Import (one run each, SKS first), wall time and peak private memory: RssAnon summed over
#    the import's processes (its own session: worker threads are in the same process), sampled
#    every 0.2 s from /proc/PID/status.
#      SKS:      scripts/sks-peer.sh build DIR -k KEYS -b fastbuild: `sks fastbuild`, `sks
#                cleandb`, `sks pbuild` (the time of these three as SKS reports it in
#                DIR/import.times; copying the dump files into DIR is not counted)
#      dkeyserv: `node packages/cli/dist/main.js import --data DIR KEYS/*.pgp` (wall time,
#                Node startup included)
# 3. Serve: SKS via scripts/sks-peer.sh start (db + recon, -G no gossip, debuglevel 3);
#    dkeyserv `serve --recon none` with [hkp.rateLimit] requests = 0, uploads = 0.
# 4. wrk -t2 -c16 -dSECONDS (default 10), RUNS (default 3) runs alternating the order of the
#    servers, after a 3 s warm-up of each, with a Lua script that picks a random path from
#    PATHS (default 20000) distinct non-revoked keys of the set:
#      get:   /pks/lookup?op=get&options=mr&search=0x<FINGERPRINT>
#      index: /pks/lookup?op=index&options=mr&exact=on&search=<E-MAIL>
#    each with HTTP keep-alive and with a `Connection: close` header (SKS answers HTTP/1.0 and
#    closes every connection either way).  Medians of req/s and p99; non-2xx answers and socket
#    errors are counted and must be 0.
# 5. RssAnon of each server after the wrk runs (SKS: db + recon; dkeyserv: the serve process and
#    its HTTP worker processes), disk (du) of each data dir
#    (SKS: DB, PTree and the dump files that fastbuild's DB points into).
# Prints every run and one table with the ratios dkeyserv/SKS.  Only 127.0.0.1 is used; every
# loop is bounded.  Scratch space: one /tmp/dks-scale-* dir, removed at exit (KEEP=1 keeps it).
set -euo pipefail

N=${1:?usage: bench/scale.sh N [RUNS] [SECONDS]}
RUNS=${2:-3}
SECS=${3:-10}
PATHS=${PATHS:-20000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CLI=$ROOT/packages/cli/dist/main.js
SKS_PEER=$ROOT/scripts/sks-peer.sh

[[ $N =~ ^[0-9]+$ ]] && (( N >= 100 )) || { echo "N must be a whole number >= 100" >&2; exit 2; }
[[ $RUNS =~ ^[0-9]+$ ]] && (( RUNS >= 1 )) || { echo "RUNS must be >= 1" >&2; exit 2; }
[[ $SECS =~ ^[0-9]+$ ]] && (( SECS >= 1 )) || { echo "SECONDS must be >= 1" >&2; exit 2; }
[[ -f $CLI ]] || { echo "no $CLI: run 'npm run build' first" >&2; exit 1; }
[[ -x ${SKS:-/usr/sbin/sks} ]] || { echo "no SKS binary (apt-get install sks)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "no wrk (apt-get install wrk)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/dks-scale-XXXXXX)   # short: SKS puts AF_UNIX sockets under it
DKPID=''
cleanup() {
  [[ -n $DKPID ]] && kill "$DKPID" 2>/dev/null && wait "$DKPID" 2>/dev/null || true
  [[ -d $TMP/sks ]] && bash "$SKS_PEER" stop "$TMP/sks" >/dev/null 2>&1 || true
  [[ ${KEEP:-0} == 1 ]] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shared with recon-scale.sh and quorum-scale.sh: log, now, elapsed, mb, bench_keys
# shellcheck source=bench/scale-lib.sh
source "$ROOT/bench/scale-lib.sh"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$1" || echo 000; }
rss_anon() { awk '/^RssAnon:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# RssAnon of a process and all its descendants (serve's HTTP worker processes)
rss_anon_tree() {
  local sum; sum=$(rss_anon "$1")
  for c in $(pgrep -P "$1" 2>/dev/null); do sum=$(( sum + $(rss_anon_tree "$c") )); done
  echo "$sum"
}

# --- 1. keys -------------------------------------------------------------------------------
bench_keys "$N"
KEY_FILES=("$KEYS"/sks-dump-*.pgp)

# --- 2. imports ----------------------------------------------------------------------------
# measured CMD...: runs CMD in its own session; sets M_SECS (wall) and M_PEAK (kB: the largest
# sum of RssAnon over the session's processes, sampled every 0.2 s)
measured() {
  local t0 pid sid peak=0 sum p rc=0
  t0=$(now)
  setsid "$@" &
  pid=$!
  sid=$pid
  local n=0
  # bounded: 6 h of samples; a zombie (exited, not yet reaped) counts as ended
  while (( n++ < 108000 )) && kill -0 "$pid" 2>/dev/null && [[ $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) != Z ]]; do
    sum=0
    for p in $(pgrep -s "$sid" 2>/dev/null); do sum=$(( sum + $(rss_anon "$p") )); done
    (( sum > peak )) && peak=$sum
    sleep 0.2
  done
  wait "$pid" || rc=$?
  M_SECS=$(elapsed "$t0" "$(now)")
  M_PEAK=$peak
  return $rc
}

log "SKS: fastbuild + cleandb + pbuild of $N keys ..."
measured bash "$SKS_PEER" build "$TMP/sks" -k "$KEYS" -b fastbuild 2>"$TMP/sks-build.log" || { cat "$TMP/sks-build.log" >&2; exit 1; }
SKS_TIMES=$(cat "$TMP/sks/import.times")
SKS_IMPORT=$(sed -n 's/.*total=\([0-9.]*\).*/\1/p' <<<"$SKS_TIMES")
SKS_IMPORT_PEAK=$M_PEAK
log "SKS: $SKS_TIMES; peak RssAnon $(mb "$SKS_IMPORT_PEAK") MB"

log "dkeyserv: import of $N keys ..."
mkdir -p "$TMP/dk"
measured node "$CLI" import --no-progress --data "$TMP/dk/data" "${KEY_FILES[@]}" >"$TMP/dk/import.out" 2>&1 || { cat "$TMP/dk/import.out" >&2; exit 1; }
DK_IMPORT=$M_SECS
DK_IMPORT_PEAK=$M_PEAK
DK_IMPORT_SUMMARY=$(grep -E '^keys:' "$TMP/dk/import.out" || true)
log "dkeyserv: $DK_IMPORT s ($DK_IMPORT_SUMMARY); peak RssAnon $(mb "$DK_IMPORT_PEAK") MB"
grep -q ' 0 rejected' <<<"$DK_IMPORT_SUMMARY" || { cat "$TMP/dk/import.out" >&2; echo "dkeyserv rejected keys" >&2; exit 1; }

SKS_DISK=$(du -sk "$TMP/sks/var/lib/sks" | cut -f1)
DK_DISK=$(du -sk "$TMP/dk/data" | cut -f1)

# --- 3. serve ------------------------------------------------------------------------------
log "starting SKS ..."
out=$(bash "$SKS_PEER" start "$TMP/sks" auto auto -d 3 -G -t 600 -w $$ 2>"$TMP/sks-start.log") || { cat "$TMP/sks-start.log" >&2; exit 1; }
SKS_PORT=$(sed -n 's/.*hkp_port=\([0-9]*\).*/\1/p' <<<"$out")
SKS_URL=http://127.0.0.1:$SKS_PORT

log "starting dkeyserv ..."
printf '[hkp.rateLimit]\nrequests = 0\nuploads = 0\n' >"$TMP/dk/dkeyserv.toml"
node "$CLI" serve --data "$TMP/dk/data" --config "$TMP/dk/dkeyserv.toml" --hkp 127.0.0.1:0 --recon none 2>"$TMP/dk/serve.log" &
DKPID=$!
DK_PORT=''
for _ in $(seq 1 600); do
  DK_PORT=$(sed -n 's#.*serving HKP on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$TMP/dk/serve.log" | head -1)
  [[ -n $DK_PORT ]] && [[ $(status "http://127.0.0.1:$DK_PORT/pks/health") == 200 ]] && break
  DK_PORT=''
  kill -0 "$DKPID" 2>/dev/null || { cat "$TMP/dk/serve.log" >&2; echo "dkeyserv serve died" >&2; exit 1; }
  sleep 0.1
done
[[ -n $DK_PORT ]] || { cat "$TMP/dk/serve.log" >&2; echo "dkeyserv did not start" >&2; exit 1; }
DK_URL=http://127.0.0.1:$DK_PORT

# --- request paths: PATHS distinct non-revoked keys, the same choice every run ---------------
paste -d' ' <(seq 0 $((N - 1))) "$KEYS/fingerprints.txt" "$KEYS/emails.txt" | \
  awk 'NR == FNR { rev[$1] = 1; next } !($1 in rev)' "$KEYS/revoked.txt" - | \
  shuf -n "$PATHS" --random-source=<(yes dkeyserv-bench) >"$TMP/chosen"
awk '{ print "/pks/lookup?op=get&options=mr&search=0x" $2 }' "$TMP/chosen" >"$TMP/get.paths"
awk '{ print "/pks/lookup?op=index&options=mr&exact=on&search=" $3 }' "$TMP/chosen" >"$TMP/index.paths"
log "checking 100 paths of each kind on both servers ..."
for kind in get index; do
  while read -r p; do
    for u in "$SKS_URL" "$DK_URL"; do
      s=$(status "$u$p"); [[ $s == 200 ]] || { echo "$u$p answered $s" >&2; exit 1; }
    done
  done < <(head -100 "$TMP/$kind.paths")
done

# --- 4. wrk --------------------------------------------------------------------------------
# a random path of the kind's list per request; one RESULT line at the end
LUA=$ROOT/bench/random-paths.lua
# run_wrk URL KIND SECS CONN: prints "REQ_S P99_MS ERRORS"
run_wrk() {
  local url=$1 kind=$2 secs=$3 conn=$4 o r
  local hdr=(); [[ $conn == close ]] && hdr=(-H 'Connection: close')
  o=$(wrk -t2 -c16 -d"${secs}s" --timeout 10s "${hdr[@]}" -s "$LUA" "$url" -- "$TMP/$kind.paths" 2>&1) || { echo "$o" >&2; exit 1; }
  r=$(grep '^RESULT' <<<"$o") || { echo "$o" >&2; echo "wrk printed no RESULT" >&2; exit 1; }
  awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
         printf "%s %s %d\n", v["req_s"], v["p99_ms"], v["status_errors"] + v["connect"] + v["read"] + v["write"] + v["timeout"] }' <<<"$r"
}

declare -A URL=([sks]=$SKS_URL [dk]=$DK_URL)
declare -A LABEL=([sks]=SKS [dk]=dkeyserv)
log "warm-up ..."
for kind in get index; do for s in sks dk; do for c in keepalive close; do run_wrk "${URL[$s]}" "$kind" 3 "$c" >/dev/null; done; done; done

declare -A REQ P99 ERR
for (( i = 1; i <= RUNS; i++ )); do
  if (( i % 2 )); then order=(sks dk); else order=(dk sks); fi
  for kind in get index; do
    for c in keepalive close; do
      line="run $i $kind $c:"
      for s in "${order[@]}"; do
        read -r rq p9 er <<<"$(run_wrk "${URL[$s]}" "$kind" "$SECS" "$c")"
        REQ[$s,$kind,$c]+="$rq "; P99[$s,$kind,$c]+="$p9 "; ERR[$s,$kind,$c]=$(( ${ERR[$s,$kind,$c]:-0} + er ))
        line+=$(printf '  %s %s req/s p99 %s ms errors %s |' "${LABEL[$s]}" "$rq" "$p9" "$er")
      done
      echo "${line% |}"
    done
  done
done

# --- 5. memory while serving ---------------------------------------------------------------
SKS_DB=$(cat "$TMP/sks/db.pid"); SKS_RECON=$(cat "$TMP/sks/recon.pid")
SKS_SERVE=$(( $(rss_anon "$SKS_DB") + $(rss_anon "$SKS_RECON") ))
DK_SERVE=$(rss_anon_tree "$DKPID")

# --- table ---------------------------------------------------------------------------------
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo
echo "scale benchmark: N=$N keys ($(du -sh "$KEYS" | cut -f1) of dump files in $(ls "$KEYS"/sks-dump-*.pgp | wc -l) files), $PATHS distinct paths per kind, wrk -t2 -c16 -d${SECS}s, $RUNS runs"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), node $(node --version), sks $(dpkg-query -W -f '${Version}' sks 2>/dev/null || echo '?'), $(wrk --version 2>&1 | head -1 | awk '{ print $1, $2 }')"
echo "SKS import: $SKS_TIMES"
echo "dkeyserv import: $DK_IMPORT_SUMMARY"
echo
printf '%-32s %14s %14s %9s  %s\n' measure SKS dkeyserv ratio target
row() { printf '%-32s %14s %14s %9s  %s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")" "$4"; }
row 'import s' "$SKS_IMPORT" "$DK_IMPORT" '<= 1.0'
row 'import peak RssAnon MB' "$(mb "$SKS_IMPORT_PEAK")" "$(mb "$DK_IMPORT_PEAK")" ''
for kind in get index; do
  for c in keepalive close; do
    t='>= 3'; [[ $c == close ]] && t='>= 1.5'
    row "$kind $c req/s" "$(med "${REQ[sks,$kind,$c]}")" "$(med "${REQ[dk,$kind,$c]}")" "$t"
    row "$kind $c p99 ms" "$(med "${P99[sks,$kind,$c]}")" "$(med "${P99[dk,$kind,$c]}")" ''
    row "$kind $c non-2xx/errors" "${ERR[sks,$kind,$c]}" "${ERR[dk,$kind,$c]}" 'must be 0'
  done
done
row 'serving RssAnon MB' "$(mb "$SKS_SERVE")" "$(mb "$DK_SERVE")" 'dkeyserv <= 300 MB'
row 'disk MB' "$(mb "$SKS_DISK")" "$(mb "$DK_DISK")" '<= 1.5'
echo "(ratio = dkeyserv / SKS; SKS serving = sks db + sks recon; load after: $(cut -d' ' -f1-3 /proc/loadavg))"
