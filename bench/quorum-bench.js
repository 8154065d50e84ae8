'use strict';
// Helper of bench/quorum.sh (run it through that script). Uses the built packages
// (packages/*/dist, `npm run build`) and the openpgp npm package; nothing here is part of npm test.
//
//   node bench/quorum-bench.js micro DIR RUNS N BATCH     attestation sign / verify / store add rates
//   node bench/quorum-bench.js ports N                    N free TCP ports on 127.0.0.1
//   node bench/quorum-bench.js wait-ready PORT...         until every HKP port answers /pks/health
//   node bench/quorum-bench.js net KEYS NAME:PORT...      upload KEYS fresh keys, time until served
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { createHash, generateKeyPairSync, randomBytes, sign, verify } = require('node:crypto');

const ROOT = path.resolve(__dirname, '..');
const pkg = (name) => require(path.join(ROOT, 'packages', name));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => Math.round(x).toLocaleString('en-US');

// ---- (1) in-process: the real @dkeyserv/quorum code ----------------------------------------

async function micro(dir, runs, n, batch) {
  const { NodeIdentity, QuorumPolicy, signStatement, verifyAttestation, AttestationStore } = pkg('quorum');
  const { KeyStore } = pkg('db');
  const { PrefixTree } = pkg('recon');
  const names = ['alpha', 'bravo', 'charlie', 'delta'];
  const ids = names.map(() => NodeIdentity.generate());
  const policy = new QuorumPolicy({ name: 'bench-quorum', version: 1, members: ids.map((id, i) => ({ name: names[i], key: id.id })) });
  const keys = Math.ceil(n / ids.length);
  n = keys * ids.length;
  console.log(`(1) policy ${policy}; ${n} attestations per run = ${keys} key versions x ${ids.length} members; store batches of ${batch} per keyStore.transaction`);

  // the unsigned statements: one version of each of `keys` keys (v4 fingerprints)
  const sha = (s) => createHash('sha256').update(s).digest();
  const claims = (run) => Array.from({ length: keys }, (_, j) => ({
    fingerprint: sha(`fpr ${run} ${j}`).subarray(0, 20),
    keyHash: sha(`md5 ${run} ${j}`).subarray(0, 16),
    packetsSha256: sha(`packets ${run} ${j}`),
    policyHash: policy.hash,
    timestamp: 1_700_000_000_000 + j,
  }));

  // one round: sign all, verify all, then add all to a fresh store (plain, then with the recon
  // tree over attestation ids attached, as `dkeyserv serve` does in quorum mode)
  const round = async (run) => {
    const cs = claims(run);
    let t = now();
    const atts = [];
    for (const c of cs) for (const id of ids) atts.push(signStatement(id, c));
    const signMs = now() - t;

    t = now();
    for (const a of atts) if (!verifyAttestation(a, policy).ok) throw new Error('an attestation did not verify');
    const verifyMs = now() - t;

    // baseline: bare node:crypto Ed25519 over the same statement bytes (no encoding, no policy)
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    t = now();
    const sigs = atts.map((a) => sign(null, a.statement, privateKey));
    const rawSignMs = now() - t;
    t = now();
    for (let i = 0; i < atts.length; i++) if (!verify(null, atts[i].statement, publicKey, sigs[i])) throw new Error('raw verify failed');
    const rawVerifyMs = now() - t;

    const addMs = [];
    for (const withTree of [false, true]) {
      const d = path.join(dir, `store-${run}-${withTree ? 'tree' : 'plain'}`);
      const store = KeyStore.open({ path: d });
      const as = AttestationStore.open(store, policy);
      if (withTree) {
        const tree = new PrefixTree(store.openDatabase('attest-ptree'));
        as.attachSet('attest-ptree', { added: (id) => void tree.insert(id), removed: (id) => void tree.remove(id), rebuild: (xs) => void tree.rebuild(xs) });
      }
      t = now();
      for (let i = 0; i < atts.length; i += batch) {
        store.transaction(() => {
          for (const a of atts.slice(i, i + batch)) {
            const r = as.add(a);
            if (r.status !== 'stored') throw new Error(`add: ${r.status} ${r.reason ?? ''}`);
          }
        });
      }
      addMs.push(now() - t);
      // every key version now has k = 3 of 4 members: accepted
      const last = cs[cs.length - 1];
      if (!as.accepted(last.fingerprint)) throw new Error('the last key version is not accepted');
      await store.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
    const rate = (ms) => (n / ms) * 1000;
    return { sign: rate(signMs), verify: rate(verifyMs), rawSign: rate(rawSignMs), rawVerify: rate(rawVerifyMs), add: rate(addMs[0]), addTree: rate(addMs[1]) };
  };

  await round('warm-up'); // JIT and first-open costs, not counted
  const rows = [];
  for (let r = 1; r <= runs; r++) {
    const x = await round(r);
    rows.push(x);
    console.log(`run ${r}: sign ${fmt(x.sign)}/s  verify ${fmt(x.verify)}/s  (bare node:crypto: sign ${fmt(x.rawSign)}/s  verify ${fmt(x.rawVerify)}/s)  store add ${fmt(x.add)}/s  store add + recon tree ${fmt(x.addTree)}/s`);
  }
  const m = (k) => median(rows.map((x) => x[k]));
  const us = (k) => `${(1e6 / m(k)).toFixed(1)} us each`;
  console.log(`(1) median of ${runs}: signStatement ${fmt(m('sign'))}/s (${us('sign')})  verifyAttestation ${fmt(m('verify'))}/s (${us('verify')})`);
  console.log(`(1) median of ${runs}: bare node:crypto Ed25519 on the same bytes: sign ${fmt(m('rawSign'))}/s (${us('rawSign')})  verify ${fmt(m('rawVerify'))}/s (${us('rawVerify')})`);
  console.log(`(1) median of ${runs}: AttestationStore.add ${fmt(m('add'))}/s (${us('add')}, verify included)  with the attestation recon tree ${fmt(m('addTree'))}/s (${us('addTree')})`);
}

// ---- (2) four `dkeyserv serve` members on loopback --------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function request(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) };
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers, timeout: 30_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => res(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitReady(ports, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      const r = await request(port, 'GET', '/pks/health').catch(() => undefined);
      if (r && r.status === 200) break;
      if (Date.now() > deadline) throw new Error(`127.0.0.1:${port} not ready within ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}

/** A fresh v4 key (Ed25519/Curve25519, one self-signed User ID), as armored text and fingerprint. */
async function freshKey(openpgp, label) {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Quorum Bench', email: `${label}@bench.example.org` }], format: 'object' });
  return { armored: k.publicKey.armor(), fpr: k.publicKey.getFingerprint().toUpperCase() };
}

/**
 * Upload one key to `target` and poll op=get on every member every POLL_MS until all answer 200.
 * Returns ms from sending the POST to each member's first 200 (member order), and the POST's own time.
 */
const POLL_MS = 25;
async function oneKey(members, target, key, timeoutMs = 60_000) {
  const get = `/pks/lookup?op=get&options=mr&search=0x${key.fpr}`;
  const t0 = now();
  const up = await request(target.port, 'POST', '/pks/add', `keytext=${encodeURIComponent(key.armored)}`);
  const postMs = now() - t0;
  if (up.status !== 200 || !/^1 new/.test(up.text)) throw new Error(`upload to ${target.name}: ${up.status} ${up.text.slice(0, 200)}`);
  const served = members.map(() => undefined);
  while (served.some((s) => s === undefined)) {
    if (now() - t0 > timeoutMs) throw new Error(`${key.fpr} not served by ${members.filter((_, i) => served[i] === undefined).map((m) => m.name).join(', ')} within ${timeoutMs} ms`);
    await Promise.all(members.map(async (m, i) => {
      if (served[i] !== undefined) return;
      const r = await request(m.port, 'GET', get);
      if (r.status === 200) {
        if (!r.text.includes('BEGIN PGP PUBLIC KEY BLOCK')) throw new Error(`${m.name} answered 200 without a key`);
        served[i] = now() - t0;
      } else if (r.status !== 404) throw new Error(`${m.name}: op=get answered ${r.status}`);
    }));
    if (served.some((s) => s === undefined)) await sleep(POLL_MS);
  }
  return { served, postMs };
}

async function quorumNet(count, specs) {
  const openpgp = require('openpgp');
  const members = specs.map((s) => { const [name, port] = s.split(':'); return { name, port: Number(port) }; });
  await waitReady(members.map((m) => m.port));
  // the threshold as the servers see it (their stats), not as this script assumes it
  const stats = JSON.parse((await request(members[0].port, 'GET', '/pks/lookup?op=stats&options=mr')).text);
  const { n, k } = stats.quorum.policy;
  if (n !== members.length) throw new Error(`the servers' policy has n = ${n}, not ${members.length}`);
  console.log(`(2) ${members.map((m) => m.name).join(', ')}: policy n = ${n}, k = ${k} (from ${members[0].name}'s op=stats)`);
  // keys are made before any timing: one warm-up key, then `count` timed ones
  const keys = [];
  for (let i = 0; i <= count; i++) keys.push(await freshKey(openpgp, `q${i}-${randomBytes(4).toString('hex')}`));
  const s = (ms) => (ms / 1000).toFixed(3);
  const rows = [];
  for (let i = 0; i <= count; i++) {
    // a random pause of 0-1 s, so uploads do not fall at one fixed phase of the 1 s gossip rounds
    await sleep(Math.random() * 1000);
    const target = members[i % members.length]; // uploads rotate over the members
    const { served, postMs } = await oneKey(members, target, keys[i]);
    const sorted = [...served].sort((a, b) => a - b);
    const row = { all: sorted[sorted.length - 1], k: sorted[k - 1] };
    const per = members.map((m, j) => `${m.name}${m === target ? '*' : ''} ${s(served[j])}`).join('  ');
    if (i === 0) {
      console.log(`warm-up key (not counted): all ${members.length} ${s(row.all)} s, ${k} of ${members.length} ${s(row.k)} s`);
      continue;
    }
    rows.push(row);
    console.log(`key ${String(i).padStart(2)} ${keys[i].fpr.slice(-16)} -> ${target.name.padEnd(7)} POST ${postMs.toFixed(0)} ms; served (s after POST): ${per}; ${k} of ${members.length}: ${s(row.k)} s, all ${members.length}: ${s(row.all)} s`);
  }
  const summary = (xs) => `median ${s(median(xs))} s  min ${s(Math.min(...xs))} s  max ${s(Math.max(...xs))} s`;
  console.log(`(2) upload -> served (op=get 200) on ${k} of ${members.length} members, ${count} keys: ${summary(rows.map((r) => r.k))}`);
  console.log(`(2) upload -> served (op=get 200) on all ${members.length} members, ${count} keys: ${summary(rows.map((r) => r.all))}`);
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  switch (mode) {
    case 'micro':
      return micro(args[0], Number(args[1]), Number(args[2]), Number(args[3]));
    case 'ports':
      return console.log((await freePorts(Number(args[0]))).join(' '));
    case 'wait-ready':
      return waitReady(args.map(Number));
    case 'net':
      return quorumNet(Number(args[0]), args.slice(1));
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

main().then(() => agent.destroy(), (e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
