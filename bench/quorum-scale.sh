#!/usr/bin/env bash
# bench/quorum-scale.sh -- quorum mode at scale, measured (no target yet): four members on
# loopback that each import the same N keys, then reconcile their attestations until every key is
# accepted on every member. dkeyserv only (SKS has no attestations).
#
#   npm run build && bash bench/quorum-scale.sh N [GOSSIP_SECONDS]    # N = 100000 (the issue), 2000
#
# Environment: JOBS (imports run at once, default 2), TIMEOUT (default 3600: seconds allowed from
# the servers' start until every member holds every attestation), DKS_BENCH_CACHE, KEEP=1.
# 1. Keys: bench/gen-keys.mjs N into ${DKS_BENCH_CACHE:-/tmp/dkeyserv-bench}/keys-N, reused when
#    COMPLETE (deterministic; never commit it).
# 2. Four members alpha, bravo, charlie, delta as bench/quorum.sh sets them up: `dkeyserv node-id`
#    makes each identity, one config names all four in its [quorum] policy (n = 4, k = 3) and turns
#    rate limits off. Each member runs `dkeyserv import --config CONFIG` of the N keys (JOBS at a
#    time, wall time each): in quorum mode the ingest hook signs this member's attestation of
#    every key version it stores, inside the key's transaction (docs/quorum.md §5), so after the
#    imports each member holds its own N attestations and no key is accepted anywhere (k = 3).
# 3. All four `dkeyserv serve` on 127.0.0.1 (HKP + recon), each listing the other three as
#    `--peer`, gossip every GOSSIP_SECONDS (default 1). Members reconcile the attestation set on
#    their recon connections and fetch what they lack with POST /pks/x-attestations, where every
#    attestation is verified (Ed25519) and stored (docs/quorum.md §6, §7).
# 4. Measured (bench/scale-bench.js quorum-wait), from the start of the first recon session that
#    got through (the session lines' startedAt, docs/recon.md §9):
#    - every key accepted on every member: once a member's session lines show it can hold k
#      attestations per key (own + fetched >= k * own), the helper opens its store read-only and
#      asks AttestationStore.accepted() for each key still pending, again after each of its next
#      sessions; a member is done at the start of the check that finds none pending. (No stat or
#      metric counts accepted keys: stats shows the attestation count and a bounded pending list.)
#    - every member holds every attestation (own + fetched = n * own), from the logs;
#    - attestations fetched and verified per second: all fetched / the time to the above, and per
#      member fetched / the time its sessions spent fetching (each is verified, then stored with
#      the recon tree over attestation ids: the catch-up's whole cost per attestation);
#    - attestation bytes on disk per key, after the import (own only) and at the end (servers
#      stopped): LMDB pages (branch + leaf + overflow) x page size of the ext-attest,
#      ext-attest-ptree, ext-attest-versions and ext-attest-mark databases, / N;
#    - RssAnon of each server (peak, sampled every 0.2 s, and at the end), serve startup time
#      (it checks that every stored key is attested: a scan of the store).
# Only 127.0.0.1 is used; every loop is bounded. Scratch space: one /tmp/dks-qs-* dir, removed at
# exit with every process started here (KEEP=1 keeps the dir).
set -euo pipefail

USAGE='usage: bench/quorum-scale.sh N [GOSSIP_SECONDS]'
N=${1:?$USAGE}
GOSSIP=${2:-1}
JOBS=${JOBS:-2}
TIMEOUT=${TIMEOUT:-3600}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CLI=$ROOT/packages/cli/dist/main.js
HELPER=$ROOT/bench/scale-bench.js
NAMES=(alpha bravo charlie delta)

[[ $N =~ ^[0-9]+$ ]] && (( N >= 10 )) || { echo "N must be a whole number >= 10; $USAGE" >&2; exit 2; }
[[ $GOSSIP =~ ^[0-9]+$ ]] && (( GOSSIP >= 1 && GOSSIP <= 3600 )) || { echo "GOSSIP_SECONDS must be a whole number from 1 to 3600" >&2; exit 2; }
[[ $JOBS =~ ^[0-9]+$ ]] && (( JOBS >= 1 && JOBS <= 4 )) || { echo "JOBS must be 1 to 4" >&2; exit 2; }
[[ $TIMEOUT =~ ^[0-9]+$ ]] && (( TIMEOUT >= 10 )) || { echo "TIMEOUT must be a whole number of seconds >= 10" >&2; exit 2; }
[[ -f $CLI && -f $ROOT/packages/quorum/dist/index.js ]] || { echo "no $CLI: run 'npm run build' first" >&2; exit 1; }

# shellcheck source=bench/scale-lib.sh
source "$ROOT/bench/scale-lib.sh"
scratch dks-qs

echo "quorum at scale: 4 members, N=$N keys each, gossip every $GOSSIP s; $(nproc) CPUs, node $(node --version); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. keys ---------------------------------------------------------------------------------
bench_keys "$N"
KEY_FILES=("$KEYS"/sks-dump-*.pgp)

# --- 2. members, config, imports ---------------------------------------------------------------
read -r -a PORTS < <(node "$ROOT/bench/quorum-bench.js" ports 8)   # HKP, recon of each member in turn
CONF=$TMP/config.toml
{
  printf '[hkp.rateLimit]\nrequests = 0\nuploads = 0\n\n[quorum]\nname = "bench-quorum-scale"\nversion = 1\n'
  for i in "${!NAMES[@]}"; do
    id=$(node "$CLI" node-id --data "$TMP/${NAMES[i]}")   # creates the member's data dir and key
    printf '\n[[quorum.member]]\nname = "%s"\nkey = "%s"\nrecon = "127.0.0.1:%s"\n' "${NAMES[i]}" "$id" "${PORTS[2 * i + 1]}"
  done
} >"$CONF"

log "importing $N keys into each member, $JOBS at a time ..."
declare -A T_IMPORT STARTED MEMBER_OF
next=0 running=0
while (( next < ${#NAMES[@]} || running > 0 )); do
  while (( running < JOBS && next < ${#NAMES[@]} )); do
    name=${NAMES[next++]}
    STARTED[$name]=$(now)
    node "$CLI" import --no-progress --config "$CONF" --data "$TMP/$name" "${KEY_FILES[@]}" >"$TMP/$name.import" 2>&1 &
    MEMBER_OF[$!]=$name
    track $!
    running=$(( running + 1 ))
  done
  rc=0
  wait -n -p done || rc=$?
  running=$(( running - 1 ))
  name=${MEMBER_OF[$done]}
  T_IMPORT[$name]=$(elapsed "${STARTED[$name]}" "$(now)")
  SUMMARY=$(grep -E '^keys:' "$TMP/$name.import" || true)
  (( rc == 0 )) && grep -q ' 0 rejected' <<<"$SUMMARY" || { tail -5 "$TMP/$name.import" >&2; echo "import into $name failed (exit $rc)" >&2; exit 1; }
  log "$name: $SUMMARY (${T_IMPORT[$name]} s)"
done

# attest-disk lines: NAME ATTESTATIONS ATTEST_BYTES DATA_MDB_BYTES BYTES_PER_KEY DETAILS
disk() { node "$HELPER" attest-disk "$CONF" "$N" $(for n in "${NAMES[@]}"; do printf '%s:%s ' "$n" "$TMP/$n"; done); }
disk >"$TMP/disk-import"
OWN=$(awk 'NR == 1 { print $2 }' "$TMP/disk-import")
awk -v own="$OWN" '$2 != own { exit 1 }' "$TMP/disk-import" || { cat "$TMP/disk-import" >&2; echo "the members hold different numbers of attestations after the import" >&2; exit 1; }
(( OWN > 0 )) || { echo "the import signed no attestations" >&2; exit 1; }
log "after the imports each member holds $OWN attestations of its own ($(( N - OWN )) of the $N keys not attested)"

# --- 3. serve ----------------------------------------------------------------------------------
declare -A PID
for i in "${!NAMES[@]}"; do
  peers=()
  for j in "${!NAMES[@]}"; do (( i == j )) || peers+=(--peer "127.0.0.1:${PORTS[2 * j + 1]}"); done
  node "$CLI" serve --data "$TMP/${NAMES[i]}" --config "$CONF" --hkp "127.0.0.1:${PORTS[2 * i]}" \
    --recon "127.0.0.1:${PORTS[2 * i + 1]}" "${peers[@]}" --gossip-interval "$GOSSIP" 2>"$TMP/${NAMES[i]}.log" &
  PID[${NAMES[i]}]=$!
  track $!
done
wait_serving "$TIMEOUT" $(for n in "${NAMES[@]}"; do printf '%s:%s ' "$n" "${PID[$n]}"; done)
log "serving after $(for n in "${NAMES[@]}"; do printf '%s %s s  ' "$n" "${READY[$n]}"; done); waiting until every key is accepted everywhere ..."

# --- 4. until every key is accepted on every member, and every member holds every attestation ----
node "$HELPER" quorum-wait "$TMP/result.env" "$CONF" "$KEYS/fingerprints.txt" "$TIMEOUT" "$OWN" \
  $(for n in "${NAMES[@]}"; do printf '%s:%s:%s:%s ' "$n" "$TMP/$n" "$TMP/$n.log" "${PID[$n]}"; done) || {
  for n in "${NAMES[@]}"; do echo "--- $n" >&2; grep -v '"serving HKP' "$TMP/$n.log" | tail -5 >&2; done
  exit 1
}
# shellcheck source=/dev/null
source "$TMP/result.env"
stop "${PID[@]}"
disk >"$TMP/disk-end"
awk -v want="$(( NMEMBERS * OWN ))" '$2 != want { exit 1 }' "$TMP/disk-end" || { cat "$TMP/disk-end" >&2; echo "a member does not hold all $(( NMEMBERS * OWN )) attestations" >&2; exit 1; }

# --- table -------------------------------------------------------------------------------------
echo
echo "quorum at scale: $NMEMBERS members (k = $K), N=$N keys imported by each, gossip every $GOSSIP s, rate limits off"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), node $(node --version); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); imports $JOBS at a time"
echo "attestation databases after the import:"; sed 's/^\([a-z]*\) [0-9]* [0-9]* [0-9]* [0-9]* /  \1: /' "$TMP/disk-import"
echo "attestation databases at the end:"; sed 's/^\([a-z]*\) [0-9]* [0-9]* [0-9]* [0-9]* /  \1: /' "$TMP/disk-end"
echo
row() { printf '%-48s %10s %10s %10s %10s\n' "$@"; }
field() { awk -v n="$2" -v f="$3" '$1 == n { print $f }' "$TMP/$1"; }
per_key() { awk -v b="$1" -v n="$N" 'BEGIN { printf "%.0f\n", b / n }'; }
U() { tr '[:lower:]' '[:upper:]' <<<"$1"; }
v() { local x; x="$1_$(U "$2")"; echo "${!x}"; }
row measure "${NAMES[@]}"
row 'import of N keys, signing its attestations s' $(for n in "${NAMES[@]}"; do echo "${T_IMPORT[$n]}"; done)
row 'attestations after the import' $(for n in "${NAMES[@]}"; do field disk-import "$n" 2; done)
row 'attestation bytes per key after the import' $(for n in "${NAMES[@]}"; do per_key "$(field disk-import "$n" 3)"; done)
row 'serve start to "serving HKP" s' $(for n in "${NAMES[@]}"; do echo "${READY[$n]}"; done)
row 'all keys accepted, s after the first session' $(for n in "${NAMES[@]}"; do v ACC "$n"; done)
row 'all attestations held, s after the first session' $(for n in "${NAMES[@]}"; do v FULL "$n"; done)
row 'attestations fetched' $(for n in "${NAMES[@]}"; do v FETCHED "$n"; done)
row 'sessions that fetched something' $(for n in "${NAMES[@]}"; do v SESSIONS "$n"; done)
row 'fetched+verified+stored per s of fetching' $(for n in "${NAMES[@]}"; do v RATE "$n"; done)
row 'attestations at the end' $(for n in "${NAMES[@]}"; do field disk-end "$n" 2; done)
row 'attestation bytes per key at the end' $(for n in "${NAMES[@]}"; do per_key "$(field disk-end "$n" 3)"; done)
row 'data.mdb MB at the end' $(for n in "${NAMES[@]}"; do mb $(( $(field disk-end "$n" 4) / 1024 )); done)
row 'RssAnon peak MB (until all held)' $(for n in "${NAMES[@]}"; do mb "$(v PEAK "$n")"; done)
row 'RssAnon MB when all held' $(for n in "${NAMES[@]}"; do mb "$(v RSS "$n")"; done)
echo
printf '%-48s %10s\n' 'first session -> every key accepted on all s' "$T_ACCEPTED"
printf '%-48s %10s\n' 'first session -> all attestations on all s' "$T_FULL"
printf '%-48s %10s\n' 'attestations fetched and verified, all members' "$FETCHED"
printf '%-48s %10s\n' '... per s of wall time (until all held)' "$RATE_WALL"
printf '%-48s %10s\n' '... per s of fetching, summed over members' "$RATE_FETCHING"
echo "(no target yet; load after: $(cut -d' ' -f1-3 /proc/loadavg))"
