/**
 * A takedown survives recon (docs/operations.md §14), on 127.0.0.1 only: a real SKS 1.1.6 and a
 * dkeyserv peer B both keep offering a key that dkeyserv A deleted while serving; all three gossip
 * (A every second to either partner, B every second, SKS every 6 s). After at least five sessions
 * of A with each peer, A still lacks the key and answers 410 for it; the peers did offer it
 * (sessions found it missing) and A fetched it at most once per peer: the refused version did not
 * bring the asked hash, so it is not fetched from that peer again (recon's `Unobtainable`, an
 * hour). fsck passes on A's data; `delete --undo` restores the removed version there.
 * Needs the Debian packages sks and debian-keyring (.ci/run installs them).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { dkeyserv, tempDir } from '../helpers/dkeyserv';
import { keyBlocks, reservePorts, startReconNode, stopAllReconNodes, waitUntil, writeKeyring, type LogLine, type ReconNode } from '../helpers/recon-node';
import { keysOf, startSks, stopAllSks, type SksPeer } from '../helpers/sks';

// our recon ports (kernel-chosen) must pass sks-peer.sh's membership check
process.env.SKS_PEER_PORT_MAX = '65535';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';
const KEYS = 40;
const REASON = 'legal request 2026-0042';
const DEADLINE_MS = 120_000;

let tmp: string;
let sks: SksPeer;
let a: ReconNode;
let b: ReconNode;
let target: { fpr: string; hash: string };
let allHashes: string[];

beforeAll(async () => {
  tmp = tempDir('takedown');
  const ring = writeKeyring(path.join(tmp, 'ring.gpg'), keyBlocks(KEYRING).slice(0, KEYS));
  // the SKS-hash oracle of the SKS helper (not @dkeyserv/pgp) names the key and its hash
  const dumped = [...keysOf(ring).entries()];
  allHashes = dumped.map(([h]) => h).sort();
  target = { hash: dumped[7][0], fpr: dumped[7][1].fingerprint.toUpperCase() };
  const [aRecon, bRecon] = await reservePorts(2);
  sks = await startSks({ keys: [ring], peers: [aRecon], gossipMinutes: 0.1 });
  [a, b] = await Promise.all([
    startReconNode({ keys: [ring], reconPort: aRecon, peers: [sks.reconPort, bRecon], gossipInterval: 1, label: 'a' }),
    startReconNode({ keys: [ring], reconPort: bRecon, peers: [aRecon], gossipInterval: 1, label: 'b' }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([stopAllReconNodes(), stopAllSks()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const SESSION = /^recon (to|from) (.*): (\d+) missing here, (\d+) recovered/;

test('a key deleted on a running node stays gone through five gossip rounds with an SKS and a dkeyserv peer', async () => {
  expect(await a.hashes()).toEqual(allHashes);
  expect((await a.get(`/pks/lookup?op=get&options=mr&search=0x${target.fpr}`)).status).toBe(200);
  const mark = a.mark();
  const del = await dkeyserv('delete', a.data, [target.fpr, '--reason', REASON]);
  expect([del.code, del.stdout]).toEqual([0, `${target.fpr}: removed\n`]);
  const without = allHashes.filter((h) => h !== target.hash);
  expect(await a.hashes()).toEqual(without);

  const sessions = (peerPort: number) => a.reconLogs(SESSION, mark).filter((l) => new RegExp(`^recon to 127\\.0\\.0\\.1:${peerPort}( \\[\\w+\\])?:`).test(l.message));
  await waitUntil(
    async () => {
      const [withSks, withB] = [sessions(sks.reconPort).length, sessions(b.reconPort).length];
      // the key must never be back in between
      if ((await a.hashes()).includes(target.hash)) throw new Error('the deleted key is back');
      return (withSks >= 5 && withB >= 5) || `${withSks} sessions with SKS, ${withB} with b`;
    },
    { timeoutMs: DEADLINE_MS, intervalMs: 1000, what: 'five sessions of a with each peer' },
  );
  const all: LogLine[] = a.reconLogs(SESSION, mark);
  const summary = all.map((l) => `${l.message}`).join('\n');
  // both peers kept offering it: sessions with each found it missing here
  for (const port of [sks.reconPort, b.reconPort]) expect(sessions(port).some((l) => Number(SESSION.exec(l.message)![3]) >= 1)).toBe(true);
  // fetched at most once from each peer's HTTP endpoint (whatever the session's direction)
  const recovered = all.reduce((n, l) => n + Number(SESSION.exec(l.message)![4]), 0);
  if (recovered < 1 || recovered > 2) throw new Error(`fetched the deleted key ${recovered} times (expected once or twice):\n${summary}`);
  // each fetched version was refused by the write path
  const refusals = a.logs(mark).filter((l) => /^recovered keys rejected: /.test(l.message));
  expect(refusals.length).toBe(recovered);
  for (const r of refusals) expect(r.message).toBe('recovered keys rejected: blocked');
  // still gone, and said so
  expect(await a.hashes()).toEqual(without);
  const g = await a.get(`/pks/lookup?op=get&options=mr&search=0x${target.fpr}`);
  expect([g.status, g.text]).toEqual([410, `key ${target.fpr} was removed from this server: ${REASON}\n`]);
  const h = await a.get(`/pks/lookup?op=hget&search=${target.hash}`);
  expect(h.status).toBe(410);
  // the peers still hold it: it was theirs to push
  expect(await sks.hget(target.hash)).toBe(true);
  expect(await b.hashes()).toEqual(allHashes);
  const stats = (await a.stats()) as unknown as { takedowns: { count: number; keys: { fingerprint: string; reason: string }[] } };
  expect(stats.takedowns.count).toBe(1);
  expect(stats.takedowns.keys[0]).toMatchObject({ fingerprint: target.fpr, reason: REASON });
}, DEADLINE_MS + 60_000);

test('fsck passes on the node with the takedown; undo restores the removed key', async () => {
  await a.stop();
  const f = await a.fsck();
  expect(f.code).toBe(0);
  expect(f.stdout).toMatch(/, 1 takedowns: consistent$/m);
  const undo = await dkeyserv('delete', a.data, ['--undo', target.fpr]);
  expect([undo.code, undo.stdout]).toEqual([0, `${target.fpr}: restored\n`]);
  expect(await a.hashes()).toEqual(allHashes);
  const again = await a.fsck();
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/^fsck: \d+ keys, \d+ hashes, \d+ index entries: consistent$/m);
}, 60_000);
