#!/usr/bin/env bash
# bench/quorum.sh -- quorum attestation benchmarks (dkeyserv only: SKS has no attestations, so
# there is no side-by-side run and no ratio here).
#
#   npm run build && bash bench/quorum.sh [RUNS] [KEYS] [N] [BATCH] [GOSSIP_SECONDS]
#
# (1) In-process, the real @dkeyserv/quorum code from packages/quorum/dist, one warm-up round then
#     RUNS (default 5) timed rounds; medians printed. A policy of 4 fresh NodeIdentity members
#     (k = 3); each round has N (default 4000) attestations = N/4 key versions x 4 members:
#       sign:   signStatement(identity, fields) for all N;
#       verify: verifyAttestation(att, policy) for all N (decode, policy and member checks, Ed25519);
#       and, as a baseline, bare node:crypto Ed25519 sign and verify over the same statement bytes;
#       add:    AttestationStore.add for all N into a fresh KeyStore on a temp dir, BATCH (default
#               100) adds per keyStore.transaction (how `serve` ingests a peer's attestations; every
#               commit is synced), then again with the recon tree over attestation ids attached
#               (as `serve` runs it in quorum mode).
# (2) Four real `dkeyserv serve` processes on 127.0.0.1 (HKP + recon, gossip every GOSSIP_SECONDS,
#     default 1), each listing the other three as recon peers, all with one [quorum] policy naming
#     the four (n = 4, k = 3) and rate limits off. One warm-up key, then KEYS (default 11) fresh v4
#     keys (openpgp, made before timing), one at a time, uploaded with POST /pks/add to the members
#     in turn after a random 0-1 s pause. Time from sending the POST until
#     GET /pks/lookup?op=get&options=mr&search=0x<FPR> answers 200 on 3 of 4 and on all 4
#     (polled every 25 ms on each member); median, min, max over the keys.
# Only 127.0.0.1 is used. Scratch space is one /tmp/dks-qb-* dir, removed at exit together with
# every process started here.
set -euo pipefail

RUNS=${1:-5}
KEYS=${2:-11}
N=${3:-4000}
BATCH=${4:-100}
GOSSIP=${5:-1}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CLI=$ROOT/packages/cli/dist/main.js
HELPER=$ROOT/bench/quorum-bench.js
[[ -f $CLI && -f $ROOT/packages/quorum/dist/index.js ]] || { echo "run 'npm run build' first" >&2; exit 1; }

TMP=$(mktemp -d /tmp/dks-qb-XXXXXX)
# every process started below is listed in $TMP/pids; stop those still running (SIGTERM, SIGKILL
# after 10 s), then delete. ours: the pid is still one of them (its command line names $TMP or the
# helper), not a recycled pid of an unrelated process.
ours() { grep -qaF -e "$TMP" -e "$HELPER" "/proc/$1/cmdline" 2>/dev/null; }
cleanup() {
  local p i
  for p in $(cat "$TMP/pids" 2>/dev/null); do ours "$p" && kill "$p" 2>/dev/null || true; done
  for p in $(cat "$TMP/pids" 2>/dev/null); do
    i=0
    while ours "$p" && (( i++ < 100 )); do sleep 0.1; done
    ours "$p" && kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
helper() {  # in the background: a signal then interrupts `wait` and the trap cleans up at once
  node "$HELPER" "$@" &
  local p=$!
  echo "$p" >>"$TMP/pids"
  wait "$p"
}

echo "quorum benchmark: $RUNS runs of $N attestations (batches of $BATCH), $KEYS keys on 4 members gossiping every $GOSSIP s; $(nproc) CPUs, node $(node --version), $(stat -f -c %T "$TMP") under $TMP; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "no SKS counterpart (SKS has no attestations): dkeyserv numbers only, no ratio"

# ---- (1) sign / verify / store ---------------------------------------------------------------
mkdir -p "$TMP/micro"
helper micro "$TMP/micro" "$RUNS" "$N" "$BATCH"

# ---- (2) four members on loopback -----------------------------------------------------------
NAMES=(alpha bravo charlie delta)
read -r -a PORTS < <(helper ports 8)   # HKP, recon of each member in turn
NET=$TMP/net
mkdir -p "$NET"
# the shared config: rate limits off, and the [quorum] policy naming all four
{
  printf '[hkp.rateLimit]\nrequests = 0\nuploads = 0\n\n[quorum]\nname = "bench-quorum"\nversion = 1\n'
  for i in "${!NAMES[@]}"; do
    id=$(node "$CLI" node-id --data "$NET/${NAMES[i]}")   # creates the member's data dir and key
    printf '\n[[quorum.member]]\nname = "%s"\nkey = "%s"\nrecon = "127.0.0.1:%s"\n' "${NAMES[i]}" "$id" "${PORTS[2 * i + 1]}"
  done
} >"$NET/config.toml"
SPECS=()
for i in "${!NAMES[@]}"; do
  peers=()
  for j in "${!NAMES[@]}"; do (( i == j )) || peers+=(--peer "127.0.0.1:${PORTS[2 * j + 1]}"); done
  node "$CLI" serve --init --data "$NET/${NAMES[i]}" --config "$NET/config.toml" --hkp "127.0.0.1:${PORTS[2 * i]}" \
    --recon "127.0.0.1:${PORTS[2 * i + 1]}" "${peers[@]}" --gossip-interval "$GOSSIP" 2>"$NET/${NAMES[i]}.log" &
  echo $! >>"$TMP/pids"
  SPECS+=("${NAMES[i]}:${PORTS[2 * i]}")
done
helper net "$KEYS" "${SPECS[@]}" || { for n in "${NAMES[@]}"; do echo "--- $n" >&2; tail -5 "$NET/$n.log" >&2; done; exit 1; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
