#!/usr/bin/env bash
# bench/recon.sh -- recon benchmarks: dkeyserv next to a real SKS, and large prefix trees.
#
#   npm run build && bash bench/recon.sh [RUNS] [TREE_SIZE] [GOSSIP_SECONDS]
#
# (a) convergence of two nodes, RUNS (default 3) alternating runs of each pair:
#     node A holds debian-keyring (905 keys), node B debian-keyring minus every 18th key (51)
#     plus debian-maintainers (231): 1085 keys; the union is 1136 (A lacks 231, B lacks 51).
#     Both nodes list each other and gossip every GOSSIP_SECONDS (default 1 s) -- the SAME
#     interval for both implementations (SKS's gossip_interval is in minutes: GOSSIP/60).
#       dkeyserv: `dkeyserv import` each set into a fresh dir (not timed), then both
#                 `dkeyserv serve --hkp 127.0.0.1:P --recon 127.0.0.1:R --peer 127.0.0.1:R2
#                 --gossip-interval G` started together.  Time = from the later of the two
#                 "serving HKP" log lines until each node has recovered everything it lacked
#                 (the sum of "recovered" over its recon log lines), from the servers' own
#                 millisecond log timestamps; then `dkeyserv hashes` must show 1136 on both.
#       SKS:      scripts/sks-peer.sh start for A, then B (build+cleandb+pbuild, db, recon;
#                 -g G/60, debuglevel 3), each listing the other.  Time = from the moment both
#                 are ready until `sks-peer.sh count` (SIGUSR2 recount) shows 1136 on both,
#                 polled every ~0.2 s.  SKS's acceptor waits a hard-coded 10 s before it
#                 fetches (reconserver.ml), so SKS cannot go below ~10 s + one gossip interval.
#     Target: dkeyserv <= 2 s.
# (b) one recon session between two dkeyserv prefix trees of TREE_SIZE (default 1,000,000)
#     synthetic elements (MD5 of counters) that differ by d = 1,000 (500 on each side): the
#     trees are built in-process with PrefixTree.rebuild (what `dkeyserv pbuild` does) in two
#     LMDB stores (KeyStore.openDatabase, no keys), then runRequester and runResponder run in
#     two processes over a loopback TCP connection.  Prints the session time (config exchange
#     included), the bytes each side wrote and total / (16 * d), checks that each side found
#     exactly the other's 500, and times per-element PrefixTree.insert (the ingest path) on a
#     5,000-element sample into the full-size tree.  Target: session <= 10 s.
# Only 127.0.0.1 is used.  Needs the Debian packages sks and debian-keyring.  Scratch space is
# one /tmp/dks-rb-* dir, removed at exit (with every process started here).
set -euo pipefail

RUNS=${1:-3}
TREE=${2:-1000000}
GOSSIP=${3:-1}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CLI=$ROOT/packages/cli/dist/main.js
SKS_PEER=$ROOT/scripts/sks-peer.sh
SKS_RANGE=(${SKS_PEER_PORT_MIN:-21370} ${SKS_PEER_PORT_MAX:-21399})

[[ $RUNS =~ ^[0-9]+$ ]] && (( RUNS >= 1 )) || { echo "RUNS must be >= 1" >&2; exit 2; }
[[ $TREE =~ ^[0-9]+$ ]] && (( TREE >= 2000 )) || { echo "TREE_SIZE must be >= 2000" >&2; exit 2; }
[[ $GOSSIP =~ ^[0-9]+$ ]] && (( GOSSIP >= 1 )) || { echo "GOSSIP_SECONDS must be a whole number >= 1" >&2; exit 2; }
[[ -f /usr/share/keyrings/debian-keyring.gpg && -f /usr/share/keyrings/debian-maintainers.gpg ]] || { echo "apt-get install debian-keyring" >&2; exit 1; }
[[ -f $CLI ]] || { echo "no $CLI: run 'npm run build' first" >&2; exit 1; }
[[ -x ${SKS:-/usr/sbin/sks} ]] || { echo "no SKS binary (apt-get install sks)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/dks-rb-XXXXXX)   # short: SKS puts AF_UNIX sockets under it
# runs happen in $(...) subshells: what they start is recorded in files, so cleanup finds it
cleanup() {
  local p d
  for p in $(cat "$TMP/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  for d in $(cat "$TMP/sksdirs" 2>/dev/null); do [[ -d $d ]] && bash "$SKS_PEER" stop "$d" >/dev/null 2>&1 || true; done
  sleep 0.5
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "$*" >&2; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

HELPER=$TMP/recon-bench.js
cat >"$HELPER" <<'EOF'
'use strict';
const [ROOT, MODE, ...ARGS] = process.argv.slice(2);
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { createHash } = require('node:crypto');
const { fork } = require('node:child_process');
const pkg = (name) => require(path.join(ROOT, 'packages', name));

function keyBlocks(file) {
  const { splitKeyring, isKeyringError } = pkg('pgp');
  const buf = fs.readFileSync(file);
  const offs = [];
  for (const e of splitKeyring(buf)) {
    if (isKeyringError(e)) throw e.error;
    offs.push(e.offset);
  }
  return offs.map((o, i) => buf.subarray(o, i + 1 < offs.length ? offs[i + 1] : buf.length));
}

function freePorts(n, lo, hi) {
  // lo/hi: a range to search (SKS ports must lie in sks-peer.sh's range), else the kernel picks
  return (async () => {
    const out = [];
    const tryBind = (p) => new Promise((res) => {
      const s = net.createServer();
      s.once('error', () => res(undefined));
      s.listen(p, '127.0.0.1', () => { const a = s.address().port; s.close(() => res(a)); });
    });
    if (lo === undefined) { for (let i = 0; i < n; i++) out.push(await tryBind(0)); return [...new Set(out)].length === n ? out : freePorts(n); }
    for (let p = lo; p <= hi && out.length < n; p++) if ((await tryBind(p)) !== undefined) out.push(p);
    if (out.length < n) throw new Error(`no ${n} free ports in ${lo}-${hi}`);
    return out;
  })();
}

/** JSON log lines of a dkeyserv serve log */
function logLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).filter(Boolean);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const md5 = (s) => createHash('md5').update(s).digest();

async function main() {
  switch (MODE) {
    case 'keysets': {
      // keysets OUTDIR: setA = debian-keyring (905), setB = debian-keyring minus every 18th key
      // (51 keys) + debian-maintainers (231) = 1085; the union is 1136
      const [out] = ARGS;
      const ring = keyBlocks('/usr/share/keyrings/debian-keyring.gpg');
      const maint = keyBlocks('/usr/share/keyrings/debian-maintainers.gpg');
      const b = [...ring.filter((_, i) => i % 18 !== 0), ...maint];
      fs.writeFileSync(path.join(out, 'setA.gpg'), Buffer.concat(ring));
      fs.writeFileSync(path.join(out, 'setB.gpg'), Buffer.concat(b));
      console.log(`${ring.length} ${b.length}`);
      return;
    }
    case 'ports': {
      const [n, lo, hi] = ARGS.map(Number);
      console.log((await freePorts(n, lo || undefined, hi || undefined)).join(' '));
      return;
    }
    case 'wait-dk': {
      // wait-dk LOG_A LOG_B MISSING_A MISSING_B TIMEOUT_S: wait until each node has recovered what it
      // lacked (the sum of "recovered" in its recon log lines) and print
      // "<seconds from both ready to both complete> <sessions A> <sessions B>", from the servers' own
      // millisecond log timestamps
      const [la, lb] = ARGS;
      const [ma, mb, timeout] = ARGS.slice(2).map(Number);
      const deadline = Date.now() + timeout * 1000;
      for (;;) {
        const res = [[la, ma], [lb, mb]].map(([f, missing]) => {
          const lines = logLines(f);
          const ready = lines.find((l) => /^serving HKP on /.test(l.message));
          let sum = 0;
          let done;
          const sessions = [];
          for (const l of lines) {
            if (l.component !== 'recon' || !/recovered$|failed:/.test(l.message)) continue;
            sessions.push(`${Date.parse(l.timestamp) - Date.parse(ready?.timestamp ?? l.timestamp)}ms ${l.direction} found=${l.found} recovered=${l.recovered}${l.level === 'warn' ? ' ' + l.message.replace(/^.*failed: /, 'failed: ') : ''}`);
            sum += Number(l.recovered) || 0;
            if (done === undefined && sum >= missing) done = Date.parse(l.timestamp);
          }
          return { ready: ready && Date.parse(ready.timestamp), done, sessions };
        });
        if (res.every((r) => r.ready && r.done !== undefined)) {
          const t0 = Math.max(res[0].ready, res[1].ready);
          const t1 = Math.max(res[0].done, res[1].done);
          console.log(`${((t1 - t0) / 1000).toFixed(3)}\t${res[0].sessions.join('; ')}\t${res[1].sessions.join('; ')}`);
          return;
        }
        if (Date.now() > deadline) {
          console.error(`timeout: ${JSON.stringify(res)}`);
          process.exit(1);
        }
        await sleep(100);
      }
    }
    case 'tree':
      return treeBench(...ARGS);
    case 'tree-side':
      return treeSide(...ARGS);
    default:
      throw new Error(`unknown mode ${MODE}`);
  }
}

// ---- (b) two prefix trees of N synthetic elements differing by D (D/2 on each side) ----------

function synthetic(n, d) {
  // common: md5("c<i>") for i < n - d/2; side a: md5("a<i>"), side b: md5("b<i>") for i < d/2
  const half = d / 2;
  const common = Array.from({ length: n - half }, (_, i) => md5(`c${i}`));
  const a = Array.from({ length: half }, (_, i) => md5(`a${i}`));
  const b = Array.from({ length: half }, (_, i) => md5(`b${i}`));
  return { common, a, b };
}

async function treeBench(dir, nStr, dStr, sampleStr) {
  const n = Number(nStr);
  const d = Number(dStr);
  const sample = Number(sampleStr);
  const { KeyStore } = pkg('db');
  const { PrefixTree } = pkg('recon');
  let t = process.hrtime.bigint();
  const lap = () => { const now = process.hrtime.bigint(); const s = Number(now - t) / 1e9; t = now; return s; };
  const { common, a, b } = synthetic(n, d);
  console.log(`elements: ${n} per tree (${common.length} common + ${a.length} own), d = ${d}; generated in ${lap().toFixed(2)} s`);

  // the trees themselves: PrefixTree.rebuild (what pbuild does: sort, then build bottom-up)
  for (const [side, own] of [['A', a], ['B', b]]) {
    const store = KeyStore.open({ path: path.join(dir, side), bulkLoad: true });
    const tree = new PrefixTree(store.openDatabase('ptree'));
    lap();
    const count = store.transaction(() => tree.rebuild([...common, ...own]));
    const s = lap();
    console.log(`tree ${side}: rebuild of ${count} elements in ${s.toFixed(2)} s (${tree.size()} in the tree)`);
    await store.close();
  }
  // the session: requester (acceptor) and responder in two processes over loopback TCP
  const expectA = new Set(b.map((h) => h.toString('hex'))); // what A lacks
  const expectB = new Set(a.map((h) => h.toString('hex')));
  const req = fork(__filename, [ROOT, 'tree-side', 'requester', path.join(dir, 'A')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((res) => req.once('message', (m) => res(m.port)));
  const resp = fork(__filename, [ROOT, 'tree-side', 'responder', path.join(dir, 'B'), String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ra, rb] = await Promise.all([req, resp].map((c) => new Promise((res, rej) => { c.once('message', res); c.once('exit', (code) => code && rej(new Error(`side exited ${code}`))); })));
  const okA = ra.found.length === expectA.size && ra.found.every((h) => expectA.has(h));
  const okB = rb.found.length === expectB.size && rb.found.every((h) => expectB.has(h));
  const t0 = Math.min(ra.start, rb.start);
  const t1 = Math.max(ra.end, rb.end);
  const bytes = ra.bytesWritten + rb.bytesWritten;
  console.log(`session: ${((t1 - t0) / 1000).toFixed(3)} s (config exchange included); requester found ${ra.found.length} (${okA ? 'exactly' : 'NOT'} B's own), responder found ${rb.found.length} (${okB ? 'exactly' : 'NOT'} A's own)`);
  console.log(`bytes on the wire: requester -> responder ${ra.bytesWritten}, responder -> requester ${rb.bytesWritten}, total ${bytes} = ${(bytes / (16 * d)).toFixed(2)} x (16 * d)`);
  console.log(`messages: requester sent ${ra.sent}, responder sent ${rb.sent}; requester process CPU ${ra.cpu.toFixed(2)} s, responder ${rb.cpu.toFixed(2)} s`);
  // per-element inserts (the ingest hook's path) into the full-size tree A, in one write transaction
  {
    const store = KeyStore.open({ path: path.join(dir, 'A'), bulkLoad: true });
    const tree = new PrefixTree(store.openDatabase('ptree'));
    const extra = Array.from({ length: sample }, (_, i) => md5(`x${i}`));
    lap();
    store.transaction(() => { for (const h of extra) tree.insert(h); });
    const s = lap();
    console.log(`per-element insert into the ${n}-element tree: ${sample} inserts in ${s.toFixed(2)} s = ${((s / sample) * 1e3).toFixed(3)} ms each -> ~${((s / sample) * n).toFixed(0)} s to build ${n} that way`);
    await store.close();
  }
  if (!okA || !okB) process.exitCode = 1;
}

async function treeSide(role, dir, port) {
  const { KeyStore } = pkg('db');
  const recon = pkg('recon');
  const store = KeyStore.open({ path: dir, readOnly: true });
  const tree = new recon.PrefixTree(store.openDatabase('ptree'));
  const config = { version: '1.1.6', httpPort: 11371, bitQuantum: 2, mbar: 5, filters: 'yminsky.dedup,yminsky.merge' };
  const run = async (socket) => {
    const cpu0 = process.cpuUsage();
    const start = Date.now();
    const conn = new recon.ReconConnection(socket);
    let sent = 0;
    const write = conn.write.bind(conn);
    conn.write = (m) => { sent++; write(m); };
    const found = new recon.FoundSet();
    await recon.exchangeConfig(conn, config, 30_000);
    if (role === 'requester') await recon.runRequester(conn, tree, found);
    else await recon.runResponder(conn, tree, found);
    const end = Date.now();
    const bytesWritten = socket.bytesWritten;
    conn.close();
    const cpu = process.cpuUsage(cpu0);
    process.send({ start, end, bytesWritten, sent, found: found.hashes().map((h) => h.toString('hex')), cpu: (cpu.user + cpu.system) / 1e6 }, () => process.exit(0));
  };
  if (role === 'requester') {
    const server = net.createServer((s) => { server.close(); run(s).catch((e) => { console.error(e); process.exit(1); }); });
    server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  } else {
    const s = net.connect({ host: '127.0.0.1', port: Number(port) }, () => run(s).catch((e) => { console.error(e); process.exit(1); }));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
EOF
helper() { node "$HELPER" "$ROOT" "$@"; }

echo "recon benchmark: $RUNS runs, gossip every $GOSSIP s, tree $TREE elements, $(nproc) CPUs, node $(node --version), sks $(dpkg-query -W -f '${Version}' sks 2>/dev/null || echo '?'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- (a) two nodes converge ---------------------------------------------------------------
read -r NA NB < <(helper keysets "$TMP")
[[ -n ${NB:-} ]] || { echo "could not write the key sets" >&2; exit 1; }
node "$CLI" import --data "$TMP/union" "$TMP/setA.gpg" "$TMP/setB.gpg" >/dev/null 2>&1 || { echo "import of the union failed" >&2; exit 1; }
UNION=$(node "$CLI" hashes --data "$TMP/union" | wc -l)
MISS_A=$(( UNION - NA )) MISS_B=$(( UNION - NB ))
echo "(a) A: $NA keys, B: $NB keys, union $UNION (A lacks $MISS_A, B lacks $MISS_B)"

dk_run() {  # prints "SECONDS<TAB>sessions A<TAB>sessions B"
  local d=$TMP/dk$1 pa pb ra rb res
  mkdir -p "$d"
  node "$CLI" import --data "$d/a" "$TMP/setA.gpg" >/dev/null 2>&1 &
  local i1=$!
  node "$CLI" import --data "$d/b" "$TMP/setB.gpg" >/dev/null 2>&1 || { echo "import B failed" >&2; exit 1; }
  wait "$i1" || { echo "import A failed" >&2; exit 1; }
  read -r pa pb ra rb < <(helper ports 4)
  node "$CLI" serve --init --data "$d/a" --hkp "127.0.0.1:$pa" --recon "127.0.0.1:$ra" --peer "127.0.0.1:$rb" --gossip-interval "$GOSSIP" 2>"$d/a.log" &
  local ka=$!
  node "$CLI" serve --init --data "$d/b" --hkp "127.0.0.1:$pb" --recon "127.0.0.1:$rb" --peer "127.0.0.1:$ra" --gossip-interval "$GOSSIP" 2>"$d/b.log" &
  local kb=$!
  echo "$ka $kb" >>"$TMP/pids"
  res=$(helper wait-dk "$d/a.log" "$d/b.log" "$MISS_A" "$MISS_B" 60) || { tail -5 "$d/a.log" "$d/b.log" >&2; exit 1; }
  local ca cb
  ca=$(node "$CLI" hashes --data "$d/a" | wc -l); cb=$(node "$CLI" hashes --data "$d/b" | wc -l)
  kill "$ka" "$kb"; wait "$ka" "$kb" 2>/dev/null || true
  (( ca == UNION && cb == UNION )) || { echo "dkeyserv run $1: A holds $ca, B $cb, not $UNION" >&2; exit 1; }
  rm -rf "$d"
  echo "$res"
}

sks_count() { bash "$SKS_PEER" count "$1" 2>/dev/null || echo -1; }
sks_run() {  # prints SECONDS
  local sa=$TMP/sa$1 sb=$TMP/sb$1 ra ha rb hb t0 t1 g
  read -r ra ha rb hb < <(helper ports 4 "${SKS_RANGE[@]}")
  g=$(awk -v s="$GOSSIP" 'BEGIN { printf "%.5f", s / 60 }')
  echo "$sa $sb" >>"$TMP/sksdirs"
  bash "$SKS_PEER" start "$sa" "$ra" "$ha" -k "$TMP/setA.gpg" -g "$g" -d 3 -w $$ "$rb" >/dev/null 2>"$sa.log" || { cat "$sa.log" >&2; exit 1; }
  bash "$SKS_PEER" start "$sb" "$rb" "$hb" -k "$TMP/setB.gpg" -g "$g" -d 3 -w $$ "$ra" >/dev/null 2>"$sb.log" || { cat "$sb.log" >&2; exit 1; }
  t0=$(date +%s.%N)
  local deadline=$(( SECONDS + 90 ))
  until [[ $(sks_count "$sa") == "$UNION" && $(sks_count "$sb") == "$UNION" ]]; do
    (( SECONDS < deadline )) || { echo "SKS run $1: no convergence within 90 s (A $(sks_count "$sa"), B $(sks_count "$sb"))" >&2; exit 1; }
    sleep 0.1
  done
  t1=$(date +%s.%N)
  bash "$SKS_PEER" stop "$sa" >/dev/null 2>&1; bash "$SKS_PEER" stop "$sb" >/dev/null 2>&1
  rm -rf "$sa" "$sb" "$sa.log" "$sb.log"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

dk_times=() sks_times=()
for (( i = 1; i <= RUNS; i++ )); do
  if (( i % 2 )); then r=$(dk_run "$i"); s=$(sks_run "$i"); else s=$(sks_run "$i"); r=$(dk_run "$i"); fi
  IFS=$'\t' read -r k sessA sessB <<<"$r"
  dk_times+=("$k"); sks_times+=("$s")
  printf 'run %d: dkeyserv %s s  SKS %s s\n' "$i" "$k" "$s"
  printf '  dkeyserv A sessions: %s\n  dkeyserv B sessions: %s\n' "$sessA" "$sessB"
done
mk=$(printf '%s\n' "${dk_times[@]}" | median)
ms=$(printf '%s\n' "${sks_times[@]}" | median)
printf '(a) median: dkeyserv %s s  SKS %s s  ratio dkeyserv/SKS %s  (target dkeyserv <= 2 s)\n' "$mk" "$ms" "$(awk -v a="$mk" -v b="$ms" 'BEGIN { printf "%.2f", a / b }')"

# ---- (b) one session between two large trees -------------------------------------------------
echo "(b) two prefix trees of $TREE elements, d = 1000 (500 on each side)"
mkdir -p "$TMP/trees"
helper tree "$TMP/trees" "$TREE" 1000 5000
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
