/**
 * Three dkeyserv nodes reconcile among themselves (recon end to end, no SKS): each node holds a
 * common base (debian-role-keys + debian-nonupload, 42 keys) plus its own third of
 * debian-maintainers (77 keys each, disjoint), lists the other two as `--peer`, and gossips
 * every second.  All three must end up with exactly the union (the same hashes as a direct
 * import of all the keys), every key fetched once, the stats JSON `peers[]` must show the
 * sessions (`lastOutgoingRecon`, `keysRecovered`), and each store must pass `fsck` (keys,
 * indexes and the prefix tree agree) after the servers stop.
 * Only 127.0.0.1 is used.  Needs the Debian package debian-keyring (.ci/run installs it).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { importKeys, storedHashes, tempDir } from '../helpers/dkeyserv';
import { keyBlocks, reservePorts, startReconNode, stopAllReconNodes, waitUntil, writeKeyring, type ReconNode } from '../helpers/recon-node';

const RINGS = '/usr/share/keyrings';
const BASE = [`${RINGS}/debian-role-keys.gpg`, `${RINGS}/debian-nonupload.gpg`];
const MAINTAINERS = `${RINGS}/debian-maintainers.gpg`;
const GOSSIP_SECONDS = 1;

let tmp: string;
let nodes: ReconNode[] = [];
let union: Set<string>; // the hashes of a direct import of base + all of debian-maintainers
let initial: number[]; // keys each node started with
let convergedMs: number;

beforeAll(async () => {
  tmp = tempDir('mesh');
  const blocks = keyBlocks(MAINTAINERS);
  const parts = [0, 1, 2].map((n) => writeKeyring(path.join(tmp, `part${n}.gpg`), blocks.filter((_, i) => i % 3 === n)));
  // the expectation: one store that imported everything directly
  const reference = path.join(tmp, 'reference');
  await importKeys(reference, [...BASE, MAINTAINERS]);
  union = new Set(await storedHashes(reference));
  const [h0, h1, h2, r0, r1, r2] = await reservePorts(6);
  const hkp = [h0, h1, h2];
  const recon = [r0, r1, r2];
  nodes = await Promise.all(
    [0, 1, 2].map((n) =>
      startReconNode({
        label: `node${'ABC'[n]}`,
        keys: [...BASE, parts[n]],
        hkpPort: hkp[n],
        reconPort: recon[n],
        peers: recon.filter((_, i) => i !== n),
        gossipInterval: GOSSIP_SECONDS,
      }),
    ),
  );
  // what each started with (read from its log line "serving HKP … (N keys)"; imports finished before serving)
  initial = nodes.map((node) => {
    const m = /\((\d+) keys[;)]/.exec(node.logs().find((l) => l.message.startsWith('serving HKP'))?.message ?? '');
    return m ? Number(m[1]) : NaN;
  });
}, 180_000);

afterAll(async () => {
  await stopAllReconNodes();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the inputs: a common base plus three disjoint thirds of debian-maintainers', () => {
  expect(union.size).toBe(42 + 231);
  expect(initial).toEqual([42 + 77, 42 + 77, 42 + 77]);
});

test('all three nodes converge to the union', async () => {
  const t0 = Date.now();
  const sets: string[][] = [[], [], []];
  await waitUntil(
    async () => {
      const all = await Promise.all(nodes.map((n) => n.hashes()));
      all.forEach((h, i) => (sets[i] = h));
      return all.every((h) => h.length === union.size && h.every((x) => union.has(x))) || `holding ${all.map((h) => h.length).join('/')} of ${union.size}`;
    },
    { timeoutMs: 90_000, intervalMs: 300, what: `all three nodes hold the ${union.size} keys` },
  );
  convergedMs = Date.now() - t0;
  console.log(`3 nodes (gossip every ${GOSSIP_SECONDS} s) converged ${convergedMs} ms after all were serving`);
  for (const s of sets) expect(new Set(s)).toEqual(union);
}, 120_000);

test('the logs show sessions that recovered keys, with their timings, and no failed recovery', () => {
  for (const node of nodes) {
    const recovered = node.reconLogs(/^recon (to|from) .*: \d+ missing here, \d+ recovered$/).filter((l) => Number(l.recovered) > 0);
    expect(recovered.length).toBeGreaterThan(0);
    // a session can fail when it meets a partner that is busy (refused, as SKS does) - but a
    // recovery must never come back short
    for (const l of node.reconLogs(/missing here/)) expect(l.recovered).toBe(l.found);
    // each line times its session: when it began, how long it reconciled, how long it fetched
    for (const l of node.reconLogs(/missing here/)) {
      const started = Date.parse(String(l.startedAt));
      expect(typeof l.reconMs).toBe('number');
      expect(typeof l.recoveryMs).toBe('number');
      expect(started + Number(l.reconMs) + Number(l.recoveryMs)).toBeLessThanOrEqual(Date.parse(String(l.timestamp)) + 1);
      expect(started).toBeGreaterThan(Date.parse(String(l.timestamp)) - 60_000);
    }
  }
});

test('stats JSON peers[] shows each partner, outgoing sessions and every missing key recovered once', async () => {
  const expected = nodes.map((n) => nodes.filter((m) => m !== n).map((m) => `127.0.0.1:${m.reconPort}`).sort());
  // the stats view is cached for up to 10 s
  await waitUntil(
    async () => {
      const stats = await Promise.all(nodes.map((n) => n.stats()));
      const problems: string[] = [];
      stats.forEach((s, i) => {
        // configured partners by name; incoming sessions from a shared IP (all of them here, on
        // loopback) are listed as "127.0.0.1 (incoming)"
        const names = s.peers.map((p) => p.name).filter((n) => !n.endsWith('(incoming)')).sort();
        if (JSON.stringify(names) !== JSON.stringify(expected[i])) problems.push(`${nodes[i].label} peers ${names.join(',')}`);
        if (s.total !== union.size) problems.push(`${nodes[i].label} total ${s.total}`);
        if (!s.peers.some((p) => typeof p.lastOutgoingRecon === 'string' && !Number.isNaN(Date.parse(p.lastOutgoingRecon)))) problems.push(`${nodes[i].label}: no lastOutgoingRecon`);
        const sum = s.peers.reduce((a, p) => a + p.keysRecovered, 0);
        if (sum !== union.size - initial[i]) problems.push(`${nodes[i].label}: keysRecovered sum ${sum}, lacked ${union.size - initial[i]}`);
      });
      return problems.length === 0 || problems.join('; ');
    },
    { timeoutMs: 40_000, intervalMs: 1000, what: 'the stats show the recon sessions' },
  );
  const s = await nodes[0].stats();
  console.log(`${nodes[0].label} stats peers[]: ${JSON.stringify(s.peers, null, 1)}`);
}, 60_000);

test('each store passes fsck (keys, indexes, prefix tree) after the servers stop', async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  for (const node of nodes) {
    const r = await node.fsck();
    if (r.code !== 0) throw new Error(`${node.label}: fsck exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  // and the stores still hold the union
  for (const node of nodes) expect(new Set(await node.hashes())).toEqual(union);
}, 120_000);
