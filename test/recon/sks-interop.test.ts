/**
 * Recon with a real SKS 1.1.6 (Debian's /usr/sbin/sks via test/helpers/sks.ts), in both TCP
 * directions, on 127.0.0.1 only:
 *  1. SKS initiates (dkeyserv `--gossip-interval 0`, SKS gossips every 6 s): dkeyserv is the
 *     requester (TCP acceptor).
 *  2. dkeyserv initiates (SKS `-G` dontgossip, dkeyserv gossips every 2 s): dkeyserv is the
 *     responder (TCP initiator).
 *     In both, SKS holds debian-keyring minus 50 keys (every 18th) plus debian-maintainers
 *     (855 + 231 = 1086), dkeyserv holds debian-keyring (905); afterwards both hold the union
 *     (1136): dkeyserv's hashes are exactly the union, SKS's count equals ours and SKS finds
 *     every one of our hashes by op=hget.
 *  3. an empty dkeyserv fills itself from SKS (dkeyserv initiates: its empty root is a leaf,
 *     so it answers SKS's Poly with SyncFail, SKS descends and sends its leaves whole);
 *  4. an empty SKS fills itself from dkeyserv (SKS initiates: SKS answers our Poly with
 *     FullElements{} and we name all of ours).
 * SKS behaviours this has to live with (docs/recon.md §13): as the
 * acceptor SKS fetches only 10 s after the session; it refuses recon (closes the connection)
 * while it has keys queued to fetch; op=stats is cached (count() forces a recount).  So every
 * check polls with a deadline (90 s) instead of sleeping.
 * SKS's membership file needs our recon port, which lies outside the port range the SKS helper
 * checks (21370..21399): the range's upper end is widened for this file's SKS peers only.
 * Needs the Debian packages sks and debian-keyring (.ci/run installs them).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { dumpKeys, importKeys, tempDir } from '../helpers/dkeyserv';
import { keyBlocks, reservePorts, startReconNode, stopAllReconNodes, waitUntil, writeKeyring, type ReconNode } from '../helpers/recon-node';
import { compareWithSks, keysOf, startSks, stopAllSks, type SksPeer } from '../helpers/sks';

// our recon ports (kernel-chosen) must pass sks-peer.sh's membership check
process.env.SKS_PEER_PORT_MAX = '65535';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';
const MAINTAINERS = '/usr/share/keyrings/debian-maintainers.gpg';
const DEADLINE_MS = 90_000;

let tmp: string;
let sksSet: string; // debian-keyring minus 50 keys + debian-maintainers
let keyringHashes: Set<string>;
let union: Set<string>;

beforeAll(() => {
  tmp = tempDir('sksrecon');
  const blocks = keyBlocks(KEYRING);
  expect(blocks.length).toBe(905);
  const kept = blocks.filter((_, i) => i % 18 !== 17); // drops 50 keys: 17, 35, ..., 899
  sksSet = writeKeyring(path.join(tmp, 'sks-set.gpg'), [...kept, ...keyBlocks(MAINTAINERS)]);
  // expectations from the independent SKS-hash oracle of the SKS helper (not @dkeyserv/pgp)
  keyringHashes = new Set(keysOf(KEYRING).keys());
  union = new Set([...keyringHashes, ...keysOf(sksSet).keys()]);
});

afterAll(async () => {
  await Promise.all([stopAllReconNodes(), stopAllSks()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Pair {
  sks: SksPeer;
  node: ReconNode;
  /** ms when both were serving */
  t0: number;
}

/**
 * Start SKS (listing our recon port) and dkeyserv (listing SKS's recon port).  SKS's import and
 * dkeyserv's import run side by side; SKS's ports are only known once it runs.
 */
async function startPair(opts: { sksKeys: string[]; dkKeys: string[]; dkGossip: number; sksDontGossip: boolean }): Promise<Pair> {
  const [hkpPort, reconPort] = await reservePorts(2);
  const data = path.join(tempDir('sksrecon-data'));
  const [sks] = await Promise.all([
    startSks({ keys: opts.sksKeys, peers: [reconPort], gossipMinutes: 0.1, dontGossip: opts.sksDontGossip }),
    opts.dkKeys.length ? importKeys(data, opts.dkKeys) : Promise.resolve(undefined),
  ]);
  const node = await startReconNode({ data, hkpPort, reconPort, peers: [sks.reconPort], gossipInterval: opts.dkGossip, label: 'dkeyserv' });
  cleanupDirs.push(data);
  return { sks, node, t0: Date.now() };
}
const cleanupDirs: string[] = [];
afterAll(() => cleanupDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Poll until dkeyserv holds `expected` keys and SKS counts as many; returns ms since t0. */
async function waitForUnion(p: Pair, expected: number): Promise<number> {
  await waitUntil(
    async () => {
      const ours = (await p.node.hashes()).length;
      if (ours !== expected) return `dkeyserv ${ours}`;
      const theirs = await p.sks.count();
      return theirs === expected || `dkeyserv ${ours}, SKS ${theirs}`;
    },
    { timeoutMs: DEADLINE_MS, intervalMs: 1000, what: `dkeyserv and SKS both hold ${expected} keys` },
  );
  return Date.now() - p.t0;
}

/** dkeyserv's hashes are exactly `expected`, SKS's count equals ours and SKS finds each of ours. */
async function expectSameSet(p: Pair, expected: Set<string>): Promise<void> {
  const ours = await p.node.hashes();
  const missing = [...expected].filter((h) => !ours.includes(h));
  const extra = ours.filter((h) => !expected.has(h));
  expect({ count: ours.length, missing: missing.slice(0, 10), extra: extra.slice(0, 10) }).toEqual({ count: expected.size, missing: [], extra: [] });
  const report = await compareWithSks(p.sks, ours, (out) => dumpKeys(p.node.data, out).then(() => undefined));
  if (report) throw new Error(`SKS and dkeyserv differ after recon:\n${report}`);
}

async function finish(p: Pair): Promise<void> {
  await Promise.all([p.node.destroy(), p.sks.destroy()]);
}

describe('SKS initiates: dkeyserv is the requester', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await startPair({ sksKeys: [sksSet], dkKeys: [KEYRING], dkGossip: 0, sksDontGossip: false });
  }, 180_000);
  afterAll(() => p && finish(p));

  test('both hold the union', async () => {
    const ms = await waitForUnion(p, union.size);
    console.log(`SKS -> dkeyserv (dkeyserv requester): both hold ${union.size} keys ${ms} ms after start`);
    await expectSameSet(p, union);
  }, 150_000);

  test('dkeyserv logged an incoming session that found and recovered the 231 keys it lacked', () => {
    const lines = p.node.reconLogs(/^recon from .*: \d+ missing here, \d+ recovered$/);
    expect(lines.map((l) => [l.direction, l.found, l.recovered])).toContainEqual(['in', union.size - keyringHashes.size, union.size - keyringHashes.size]);
    expect(p.node.reconLogs(/^recon to /)).toEqual([]); // --gossip-interval 0: never initiated
  });
});

describe('dkeyserv initiates: dkeyserv is the responder', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await startPair({ sksKeys: [sksSet], dkKeys: [KEYRING], dkGossip: 2, sksDontGossip: true });
  }, 180_000);
  afterAll(() => p && finish(p));

  test('both hold the union', async () => {
    const ms = await waitForUnion(p, union.size);
    console.log(`dkeyserv -> SKS (dkeyserv responder): both hold ${union.size} keys ${ms} ms after start`);
    await expectSameSet(p, union);
  }, 150_000);

  test('dkeyserv logged an outgoing session that found and recovered the 231 keys it lacked', () => {
    const lines = p.node.reconLogs(/^recon to 127\.0\.0\.1:\d+ \[sks\]: \d+ missing here, \d+ recovered$/);
    expect(lines.map((l) => [l.direction, l.found, l.recovered])).toContainEqual(['out', union.size - keyringHashes.size, union.size - keyringHashes.size]);
    expect(p.node.reconLogs(/^recon from /)).toEqual([]); // SKS -G: it never initiated
  });
});

describe('an empty dkeyserv fills itself from SKS (dkeyserv initiates)', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await startPair({ sksKeys: [KEYRING], dkKeys: [], dkGossip: 2, sksDontGossip: true });
  }, 180_000);
  afterAll(() => p && finish(p));

  test('dkeyserv ends with every key SKS has', async () => {
    expect((await p.node.hashes()).length).toBe(0);
    const ms = await waitForUnion(p, keyringHashes.size);
    console.log(`empty dkeyserv <- SKS: ${keyringHashes.size} keys ${ms} ms after start`);
    await expectSameSet(p, keyringHashes);
    const lines = p.node.reconLogs(/^recon to .*missing here/);
    expect(lines.map((l) => [l.found, l.recovered])).toContainEqual([keyringHashes.size, keyringHashes.size]);
  }, 150_000);
});

describe('an empty SKS fills itself from dkeyserv (SKS initiates)', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await startPair({ sksKeys: [], dkKeys: [KEYRING], dkGossip: 0, sksDontGossip: false });
  }, 180_000);
  afterAll(() => p && finish(p));

  test('SKS ends with every key dkeyserv has', async () => {
    expect(await p.sks.count()).toBe(0);
    const ms = await waitForUnion(p, keyringHashes.size);
    console.log(`empty SKS <- dkeyserv: ${keyringHashes.size} keys ${ms} ms after start`);
    await expectSameSet(p, keyringHashes);
    // we found nothing missing here, and the session itself succeeded
    const lines = p.node.reconLogs(/^recon from /);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.found === 0 && l.level === 'info')).toBe(true);
  }, 150_000);
});
