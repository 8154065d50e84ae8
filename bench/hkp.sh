#!/usr/bin/env bash
# bench/hkp.sh -- HKP lookup throughput: a real SKS and dkeyserv serving debian-keyring, side by side.
#
#   npm run build && bash bench/hkp.sh [RUNS] [SECONDS] [KEYRING]
#
# RUNS (default 3, minimum 3) alternating wrk runs of SECONDS (default 10) per server and kind,
# after a 3 s warm-up of each:
#   get:   GET /pks/lookup?op=get&options=mr&search=0x<FPR>    rotating over every fingerprint
#   index: GET /pks/lookup?op=index&options=mr&search=<e-mail> rotating over e-mails of the ring
# with `wrk -t2 -c16 -dSECONDS` and a Lua script (written to the scratch dir) that rotates over
# the paths.  Only paths both servers answer with 200 are used.  Servers:
#   SKS:      scripts/sks-peer.sh start (db + recon, -G: no gossip, debuglevel 3) in a fresh dir.
#             SKS answers HTTP/1.0 and closes every connection: wrk reconnects per request.
#   dkeyserv: `dkeyserv import` then `dkeyserv serve --hkp 127.0.0.1:0 --recon none` (rate
#             limiting off).
#             wrk keeps connections alive (HTTP/1.1).  A third column, "dkeyserv close", sends
#             `Connection: close` so dkeyserv also pays one TCP connection per request, as SKS does.
# Prints every run, the medians of req/s and p99 latency, and the ratios dkeyserv/SKS (req/s:
# > 1 means dkeyserv serves more; p99: < 1 means dkeyserv answers faster).  Target: req/s ratio
# >= 5 on both kinds.  wrk runs on the same machine and takes CPU from the servers.
# Only 127.0.0.1 is used.  Needs sks, debian-keyring, gnupg, wrk (installed with apt-get when
# missing and run as root).  Scratch space: one /tmp/dks-bench-* dir, removed at exit.
set -euo pipefail

RUNS=${1:-3}
SECS=${2:-10}
KEYRING=${3:-/usr/share/keyrings/debian-keyring.gpg}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CLI=$ROOT/packages/cli/dist/main.js
SKS_PEER=$ROOT/scripts/sks-peer.sh

[[ $RUNS =~ ^[0-9]+$ ]] && (( RUNS >= 3 )) || { echo "RUNS must be >= 3" >&2; exit 2; }
[[ $SECS =~ ^[0-9]+$ ]] && (( SECS >= 1 )) || { echo "SECONDS must be a whole number >= 1" >&2; exit 2; }
[[ -f $KEYRING ]] || { echo "no keyring $KEYRING (apt-get install debian-keyring)" >&2; exit 1; }
[[ -f $CLI ]] || { echo "no $CLI: run 'npm run build' first" >&2; exit 1; }
[[ -x ${SKS:-/usr/sbin/sks} ]] || { echo "no SKS binary (apt-get install sks)" >&2; exit 1; }
command -v gpg >/dev/null || { echo "no gpg (apt-get install gnupg)" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    echo "installing wrk (apt-get install -y wrk)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk </dev/null >&2 || {
      apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk </dev/null >&2; }
  fi
  command -v wrk >/dev/null || { echo "no wrk: apt-get install wrk" >&2; exit 1; }
fi

TMP=$(mktemp -d /tmp/dks-bench-XXXXXX)   # short: SKS puts AF_UNIX sockets under it
DKPID=''
cleanup() {
  [[ -n $DKPID ]] && kill "$DKPID" 2>/dev/null && wait "$DKPID" 2>/dev/null || true
  [[ -d $TMP/sks ]] && bash "$SKS_PEER" stop "$TMP/sks" >/dev/null 2>&1 || true
  [[ -d $TMP/gnupg ]] && gpgconf --homedir "$TMP/gnupg" --kill all 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" >&2; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$1" || echo 000; }

# --- SKS ---------------------------------------------------------------------------------
log "starting SKS on $(basename "$KEYRING") ..."
out=$(bash "$SKS_PEER" start "$TMP/sks" auto auto -k "$KEYRING" -d 3 -G -w $$ 2>"$TMP/sks.log") || { cat "$TMP/sks.log" >&2; exit 1; }
SKS_PORT=$(sed -n 's/.*hkp_port=\([0-9]*\).*/\1/p' <<<"$out")
SKS_URL=http://127.0.0.1:$SKS_PORT

# --- dkeyserv ----------------------------------------------------------------------------
log "importing into dkeyserv and starting it ..."
mkdir -p "$TMP/dk"
node "$CLI" import --data "$TMP/dk/data" "$KEYRING" >"$TMP/dk/import.out" 2>&1 || { cat "$TMP/dk/import.out" >&2; exit 1; }
printf '[hkp.rateLimit]\nrequests = 0\nuploads = 0\n' >"$TMP/dk/dkeyserv.toml"
node "$CLI" serve --data "$TMP/dk/data" --config "$TMP/dk/dkeyserv.toml" --hkp 127.0.0.1:0 --recon none 2>"$TMP/dk/serve.log" &
DKPID=$!
DK_PORT=''
for _ in $(seq 1 300); do
  DK_PORT=$(sed -n 's#.*serving HKP on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$TMP/dk/serve.log" | head -1)
  [[ -n $DK_PORT ]] && [[ $(status "http://127.0.0.1:$DK_PORT/pks/health") == 200 ]] && break
  kill -0 "$DKPID" 2>/dev/null || { cat "$TMP/dk/serve.log" >&2; echo "dkeyserv serve died" >&2; exit 1; }
  sleep 0.1
done
[[ -n $DK_PORT ]] || { cat "$TMP/dk/serve.log" >&2; echo "dkeyserv did not start" >&2; exit 1; }
DK_URL=http://127.0.0.1:$DK_PORT

# --- request paths: every fingerprint; e-mails of non-revoked User IDs (every 5th) ----------
mkdir -m 700 "$TMP/gnupg"
gpg --batch --homedir "$TMP/gnupg" --with-colons --show-keys "$KEYRING" 2>/dev/null >"$TMP/listing"
awk -F: '/^pub/ { want = 1; next } /^fpr/ && want { print "/pks/lookup?op=get&options=mr&search=0x" $10; want = 0 }' "$TMP/listing" >"$TMP/get.all"
awk -F: '/^uid/ && $2 != "r" { print $10 }' "$TMP/listing" | grep -o '<[^<>@ ]*@[^<> ]*>' | tr -d '<>' | tr 'A-Z' 'a-z' | \
  grep -E '^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+$' | sort -u | awk 'NR % 5 == 1 { print "/pks/lookup?op=index&options=mr&search=" $0 }' >"$TMP/index.all"
log "checking $(wc -l <"$TMP/get.all") get and $(wc -l <"$TMP/index.all") index paths on both servers ..."
for kind in get index; do
  while read -r p; do
    [[ $(status "$SKS_URL$p") == 200 && $(status "$DK_URL$p") == 200 ]] && echo "$p"
  done <"$TMP/$kind.all" >"$TMP/$kind.paths"
done

# --- wrk ---------------------------------------------------------------------------------
LUA=$TMP/paths.lua
cat >"$LUA" <<'EOF'
-- wrk script: GET request paths read from a file (one per line, given after `--`), rotated
-- over; each thread starts at its own offset.  At the end prints one parseable RESULT line.
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no request paths in " .. tostring(args[1])) end
  idx = ((tid or 0) * 7919) % #paths
end
function request()
  idx = idx % #paths + 1
  return wrk.format("GET", paths[idx])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d req_s=%.1f p50_ms=%.2f p99_ms=%.2f status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
EOF
# one wrk run; prints "REQ_S P99_MS ERRORS"
run_wrk() {  # run_wrk URL KIND SECS [extra wrk args...]
  local url=$1 kind=$2 secs=$3; shift 3
  local o; o=$(wrk -t2 -c16 -d"${secs}s" --timeout 10s "$@" -s "$LUA" "$url" -- "$TMP/$kind.paths" 2>&1) || { echo "$o" >&2; exit 1; }
  local r; r=$(grep '^RESULT' <<<"$o") || { echo "$o" >&2; echo "wrk printed no RESULT" >&2; exit 1; }
  awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
         printf "%s %s %d\n", v["req_s"], v["p99_ms"], v["status_errors"] + v["connect"] + v["read"] + v["write"] + v["timeout"] }' <<<"$r"
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

SERVERS=(sks dk dkclose)
declare -A URL=([sks]=$SKS_URL [dk]=$DK_URL [dkclose]=$DK_URL)
declare -A LABEL=([sks]=SKS [dk]=dkeyserv [dkclose]='dkeyserv close')
wrk_for() {  # wrk_for SERVER KIND SECS
  if [[ $1 == dkclose ]]; then run_wrk "${URL[$1]}" "$2" "$3" -H 'Connection: close'; else run_wrk "${URL[$1]}" "$2" "$3"; fi
}

echo "HKP benchmark: $(basename "$KEYRING"), wrk -t2 -c16 -d${SECS}s, $RUNS runs, $(nproc) CPUs, node $(node --version), sks $(dpkg-query -W -f '${Version}' sks 2>/dev/null || echo '?'), $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}')"
echo "paths: $(wc -l <"$TMP/get.paths") fingerprints (get), $(wc -l <"$TMP/index.paths") e-mails (index); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for kind in get index; do
  for s in "${SERVERS[@]}"; do wrk_for "$s" "$kind" 3 >/dev/null; done   # warm-up
done

declare -A REQ P99 ERR
for (( i = 1; i <= RUNS; i++ )); do
  for kind in get index; do
    # alternate who goes first
    if (( i % 2 )); then order=("${SERVERS[@]}"); else order=(dk dkclose sks); fi
    line="run $i $kind:"
    for s in "${order[@]}"; do
      res=$(wrk_for "$s" "$kind" "$SECS")
      read -r rq p9 er <<<"$res"
      REQ[$s,$kind]+="$rq "; P99[$s,$kind]+="$p9 "; ERR[$s,$kind]=$(( ${ERR[$s,$kind]:-0} + er ))
    done
    for s in "${SERVERS[@]}"; do
      rq=$(awk '{ print $NF }' <<<"${REQ[$s,$kind]}"); p9=$(awk '{ print $NF }' <<<"${P99[$s,$kind]}")
      line+=$(printf '  %s %s req/s p99 %s ms |' "${LABEL[$s]}" "$rq" "$p9")
    done
    echo "${line% |}"
  done
done

echo
printf '%-6s %-15s %10s %10s %7s\n' kind server 'req/s' 'p99 ms' errors
declare -A MREQ MP99
for kind in get index; do
  for s in "${SERVERS[@]}"; do
    MREQ[$s,$kind]=$(tr ' ' '\n' <<<"${REQ[$s,$kind]}" | grep . | median)
    MP99[$s,$kind]=$(tr ' ' '\n' <<<"${P99[$s,$kind]}" | grep . | median)
    printf '%-6s %-15s %10s %10s %7s\n' "$kind" "${LABEL[$s]}" "${MREQ[$s,$kind]}" "${MP99[$s,$kind]}" "${ERR[$s,$kind]}"
  done
done
echo
for kind in get index; do
  printf 'median %-5s: sks %s req/s p99 %s ms  dkeyserv %s req/s p99 %s ms  ratio dkeyserv/sks req/s %s p99 %s  (Connection: close: req/s %s p99 %s)  target req/s >= 5\n' \
    "$kind" "${MREQ[sks,$kind]}" "${MP99[sks,$kind]}" "${MREQ[dk,$kind]}" "${MP99[dk,$kind]}" \
    "$(ratio "${MREQ[dk,$kind]}" "${MREQ[sks,$kind]}")" "$(ratio "${MP99[dk,$kind]}" "${MP99[sks,$kind]}")" \
    "$(ratio "${MREQ[dkclose,$kind]}" "${MREQ[sks,$kind]}")" "$(ratio "${MP99[dkclose,$kind]}" "${MP99[sks,$kind]}")"
done
sks_db=$(cat "$TMP/sks/db.pid" 2>/dev/null || true)
echo "RSS after: dkeyserv $(awk '/VmRSS/ { print $2 }' "/proc/$DKPID/status") kB, sks db $( [[ -n $sks_db ]] && awk '/VmRSS/ { print $2 }' "/proc/$sks_db/status" || echo '?') kB; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
