'use strict';
// Helper of bench/recon-scale.sh and bench/quorum-scale.sh (run it through those scripts). Uses
// the built packages (packages/*/dist, `npm run build`); nothing here is part of npm test.
//
//   node bench/scale-bench.js split KEYS OUTDIR D
//       hold out the last D keys of the generated set KEYS (bench/gen-keys.mjs): writes
//       OUTDIR/only-a.pgp and OUTDIR/only-b.pgp (alternate keys, D/2 each), OUTDIR/common-tail.pgp
//       (the other keys of the dump files they sit in) and OUTDIR/common.list (the files that
//       hold the N - D common keys, one path a line)
//   node bench/scale-bench.js recon-wait OUT.env TIMEOUT_S N NAME:LOG:PID:HKP:MISSING...
//       until each node has recovered what it lacks (its recon log lines) and its stats show N
//       keys under every recon policy; prints the sessions, writes the results as KEY=VALUE lines
//   node bench/scale-bench.js attest-disk CONFIG N NAME:DATA...
//       the attestation databases of each stopped member, one line each: name, attestations
//       held, their bytes (LMDB page counts), bytes of data.mdb, bytes per key, details
//   node bench/scale-bench.js quorum-wait OUT.env CONFIG FINGERPRINTS TIMEOUT_S OWN NAME:DATA:LOG:PID...
//       until every key is accepted on every member and every member holds all attestations
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const pkg = (name) => require(path.join(ROOT, 'packages', name));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (x) => Math.round(x).toLocaleString('en-US');
const secs = (ms) => (ms / 1000).toFixed(3);

/** RssAnon of a process in kB (0 once it is gone). */
function rssAnon(pid) {
  try {
    const m = /^RssAnon:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The JSON recon session lines of a `dkeyserv serve` log (docs/recon.md §9), in order. */
function sessions(file) {
  if (!fs.existsSync(file)) return [];
  const out = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let l;
    try {
      l = JSON.parse(line);
    } catch {
      continue; // a line still being written
    }
    if (l.component !== 'recon' || !/^recon (to|from) /.test(l.message)) continue;
    out.push({
      at: Date.parse(l.timestamp),
      started: l.startedAt ? Date.parse(l.startedAt) : undefined,
      direction: l.direction,
      found: Number(l.found) || 0,
      recovered: Number(l.recovered) || 0,
      extraFound: Number(l.extra?.found) || 0,
      extraRecovered: Number(l.extra?.recovered) || 0,
      reconMs: l.reconMs,
      recoveryMs: l.recoveryMs,
      error: l.level === 'warn' ? l.message.replace(/^.*? failed: /, '') : undefined,
    });
  }
  return out;
}

/** key=value lines for the calling script (`source`d there): numbers and plain words only. */
function writeEnv(file, values) {
  fs.writeFileSync(file, Object.entries(values).map(([k, v]) => `${k}='${String(v).replace(/'/g, '')}'\n`).join(''));
}

function getJson(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 30_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (e) {
          reject(new Error(`${urlPath} on ${port}: ${res.statusCode}, not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${urlPath} on ${port} timed out`)));
    req.on('error', reject);
  });
}

// ---- split: the held-out keys of a generated set -------------------------------------------

function split(keysDir, outDir, dStr) {
  const { splitKeyring, isKeyringError } = pkg('pgp');
  const [n, perFile] = fs.readFileSync(path.join(keysDir, 'COMPLETE'), 'utf8').trim().split(/\s+/).map(Number);
  const d = Number(dStr);
  if (!(d >= 2 && d % 2 === 0 && d < n)) throw new Error(`D must be even, at least 2 and below N = ${n}`);
  const fprs = fs.readFileSync(path.join(keysDir, 'fingerprints.txt'), 'utf8').split('\n');
  const dump = (f) => path.join(keysDir, `sks-dump-${String(f).padStart(4, '0')}.pgp`);
  const files = Math.ceil(n / perFile);
  const first = Math.floor((n - d) / perFile); // the first file holding a held-out key
  const parts = { 'common-tail': [], 'only-a': [], 'only-b': [] };
  for (let f = first; f < files; f++) {
    const buf = fs.readFileSync(dump(f));
    const keys = [];
    for (const e of splitKeyring(buf)) {
      if (isKeyringError(e)) throw new Error(`${dump(f)}: ${e.error.message}`);
      keys.push(e);
    }
    const expected = Math.min(perFile, n - f * perFile);
    if (keys.length !== expected) throw new Error(`${dump(f)} holds ${keys.length} keys, not ${expected}`);
    keys.forEach((e, j) => {
      const i = f * perFile + j;
      const bytes = buf.subarray(e.offset, j + 1 < keys.length ? keys[j + 1].offset : buf.length);
      if (i < n - d) return void parts['common-tail'].push(bytes);
      // a held-out key must be the one fingerprints.txt names: the v4 fingerprint is SHA-1 of
      // 0x99, the two-octet length and the body of the primary key packet (RFC 4880 §12.2)
      const body = e.packets[0].body;
      const len = Buffer.from([0x99, body.length >> 8, body.length & 0xff]);
      const fpr = crypto.createHash('sha1').update(len).update(body).digest('hex').toUpperCase();
      if (fpr !== fprs[i]) throw new Error(`key ${i} in ${dump(f)} has fingerprint ${fpr}, fingerprints.txt says ${fprs[i]}`);
      parts[(i - (n - d)) % 2 ? 'only-b' : 'only-a'].push(bytes);
    });
  }
  for (const [name, keys] of Object.entries(parts)) fs.writeFileSync(path.join(outDir, `${name}.pgp`), Buffer.concat(keys));
  const common = [...Array.from({ length: first }, (_, f) => dump(f)), ...(parts['common-tail'].length ? [path.join(outDir, 'common-tail.pgp')] : [])];
  fs.writeFileSync(path.join(outDir, 'common.list'), common.join('\n') + '\n');
  console.log(`${n - d} common keys (${first} whole dump files + ${parts['common-tail'].length} keys in common-tail.pgp), ${parts['only-a'].length} only on A, ${parts['only-b'].length} only on B`);
}

// ---- recon-wait: two nodes reach the union ---------------------------------------------------

async function reconWait(envFile, timeoutS, nStr, specs) {
  const n = Number(nStr);
  const nodes = specs.map((s) => {
    const [name, log, pid, hkp, missing] = s.split(':');
    return { name, log, pid: Number(pid), hkp: Number(hkp), missing: Number(missing), peak: 0, done: undefined, lines: [] };
  });
  const deadline = Date.now() + Number(timeoutS) * 1000;
  // 1. the logs: each node's recovered keys add up to what it lacks
  for (;;) {
    for (const node of nodes) {
      node.peak = Math.max(node.peak, rssAnon(node.pid));
      node.lines = sessions(node.log);
      let sum = 0;
      node.done = undefined;
      for (const l of node.lines) {
        sum += l.recovered;
        if (node.done === undefined && sum >= node.missing) node.done = l.at;
      }
      node.sum = sum;
    }
    if (nodes.every((x) => x.done !== undefined)) break;
    if (Date.now() > deadline) throw new Error(`no union within ${timeoutS} s: ${nodes.map((x) => `${x.name} recovered ${x.sum} of ${x.missing} in ${x.lines.length} sessions`).join('; ')}`);
    for (const x of nodes) if (rssAnon(x.pid) === 0) throw new Error(`node ${x.name} (pid ${x.pid}) is gone`);
    await sleep(100);
  }
  const logged = Date.now();
  // 2. their stats: N keys under every recon policy (the stats view is cached for up to 10 s)
  let counts;
  for (;;) {
    counts = await Promise.all(nodes.map((x) => getJson(x.hkp, '/pks/lookup?op=stats&options=mr')));
    for (const x of nodes) x.peak = Math.max(x.peak, rssAnon(x.pid));
    if (counts.every((s) => s.total === n && s.reconPolicies.every((p) => p.keys === n))) break;
    if (Date.now() > Math.max(deadline, logged + 30_000)) {
      throw new Error(`the logs show every key recovered, but the stats do not show ${n} keys: ${counts.map((s, i) => `${nodes[i].name} ${s.total} (${s.reconPolicies.map((p) => `${p.name} ${p.keys}`).join(', ')})`).join('; ')}`);
    }
    await sleep(500);
  }
  const statsMs = Date.now() - logged;

  // the first session that got through (a dial before the peer listens fails and does not count)
  const ok = nodes.flatMap((x) => x.lines.filter((l) => !l.error && l.started !== undefined));
  if (!ok.length) throw new Error('no session line carries startedAt: is this a build from before the session timings?');
  const t0 = Math.min(...ok.map((l) => l.started));
  const t1 = Math.max(...nodes.map((x) => x.done));
  const failedBefore = nodes.flatMap((x) => x.lines.filter((l) => l.error && l.at < t0)).length;
  const values = { T_UNION: secs(t1 - t0), FAILED_BEFORE: failedBefore, STATS_S: secs(statsMs) };
  for (const x of nodes) {
    const upTo = x.lines.filter((l) => l.at <= t1);
    const okUpTo = upTo.filter((l) => !l.error);
    console.log(`node ${x.name}: ${upTo.length} session lines until the union (${okUpTo.length} completed, ${upTo.length - okUpTo.length} failed); times in s after the first session began:`);
    for (const l of upTo) {
      const what = l.error ? `failed: ${l.error}` : `found ${l.found}, recovered ${l.recovered}`;
      const fetched = l.recoveryMs === undefined ? '' : `, fetched in ${secs(l.recoveryMs)} s`;
      const timing = l.reconMs === undefined ? '' : l.error ? ` after ${secs(l.reconMs)} s${fetched}` : `; reconciled in ${secs(l.reconMs)} s${fetched}`;
      console.log(`  began ${secs((l.started ?? l.at) - t0)}  ended ${secs(l.at - t0)}  ${l.direction === 'in' ? 'in ' : 'out'}  ${what}${timing}`);
    }
    const u = x.name.toUpperCase();
    Object.assign(values, {
      [`DONE_${u}`]: secs(x.done - t0),
      [`SESSIONS_${u}`]: okUpTo.length,
      [`FAILED_${u}`]: upTo.length - okUpTo.length,
      [`FETCHED_${u}`]: x.sum,
      [`RECON_MS_${u}`]: okUpTo.filter((l) => l.found > 0).map((l) => l.reconMs).join('/') || '-',
      [`FETCH_MS_${u}`]: okUpTo.filter((l) => l.found > 0).map((l) => l.recoveryMs).join('/') || '-',
      [`PEAK_${u}`]: x.peak,
      [`RSS_${u}`]: rssAnon(x.pid),
    });
  }
  writeEnv(envFile, values);
}

// ---- attest-disk: the attestation databases of stopped members ---------------------------------

/** The ext-* databases quorum mode keeps (packages/cli/src/quorum-node.ts, packages/quorum/src). */
const ATTEST_DBS = ['attest', 'attest-ptree', 'attest-versions', 'attest-mark'];

async function attestDisk(configFile, nStr, specs) {
  const { KeyStore } = pkg('db');
  const { AttestationStore } = pkg('quorum');
  const { loadConfig } = require(path.join(ROOT, 'packages/cli/dist/config.js'));
  const policy = loadConfig(configFile).quorum;
  const n = Number(nStr);
  for (const spec of specs) {
    const [name, data] = spec.split(':');
    const store = KeyStore.open({ path: path.join(data, 'db'), readOnly: true });
    let bytes = 0;
    const parts = [];
    for (const db of ATTEST_DBS) {
      const d = store.openDatabase(db);
      if (!d) continue;
      const s = d.getStats();
      const b = (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages) * s.pageSize;
      bytes += b;
      parts.push(`${db} ${fmt(s.entryCount)} entries ${(b / 1048576).toFixed(1)} MB`);
    }
    const ids = [...AttestationStore.open(store, policy).ids()].length;
    const file = fs.statSync(path.join(data, 'db', 'data.mdb')).size;
    await store.close();
    // one line per member: name, attestations held, bytes of the attestation dbs, data.mdb bytes
    console.log(`${name} ${ids} ${bytes} ${file} ${(bytes / n).toFixed(0)} ${parts.join('; ')}`);
  }
}

// ---- quorum-wait: every key accepted on every member -------------------------------------------

async function quorumWait(envFile, configFile, fprFile, timeoutS, ownStr, specs) {
  const { KeyStore } = pkg('db');
  const { AttestationStore } = pkg('quorum');
  const { loadConfig } = require(path.join(ROOT, 'packages/cli/dist/config.js'));
  const policy = loadConfig(configFile).quorum;
  const own = Number(ownStr);
  const fprs = fs.readFileSync(fprFile, 'utf8').split('\n').filter(Boolean).map((h) => Buffer.from(h, 'hex'));
  const members = specs.map((s) => {
    const [name, data, log, pid] = s.split(':');
    const member = policy.members.find((m) => m.name === name);
    if (!member) throw new Error(`${name} is not a member of the policy in ${configFile}`);
    const store = KeyStore.open({ path: path.join(data, 'db'), readOnly: true });
    const attestations = AttestationStore.open(store, policy);
    // the keys to wait for: those this member attested itself (it signs what it would serve)
    const pending = fprs.filter((f) => attestations.latest(member.key, f) !== undefined);
    return { name, log, pid: Number(pid), store, attestations, pending, target: pending.length, peak: 0, lines: [], checked: -1, accepted: undefined, full: undefined, checks: 0, checkMs: 0 };
  });
  const deadline = Date.now() + Number(timeoutS) * 1000;
  const want = { accepted: policy.k * own, full: policy.n * own };
  for (;;) {
    for (const m of members) {
      m.peak = Math.max(m.peak, rssAnon(m.pid));
      m.lines = sessions(m.log);
      m.held = own + m.lines.reduce((a, l) => a + l.extraRecovered, 0);
      if (m.full === undefined && m.held >= want.full) {
        let sum = own;
        m.full = m.lines.find((l) => (sum += l.extraRecovered) >= want.full).at;
      }
      // checking every pending key costs time: only once this member can hold k attestations of
      // each key, and again after each of its next sessions; the answer holds from the check's start
      if (m.accepted === undefined && m.held >= want.accepted && m.lines.length > m.checked) {
        const start = Date.now();
        m.checked = m.lines.length;
        m.pending = m.pending.filter((f) => !m.attestations.accepted(f));
        m.checks++;
        m.checkMs += Date.now() - start;
        if (m.pending.length === 0) m.accepted = start;
      }
    }
    if (members.every((m) => m.accepted !== undefined && m.full !== undefined)) break;
    if (Date.now() > deadline) {
      throw new Error(`not done within ${timeoutS} s: ${members.map((m) => `${m.name} holds ~${m.held} of ${want.full} attestations, ${m.accepted === undefined ? `${m.pending.length} of ${m.target} keys not accepted at the last check` : 'all keys accepted'}`).join('; ')}`);
    }
    for (const m of members) if (rssAnon(m.pid) === 0) throw new Error(`member ${m.name} (pid ${m.pid}) is gone`);
    await sleep(200);
  }
  // Attestations only arrive in recoveries, each ended by its session line. So if no recovery
  // that fetched attestations was under way when the passing check began, every key was already
  // accepted when the last such line before the check was written: that is the exact time.
  // Otherwise the check's start is the bound we have.
  for (const m of members) {
    const fetching = (l) => l.extraRecovered > 0;
    const before = m.lines.slice(0, m.checked).filter(fetching).pop();
    const during = m.lines.slice(m.checked).some((l) => fetching(l) && (l.started ?? l.at) < m.accepted);
    m.exact = before !== undefined && !during;
    if (m.exact) m.accepted = before.at;
  }
  const ok = members.flatMap((m) => m.lines.filter((l) => !l.error && l.started !== undefined));
  if (!ok.length) throw new Error('no session line carries startedAt: is this a build from before the session timings?');
  const t0 = Math.min(...ok.map((l) => l.started));
  const tAccepted = Math.max(...members.map((m) => m.accepted));
  const tFull = Math.max(...members.map((m) => m.full));
  const values = { K: policy.k, NMEMBERS: policy.n, T_ACCEPTED: secs(tAccepted - t0), T_FULL: secs(tFull - t0) };
  let fetched = 0;
  let fetchMs = 0;
  for (const m of members) {
    const upTo = m.lines.filter((l) => l.at <= m.full);
    const busy = upTo.filter((l) => l.extraFound > 0 || l.found > 0);
    const failed = upTo.filter((l) => l.error).length;
    console.log(`member ${m.name}: ${upTo.length} session lines until it held every attestation (${busy.length} fetched something, ${failed} failed, e.g. the partner was busy); s after the first session began:`);
    for (const l of busy) {
      const timing = l.reconMs === undefined ? '' : `; reconciled in ${secs(l.reconMs)} s, fetched in ${secs(l.recoveryMs ?? 0)} s`;
      console.log(`  began ${secs(l.started - t0)}  ended ${secs(l.at - t0)}  ${l.direction === 'in' ? 'in ' : 'out'}  keys ${l.found}/${l.recovered}  attestations found ${fmt(l.extraFound)}, fetched ${fmt(l.extraRecovered)}${timing}${l.error ? ` (failed: ${l.error})` : ''}`);
    }
    const got = busy.reduce((a, l) => a + l.extraRecovered, 0);
    const ms = busy.reduce((a, l) => a + (l.extraRecovered > 0 ? l.recoveryMs ?? 0 : 0), 0);
    fetched += got;
    fetchMs += ms;
    console.log(`  all ${fmt(m.target)} keys accepted at ${secs(m.accepted - t0)} s (${m.exact ? 'the end of the session that completed them' : 'at most: when the check began'}; ${m.checks} checks, ${secs(m.checkMs)} s of checking); every attestation held at ${secs(m.full - t0)} s; fetched ${fmt(got)} in ${secs(ms)} s of fetching: ${fmt(ms ? (got / ms) * 1000 : 0)}/s`);
    const u = m.name.toUpperCase();
    Object.assign(values, {
      [`ACC_${u}`]: secs(m.accepted - t0),
      [`FULL_${u}`]: secs(m.full - t0),
      [`FETCHED_${u}`]: got,
      [`RATE_${u}`]: (ms ? (got / ms) * 1000 : 0).toFixed(0),
      [`SESSIONS_${u}`]: busy.length,
      [`PEAK_${u}`]: m.peak,
      [`RSS_${u}`]: rssAnon(m.pid),
    });
    await m.store.close();
  }
  Object.assign(values, {
    FETCHED: fetched,
    RATE_WALL: ((fetched / (tFull - t0)) * 1000).toFixed(0),
    RATE_FETCHING: (fetchMs ? (fetched / fetchMs) * 1000 : 0).toFixed(0),
  });
  writeEnv(envFile, values);
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  switch (mode) {
    case 'split':
      return split(...args);
    case 'recon-wait':
      return reconWait(args[0], args[1], args[2], args.slice(3));
    case 'attest-disk':
      return attestDisk(args[0], args[1], args.slice(2));
    case 'quorum-wait':
      return quorumWait(args[0], args[1], args[2], args[3], args[4], args.slice(5));
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((e) => {
  console.error(`scale-bench: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
