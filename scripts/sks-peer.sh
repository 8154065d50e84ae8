#!/usr/bin/env bash
# sks-peer.sh -- run real SKS keyservers (Debian's /usr/sbin/sks) on 127.0.0.1 as interop
# peers and benchmark baselines for dkeyserv's tests (test/helpers/sks.ts) and bench/.
# Everything an instance owns lives in its DIR.  Needs only bash, coreutils, util-linux
# (flock, setsid), awk, sed, grep, /proc -- and gpg for armored input / empty peers.
#
#   sks-peer.sh start  DIR RECON_PORT|auto HKP_PORT|auto [options] [PEER ...]
#                      prints "dir=DIR hkp_port=N recon_port=N" on stdout when ready
#   sks-peer.sh build  DIR -k FILE... [-b MODE] [-C]   # import only: no daemons, no ports
#   sks-peer.sh stop   DIR            # SIGTERM (then SIGKILL) only the pids in DIR/*.pid
#   sks-peer.sh status DIR
#   sks-peer.sh count  DIR            # recompute stats (SIGUSR2 to sks db), print key count
#   sks-peer.sh peers  DIR PEER...    # rewrite membership (SKS reloads it on mtime change)
#   sks-peer.sh dump   DIR OUTDIR [KEYS_PER_FILE]   # 'sks dump' (db must be stopped: no BDB locking)
#   sks-peer.sh merge  DIR FILE...    # 'sks merge' into a stopped peer; PTree catches up on next start
#
# PEER = recon port of another local SKS peer (e.g. 21380) or 127.0.0.1:PORT.
# Ports must lie in SKS_PEER_PORT_MIN..SKS_PEER_PORT_MAX (environment; default 21370..21399).
# 'auto' picks two free ports in that range.  Port choice and binding happen under one
# machine-wide flock (SKS_PEER_LOCK, default /tmp/dks-sks-peer.lock), after the slow
# import, so concurrent starts (parallel jest workers, several test runs) never collide.
# Options for start:
#   -k FILE   keys to import (binary keyring/.gpg, dump .pgp, ASCII-armored .asc, or a
#             directory of *.pgp/*.gpg).  Repeatable.  Only used when DIR has no DB yet.
#             No -k => an EMPTY peer (built from a seed key that is dropped at start,
#             because cleandb cannot run on an empty DB -- see import_keys).
#   -b MODE   build (default; keys copied into the DB) | fastbuild (DB stores offsets
#             into DIR/var/lib/sks/dump/*.pgp -- never touch those files afterwards)
#   -g MIN    gossip_interval in MINUTES (float, default 0.1 = 6 s, +-10% jitter)
#   -G        dontgossip: never initiate recon (still answers peers)
#   -H NAME   sksconf 'hostname' (default 0.0.0.0 -- see GOTCHA 3 below)
#   -N NAME   sksconf 'nodename' label (default sks-RECONPORT)
#   -d N      debuglevel (default 4; 3 for benchmarks, 6+ logs every recon message;
#             'count' needs >= 3)
#   -C        skip 'sks cleandb' after build (filters stay "yminsky.dedup" -- peers
#             with different filter sets REFUSE to reconcile)
#   -t SECS   readiness timeout (default 120)
#   -o K:V    extra sksconf line "K: V" (repeatable), e.g. -o max_matches:1000
#   -w PID    watchdog: when process PID exits, stop this SKS (and delete DIR if it
#             contains a file named .dks-remove).  Tests pass their own pid, so a
#             killed or crashed test run never leaves sks processes behind.
#
# Timings of build/cleandb/pbuild go to stderr and DIR/import.times.
#
# GOTCHAS (Debian sks 1.1.6+git20210302, BDB 5.3), summarised in docs/recon.md §13; each is
# handled below:
#  1. Debian patches all paths to FHS absolutes (/etc/sks/sksconf, /var/lib/sks/DB,
#     /var/lib/sks/PTree, /var/lib/sks/dump, /var/log/sks/, /var/run/sks/*_com_sock,
#     /var/spool/sks/).  Without -basedir it silently uses the SYSTEM dirs; with
#     -basedir X every path becomes X//etc/sks/sksconf, X//var/lib/sks/DB, ... and
#     the dirs must exist (else Sys_error ...build.log: No such file).  So we build
#     that mini-FHS tree under DIR and pass -basedir DIR to every command.
#     DB_CONFIG is read from DIR/DB_CONFIG; BDB 5.3 wants 'log_set_config', not
#     'set_log_config'.
#  2. sksconf is parsed AFTER the command line, so sksconf values win.
#  3. Gossip partner choice skips any member whose IP equals the IP that 'hostname'
#     resolves to (port is ignored).  Default hostname = `hostname` ("vm" -> 127.0.0.1
#     via /etc/hosts), so with all peers on 127.0.0.1 'sks recon' loops forever in
#     Membership.choose (100% CPU, never gossips, stops answering).  A non-numeric
#     hostname not in /etc/hosts would trigger a DNS query to the resolver (not
#     loopback!).  So hostname must be a NUMERIC literal != 127.0.0.1; it is only a
#     label (stats page, dump metadata), never connected to.  Default: 0.0.0.0.
#  4. Order: build|fastbuild -> cleandb -> pbuild -> start db -> (db_com_sock) -> start
#     recon.  recon asks db for the filter list over DIR/var/run/sks/db_com_sock at
#     startup and dies if db is not up.  Never run build/merge/cleandb/dump while
#     'sks db' runs on the same DIR (the BDB env is opened without INIT_LOCK).
#  5. Both peers must list each other in membership (recon from a non-member IP is
#     refused; note: all local peers share IP 127.0.0.1, so any local peer is "member").
#  6. 'sks cleandb' segfaults at exit (after committing) on most fresh DBs -> run twice;
#     on an EMPTY DB it dies with Not_found -> seed key + 'sks drop' trick.
#  7. op=stats is cached: computed at boot only with initial_stat, at stat_hour, or
#     on SIGUSR2 to 'sks db'.  'count' below does the SIGUSR2 dance.
#  8. The UNIX command sockets live in DIR/var/run/sks/: AF_UNIX paths are limited to
#     108 bytes, so DIR must be short (checked: < 70 chars; use /tmp/dks-XXXXXX).
#  9. Logs are appended across restarts: readiness only looks at the new part.
# 10. build/merge/fastbuild read binary OpenPGP only: armored input is dearmored.
# 11. recon listens before it has loaded its PTree: the real readiness signal is the
#     log line 'Starting event loop' (debuglevel >= 4) / 'PTree setup complete' (3).
# 12. Every HTTP response is HTTP/1.0 with Connection: close; listen backlog is 20, so
#     never hit one SKS with more than ~16 concurrent requests.
set -euo pipefail

SKS=${SKS:-/usr/sbin/sks}
PORT_MIN=${SKS_PEER_PORT_MIN:-21370}
PORT_MAX=${SKS_PEER_PORT_MAX:-21399}
LOCK=${SKS_PEER_LOCK:-/tmp/dks-sks-peer.lock}
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/$(basename "${BASH_SOURCE[0]}")

die() { echo "sks-peer: $*" >&2; exit 1; }
log() { echo "sks-peer[$(date +%T)]: $*" >&2; }

check_port() {
  [[ $1 =~ ^[0-9]+$ ]] || die "bad port '$1'"
  (( $1 >= PORT_MIN && $1 <= PORT_MAX )) || die "port $1 outside $PORT_MIN-$PORT_MAX"
}

abspath() { (cd "$1" && pwd -P); }

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# mini FHS layout expected by the Debian build when -basedir is given
layout() {
  local d=$1
  mkdir -p "$d"/etc/sks "$d"/var/lib/sks/dump "$d"/var/lib/sks/www "$d"/var/log/sks \
           "$d"/var/run/sks "$d"/var/spool/sks/messages "$d"/var/spool/sks/failed_messages \
           "$d"/tmp
}

membership_lines() {
  local p
  for p in "$@"; do
    case $p in
      *:*) [[ ${p%%:*} == 127.0.0.1 ]] || die "peer $p: only 127.0.0.1 allowed"; check_port "${p##*:}"
           echo "127.0.0.1 ${p##*:}" ;;
      *)   check_port "$p"; echo "127.0.0.1 $p" ;;
    esac
  done
}

# Is anything listening on TCP port $1 (any address, v4 or v6)?  Read from /proc so we
# need neither ss nor a connect (a connect to an SKS recon port starts a recon session).
listening() {
  local hex; hex=$(printf '%04X' "$1")
  awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# http_get PORT PATH -> raw HTTP response on stdout (SKS answers HTTP/1.0 and closes)
http_get() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3 && cat <&3' \
    _ "$1" "$2" 2>/dev/null
}

http_status() { http_get "$1" "$2" | head -1 | awk '{print $2}'; }

pid_alive() {  # pid_alive PIDFILE EXPECTED_SUBCMD DIR -> 0 if that pid is our sks process
  local pf=$1 sub=$2 dir=$3 pid cmd
  [[ -s $pf ]] || return 1
  pid=$(<"$pf")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == "$SKS $sub -basedir $dir " ]]   # exact (no /tmp/x vs /tmp/x2 confusion)
}

watch_alive() {  # is DIR/watch.pid our watchdog for DIR?
  local dir=$1 pid cmd
  [[ -s $dir/watch.pid ]] || return 1
  pid=$(<"$dir/watch.pid")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *" _watch $dir "* ]]
}

sks_cmd() {  # run an sks subcommand in DIR
  local dir=$1; shift
  (cd "$dir" && "$SKS" "$1" -basedir "$dir" "${@:2}")
}

import_keys() {
  local dir=$1 mode=$2; shift 2
  local dump=$dir/var/lib/sks/dump i=0 src f
  for src in "$@"; do
    if [[ -d $src ]]; then
      for f in "$src"/*.pgp "$src"/*.gpg; do
        [[ -e $f ]] || continue
        cp "$f" "$dump/$(printf '%04d' $i)-$(basename "${f%.*}").pgp"; i=$((i+1))
      done
    elif [[ -f $src ]]; then
      if head -c 64 "$src" | grep -q -- '-----BEGIN PGP'; then   # SKS reads binary only
        gpg --batch --dearmor <"$src" >"$dump/$(printf '%04d' $i)-$(basename "${src%.*}").pgp"
      else
        cp "$src" "$dump/$(printf '%04d' $i)-$(basename "${src%.*}").pgp"
      fi
      i=$((i+1))
    else
      die "no such key source: $src"
    fi
  done
  local t0 t1 t2 t3
  if (( i == 0 )); then
    # EMPTY PEER: 'sks cleandb' dies with Not_found on an empty DB (Cursor FIRST), and
    # without cleandb the filters stay "yminsky.dedup" -> every real peer refuses recon.
    # So build with one throw-away seed key, cleandb, pbuild, and 'sks drop' it once db
    # runs (cmd_start does that; recon's startup catchup then removes it from PTree).
    local seed=/usr/share/keyrings/debian-archive-bookworm-stable.gpg
    if [[ ! -s $seed ]]; then
      local gh; gh=$(mktemp -d "$dir/tmp/gpg.XXXXXX")
      gpg --homedir "$gh" --batch --pinentry-mode loopback --passphrase '' \
        --quick-gen-key 'sks-peer seed <seed@example.invalid>' ed25519 sign never >/dev/null 2>&1
      gpg --homedir "$gh" --export >"$dir/tmp/seed-gen.pgp"
      gpgconf --homedir "$gh" --kill all 2>/dev/null || true
      seed=$dir/tmp/seed-gen.pgp
    fi
    cp "$seed" "$dir/tmp/seed.pgp"
    gpg --batch --show-keys --with-colons "$dir/tmp/seed.pgp" 2>/dev/null | awk -F: '/^fpr/{print $10; exit}' >"$dir/seed.fpr"
    [[ -s $dir/seed.fpr ]] || die "could not read seed key fingerprint"
    mode=build
  fi
  t0=$(date +%s.%N)
  if [[ $mode == fastbuild ]]; then
    sks_cmd "$dir" fastbuild -n 10 -cache 100 >"$dir/import.out" 2>&1 || { cat "$dir/import.out" >&2; die "fastbuild failed"; }
  else
    # build takes the file list on the command line (empty list -> empty DB)
    local files=()
    for f in "$dump"/*.pgp; do [[ -e $f ]] && files+=("$f"); done
    (( ${#files[@]} )) || files=("$dir/tmp/seed.pgp")
    sks_cmd "$dir" build "${files[@]}" -n 10 -cache 100 >"$dir/import.out" 2>&1 || { cat "$dir/import.out" >&2; die "build failed"; }
  fi
  t1=$(date +%s.%N)
  if [[ $CLEANDB == 1 ]]; then
    # 'sks cleandb' often SEGFAULTs at exit (rc 139) *after* "Completed key merge":
    # a BDB cursor finalizer runs in the GC after the env was closed (gdb: __dbc_close_pp
    # <- caml_empty_minor_heap <- Std_exit).  The merge is committed; a 2nd run is a
    # no-op ("Database already merged").  Debian's sks_build.sh also does cleandb||cleandb.
    if ! sks_cmd "$dir" cleandb >>"$dir/import.out" 2>&1; then
      log "cleandb crashed (known exit-time segfault); re-running"
      sks_cmd "$dir" cleandb >>"$dir/import.out" 2>&1 || { cat "$dir/import.out" >&2; die "cleandb failed twice"; }
    fi
  fi
  t2=$(date +%s.%N)
  sks_cmd "$dir" pbuild -cache 20 -ptree_cache 70 >>"$dir/import.out" 2>&1 || { cat "$dir/import.out" >&2; die "pbuild failed"; }
  t3=$(date +%s.%N)
  printf '%s=%s cleandb=%s pbuild=%s total=%s (seconds)\n' "$mode" \
    "$(elapsed "$t0" "$t1")" "$(elapsed "$t1" "$t2")" "$(elapsed "$t2" "$t3")" \
    "$(elapsed "$t0" "$t3")" | tee "$dir/import.times" >&2
}

wait_for() {  # wait_for SECS CMD...
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@"; do
    (( SECONDS < end )) || return 1
    sleep 0.1
  done
}

proc_running() {  # pid exists and is not a zombie (cmdline may still be bash before exec)
  local pid=$1 st
  [[ -r /proc/$pid/stat ]] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $st != Z && $st != X ]]
}

db_ready() {
  local dir=$1 port=$2
  proc_running "$(<"$dir/db.pid")" || die "sks db died; see $dir/var/log/sks/db.log and $dir/db.out"
  pid_alive "$dir/db.pid" db "$dir" || return 1
  [[ -S $dir/var/run/sks/db_com_sock ]] && listening "$port" && \
    [[ $(http_status "$port" '/pks/lookup?op=stats') == 200 ]]
}

recon_listening() {
  local dir=$1 port=$2
  proc_running "$(<"$dir/recon.pid")" || die "sks recon died; see $dir/var/log/sks/recon.log and $dir/recon.out"
  pid_alive "$dir/recon.pid" recon "$dir" || return 1
  listening "$port"
}

recon_ready() {
  local dir=$1 port=$2
  recon_listening "$dir" "$port" && [[ -S $dir/var/run/sks/recon_com_sock ]] || return 1
  local pat='Starting event loop'; (( DEBUGLEVEL < 4 )) && pat='PTree setup complete'
  (( DEBUGLEVEL < 3 )) && return 0
  tail -c +$((RECON_LOG_OFF + 1)) "$dir/var/log/sks/recon.log" 2>/dev/null | grep -q "$pat"
}

# pick_ports: set RPORT/HPORT (those given as 'auto') to free ports in the range.
# Called with the lock held; a port is free if nothing listens on it.
pick_ports() {
  local p want=() 
  [[ $RPORT == auto ]] && want+=(r)
  [[ $HPORT == auto ]] && want+=(h)
  for (( p = PORT_MIN; p <= PORT_MAX && ${#want[@]} > 0; p++ )); do
    [[ $p == "$RPORT" || $p == "$HPORT" ]] && continue
    listening "$p" && continue
    if [[ ${want[0]} == r ]]; then RPORT=$p; else HPORT=$p; fi
    want=("${want[@]:1}")
  done
  (( ${#want[@]} == 0 )) || die "no free port left in $PORT_MIN-$PORT_MAX (set SKS_PEER_PORT_MIN/MAX)"
}

write_sksconf() {
  local dir=$1
  {
    echo "# generated by sks-peer.sh $(date -u +%FT%TZ)"
    echo "hostname: $HOSTNAME_LABEL"
    echo "nodename: ${NODENAME:-sks-$RPORT}"
    echo "hkp_address: 127.0.0.1"
    echo "hkp_port: $HPORT"
    echo "recon_address: 127.0.0.1"
    echo "recon_port: $RPORT"
    echo "debuglevel: $DEBUGLEVEL"
    echo "initial_stat:"
    echo "disable_mailsync:"
    echo "membership_reload_interval: 1"
    echo "gossip_interval: $GOSSIP"
    (( DONTGOSSIP )) && echo "dontgossip:"
    local kv; for kv in "${EXTRA[@]}"; do echo "${kv%%:*}: ${kv#*:}"; done
  } >"$dir/etc/sks/sksconf"
}

# prepare_dir DIR MODE KEY... : FHS tree, DB_CONFIG, and (if there is no DB yet) the import
prepare_dir() {
  local dir=$1 mode=$2; shift 2
  (( ${#dir} < 70 )) || die "DIR path too long for AF_UNIX sockets ($dir)"
  pid_alive "$dir/db.pid" db "$dir" && die "sks db already running in $dir (pid $(<"$dir/db.pid"))"
  pid_alive "$dir/recon.pid" recon "$dir" && die "sks recon already running in $dir"
  layout "$dir"
  # BDB tunables: copied into DB/ and PTree/ at build/pbuild time (Utils.initdbconf
  # looks for BASEDIR/DB_CONFIG.<dbname> then BASEDIR/DB_CONFIG)
  [[ -f $dir/DB_CONFIG ]] || cat >"$dir/DB_CONFIG" <<EOF
log_set_config DB_LOG_AUTO_REMOVE
set_lg_max 10485760
set_tmp_dir $dir/tmp
EOF
  if [[ ! -d $dir/var/lib/sks/DB ]]; then
    [[ -d $dir/var/lib/sks/PTree ]] && rm -rf "$dir/var/lib/sks/PTree"
    log "importing ${*:-(no keys: empty DB)} with $mode"
    import_keys "$dir" "$mode" "$@"
  elif (( $# )); then
    die "$dir already has a DB; remove $dir/var/lib/sks/{DB,PTree,dump} to re-import"
  fi
}

# build DIR [-k FILE]... [-b MODE] [-C]: only the import (build|fastbuild, cleandb, pbuild),
# no daemons, no ports -- for benchmarks.  Timings in DIR/import.times.
cmd_build() {
  local dir=${1:?usage: build DIR -k FILE... [-b MODE] [-C]}; shift
  local keys=() mode=build
  CLEANDB=1
  while (( $# )); do
    case $1 in
      -k) keys+=("$2"); shift 2 ;;
      -b) mode=$2; shift 2; [[ $mode == build || $mode == fastbuild ]] || die "bad -b" ;;
      -C) CLEANDB=0; shift ;;
      *) die "unknown build option $1" ;;
    esac
  done
  (( ${#keys[@]} )) || die "build needs -k (an empty peer is made by 'start' without -k)"
  mkdir -p "$dir"; dir=$(abspath "$dir")
  [[ -d $dir/var/lib/sks/DB ]] && die "$dir already has a DB"
  prepare_dir "$dir" "$mode" "${keys[@]}"
}

cmd_start() {
  (( $# >= 3 )) || die "usage: start DIR RECON_PORT|auto HKP_PORT|auto [options] [PEER...]"
  local dir=$1; RPORT=$2 HPORT=$3; shift 3
  [[ $RPORT == auto ]] || check_port "$RPORT"
  [[ $HPORT == auto ]] || check_port "$HPORT"
  local keys=() mode=build timeout=120 watch=''
  HOSTNAME_LABEL=0.0.0.0 NODENAME='' GOSSIP=0.1 DONTGOSSIP=0 EXTRA=()
  DEBUGLEVEL=4 CLEANDB=1
  while (( $# )); do
    case $1 in
      -k) keys+=("$2"); shift 2 ;;
      -b) mode=$2; shift 2; [[ $mode == build || $mode == fastbuild ]] || die "bad -b" ;;
      -g) GOSSIP=$2; shift 2 ;;
      -G) DONTGOSSIP=1; shift ;;
      -H) HOSTNAME_LABEL=$2; shift 2 ;;
      -N) NODENAME=$2; shift 2 ;;
      -d) DEBUGLEVEL=$2; shift 2 ;;
      -C) CLEANDB=0; shift ;;
      -t) timeout=$2; shift 2 ;;
      -o) EXTRA+=("$2"); shift 2 ;;
      -w) watch=$2; shift 2; [[ $watch =~ ^[0-9]+$ ]] || die "bad -w pid" ;;
      -*) die "unknown option $1" ;;
      *) break ;;
    esac
  done
  local peers=("$@")
  [[ $HOSTNAME_LABEL != 127.0.0.1 && $HOSTNAME_LABEL != localhost && $HOSTNAME_LABEL != "$(hostname)" ]] || \
    [[ ${SKS_PEER_UNSAFE_HOSTNAME:-0} == 1 ]] || die "hostname '$HOSTNAME_LABEL' resolves to 127.0.0.1: recon would spin forever (gotcha 3)"
  [[ $HOSTNAME_LABEL =~ ^[0-9.]+$ || $HOSTNAME_LABEL =~ ^[0-9a-fA-F:]+$ ]] || \
    log "WARNING: non-numeric hostname '$HOSTNAME_LABEL' may cause a DNS lookup off-box"
  membership_lines "${peers[@]}" >/dev/null   # validate before any slow work

  mkdir -p "$dir"; dir=$(abspath "$dir")
  STARTDIR=$dir
  trap 'rc=$?; if (( rc != 0 )); then log "start failed; stopping what was started"; cmd_stop "$STARTDIR" || true; fi' EXIT
  # import (slow, needs no ports: done before taking the port lock)
  prepare_dir "$dir" "$mode" "${keys[@]}"

  # --- choose ports and bind them under the machine-wide lock ---
  local t0=$SECONDS
  exec 9>>"$LOCK"
  flock -w "$timeout" 9 || die "could not lock $LOCK within ${timeout}s"
  pick_ports
  listening "$HPORT" && die "port $HPORT already in use"
  listening "$RPORT" && die "port $RPORT already in use"
  write_sksconf "$dir"
  membership_lines "${peers[@]}" >"$dir/etc/sks/membership"
  : >"$dir/etc/sks/mailsync"

  # watchdog first, so even a start killed half-way cannot leave daemons behind
  if [[ -n $watch ]]; then
    setsid bash "$SELF" _watch "$dir" "$watch" "$$" </dev/null >/dev/null 2>&1 9>&- &
    echo $! >"$dir/watch.pid"
  fi

  # --- start sks db, then recon (recon needs db's command socket) ---
  rm -f "$dir/var/run/sks/db_com_sock" "$dir/var/run/sks/recon_com_sock"
  (cd "$dir" && exec setsid "$SKS" db -basedir "$dir" </dev/null >"$dir/db.out" 2>&1 9>&-) &
  echo $! >"$dir/db.pid"
  wait_for "$timeout" db_ready "$dir" "$HPORT" || die "sks db not ready after ${timeout}s"
  log "sks db pid $(<"$dir/db.pid") ready on http://127.0.0.1:$HPORT ($((SECONDS - t0))s)"
  if [[ -s $dir/seed.fpr ]]; then   # empty peer: remove the seed key (see import_keys)
    local sh; sh=$(http_get "$HPORT" "/pks/lookup?op=index&hash=on&search=0x$(<"$dir/seed.fpr")" | \
      grep -o 'op=hget&amp;search=[0-9A-Fa-f]\{32\}' | head -1 | sed 's/.*search=//')
    [[ -n $sh ]] || die "seed key not found in db"
    sks_cmd "$dir" drop "$sh" >/dev/null
    rm -f "$dir/seed.fpr"
    log "dropped seed key $sh -> empty DB with filters yminsky.dedup,yminsky.merge"
  fi
  RECON_LOG_OFF=$(stat -c %s "$dir/var/log/sks/recon.log" 2>/dev/null || echo 0)
  (cd "$dir" && exec setsid "$SKS" recon -basedir "$dir" </dev/null >"$dir/recon.out" 2>&1 9>&-) &
  echo $! >"$dir/recon.pid"
  wait_for "$timeout" recon_listening "$dir" "$RPORT" || die "sks recon not listening after ${timeout}s"
  flock -u 9; exec 9>&-   # both ports are bound: other starts may pick ports now
  wait_for "$timeout" recon_ready "$dir" "$RPORT" || die "sks recon not ready after ${timeout}s"
  log "sks recon pid $(<"$dir/recon.pid") ready on 127.0.0.1:$RPORT ($((SECONDS - t0))s); peers: ${peers[*]:-none}"

  disown -a 2>/dev/null || true
  trap - EXIT
  echo "hkp_port=$HPORT recon_port=$RPORT" >"$dir/ports"
  echo "dir=$dir hkp_port=$HPORT recon_port=$RPORT"
}

# _watch DIR OWNER STARTER (internal): stop DIR's SKS once OWNER is gone; quit when
# SKS was stopped some other way (once STARTER, the 'start' that spawned us, is over)
cmd_watch() {
  local dir=$1 owner=$2 starter=$3
  while kill -0 "$owner" 2>/dev/null; do
    if ! kill -0 "$starter" 2>/dev/null; then
      pid_alive "$dir/db.pid" db "$dir" || pid_alive "$dir/recon.pid" recon "$dir" || exit 0
    fi
    sleep 1
  done
  rm -f "$dir/watch.pid"
  cmd_stop "$dir" 2>/dev/null || true
  [[ -e $dir/.dks-remove ]] && rm -rf "$dir"
  exit 0
}

stop_one() {  # stop_one DIR SUB
  local dir=$1 sub=$2 pf=$1/$2.pid pid i
  if pid_alive "$pf" "$sub" "$dir"; then
    pid=$(<"$pf")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do pid_alive "$pf" "$sub" "$dir" || break; sleep 0.1; done
    if pid_alive "$pf" "$sub" "$dir"; then
      log "sks $sub ($pid) ignored SIGTERM for 10s; SIGKILL (run db5.3_recover before reuse)"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped sks $sub ($pid)"
  fi
  rm -f "$pf"
}

cmd_stop() {
  local dir; dir=$(abspath "${1:?usage: stop DIR}")
  if watch_alive "$dir" && [[ $(<"$dir/watch.pid") != "$$" ]]; then kill "$(<"$dir/watch.pid")" 2>/dev/null || true; fi
  rm -f "$dir/watch.pid"
  stop_one "$dir" recon   # recon first: it talks to db
  stop_one "$dir" db
}

cmd_status() {
  local dir s rc=0; dir=$(abspath "${1:?usage: status DIR}")
  for s in db recon; do
    if pid_alive "$dir/$s.pid" "$s" "$dir"; then
      echo "$s: running pid $(<"$dir/$s.pid") rss_kb=$(awk '/VmRSS/{print $2}' "/proc/$(<"$dir/$s.pid")/status")"
    else echo "$s: stopped"; rc=1; fi
  done
  grep -E '^(hkp_port|recon_port|hostname)' "$dir/etc/sks/sksconf" || true
  echo "membership: $(grep -v '^#' "$dir/etc/sks/membership" | tr '\n' ';')"
  return $rc
}

cmd_count() {  # prints "Total number of keys" from op=stats after forcing a recompute
  local dir; dir=$(abspath "${1:?usage: count DIR}")
  local port; port=$(awk '/^hkp_port:/{print $2}' "$dir/etc/sks/sksconf")
  pid_alive "$dir/db.pid" db "$dir" || die "db not running"
  local before; before=$(grep -c 'Done calculating DB stats' "$dir/var/log/sks/db.log" || true)
  kill -USR2 "$(<"$dir/db.pid")"
  # stats are recalculated by the event loop on the next tick; poll the log (debuglevel>=3)
  local i done=0
  for i in $(seq 1 300); do
    (( $(grep -c 'Done calculating DB stats' "$dir/var/log/sks/db.log" || true) > before )) && { done=1; break; }
    sleep 0.1
  done
  (( done )) || die "db did not recompute its stats within 30 s (debuglevel < 3?)"
  local n; n=$(http_get "$port" '/pks/lookup?op=stats' | \
    sed -n 's/.*Total number of keys:[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -1)
  [[ -n $n ]] || die "no key count in op=stats"
  echo "$n"
}

cmd_peers() {
  local dir; dir=$(abspath "${1:?usage: peers DIR PEER...}"); shift
  membership_lines "$@" >"$dir/etc/sks/membership.new"
  mv "$dir/etc/sks/membership.new" "$dir/etc/sks/membership"
}

cmd_merge() {  # add keys to an existing (stopped) DB; recon's startup catchup updates PTree
  local dir; dir=$(abspath "${1:?usage: merge DIR FILE...}"); shift
  pid_alive "$dir/db.pid" db "$dir" && die "stop sks db first (no BDB locking)"
  [[ -d $dir/var/lib/sks/DB ]] || die "no DB in $dir"
  local f files=()
  for f in "$@"; do
    if head -c 64 "$f" | grep -q -- '-----BEGIN PGP'; then
      gpg --batch --dearmor <"$f" >"$dir/tmp/$(basename "$f").bin"; files+=("$dir/tmp/$(basename "$f").bin")
    else files+=("$(cd "$(dirname "$f")" && pwd -P)/$(basename "$f")"); fi
  done
  sks_cmd "$dir" merge "${files[@]}"
}

cmd_dump() {
  local dir; dir=$(abspath "${1:?usage: dump DIR OUTDIR [N]}"); local out=${2:?usage: dump DIR OUTDIR [N]} n=${3:-15000}
  pid_alive "$dir/db.pid" db "$dir" && die "stop sks db first (no BDB locking)"
  [[ -d $dir/var/lib/sks/DB ]] || die "no DB in $dir"
  mkdir -p "$out"; out=$(abspath "$out")
  sks_cmd "$dir" dump "$n" "$out" sks-dump >"$dir/dump.out" 2>&1 || { cat "$dir/dump.out" >&2; die "sks dump failed"; }
}

case ${1:-} in
  start)  shift; cmd_start "$@" ;;
  build)  shift; cmd_build "$@" ;;
  stop)   shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  count)  shift; cmd_count "$@" ;;
  peers)  shift; cmd_peers "$@" ;;
  dump)   shift; cmd_dump "$@" ;;
  merge)  shift; cmd_merge "$@" ;;
  _watch) shift; cmd_watch "$@" ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
