# bench/scale-lib.sh -- shell functions shared by bench/scale.sh, recon-scale.sh and quorum-scale.sh;
# sourced by them, never run. The caller sets ROOT (the repository) before sourcing.
#
#   scratch PREFIX          TMP = a fresh /tmp/PREFIX-XXXXXX; at exit every process `track`ed is
#                           stopped (SIGTERM, SIGKILL after 10 s) and TMP removed (KEEP=1 keeps it)
#   track PID               stop PID at exit
#   stop PID...             stop these now (only while they still run a command naming TMP)
#   bench_keys N            KEYS = the generated set of N keys in ${DKS_BENCH_CACHE:-/tmp/dkeyserv-bench}
#                           (bench/gen-keys.mjs), generated unless it is COMPLETE
#   wait_serving TIMEOUT NAME:PID...
#                           until each server's log TMP/NAME.log has its "serving HKP" line; sets
#                           READY[NAME] to the seconds since the call; fails if one dies or TIMEOUT passes
#   log, now, elapsed T0 T1 (s, one decimal), mb KB

log() { echo "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f\n", k / 1024 }'; }

# ours PID: the pid still runs a command line naming TMP, not a recycled pid of another process
ours() { grep -qaF "$TMP" "/proc/$1/cmdline" 2>/dev/null; }
stop() {
  local p i
  for p in "$@"; do ours "$p" && kill "$p" 2>/dev/null || true; done
  for p in "$@"; do
    i=0
    while ours "$p" && (( i++ < 100 )); do sleep 0.1; done
    ours "$p" && kill -KILL "$p" 2>/dev/null || true
  done
}
track() { echo "$1" >>"$TMP/pids"; }
scratch_cleanup() {
  # shellcheck disable=SC2046
  stop $(cat "$TMP/pids" 2>/dev/null)
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
scratch() {
  TMP=$(mktemp -d "/tmp/$1-XXXXXX")
  trap scratch_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_keys() {
  local n t0
  KEYS=${DKS_BENCH_CACHE:-/tmp/dkeyserv-bench}/keys-$1
  if [[ -f $KEYS/COMPLETE ]] && read -r n _ <"$KEYS/COMPLETE" && [[ $n == "$1" ]]; then
    log "reusing $KEYS"
  else
    log "generating $1 keys into $KEYS ..."
    t0=$(now)
    node "$ROOT/bench/gen-keys.mjs" "$1" "$KEYS" >&2
    log "generated in $(elapsed "$t0" "$(now)") s"
  fi
}

declare -A READY
wait_serving() {
  local timeout=$1 t0 i spec name pid ready=0
  shift
  t0=$(now)
  for (( i = 0; i < 2 * timeout && ready < $#; i++ )); do
    for spec in "$@"; do
      name=${spec%%:*} pid=${spec#*:}
      if [[ -z ${READY[$name]:-} ]] && grep -q '"serving HKP on ' "$TMP/$name.log"; then
        READY[$name]=$(elapsed "$t0" "$(now)")
        ready=$(( ready + 1 ))
      fi
      kill -0 "$pid" 2>/dev/null || { tail -5 "$TMP/$name.log" >&2; echo "$name died while starting" >&2; exit 1; }
    done
    (( ready < $# )) && sleep 0.5
  done
  (( ready == $# )) || { echo "the servers did not start within $timeout s" >&2; exit 1; }
}
