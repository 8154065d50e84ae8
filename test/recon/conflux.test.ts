/**
 * dkeyserv initiates recon to a conflux-like requester (Hockeypuck's side when dkeyserv gossips
 * to it) and still learns everything it lacks.  Real sockets on 127.0.0.1, real `dkeyserv
 * serve` processes; the requester is a test peer built from our recon code that behaves like
 * conflux's requester, including its dropped-Elements bug (test/helpers/conflux-requester.ts):
 * conflux queues the Elements it owes after a FullElements reply and drops it when no request
 * follows (docs/recon.md §13).  Our responder therefore never
 * answers FullElements: a Poly it cannot decode gets SyncFail, the requester descends (below our
 * leaves where our tree is shallower, answered from the true sub-prefix) down to its leaves and
 * sends ReconRqstFull, whose elements tell us what we lack.
 *
 *  - node X (`dkeyserv serve`, keys B, gossip 0) serves HKP, i.e. `/pks/hashquery`;
 *  - the conflux-like requester R listens on its own port with a prefix tree of X's hashes and
 *    advertises X's HTTP port in its Config;
 *  - node Y (keys A, `--peer` R, gossip every second) initiates: Y is the responder.
 *
 * The sets, chosen by the first two bits of the SKS hash (the root's children):
 *   00: only in B (Y's node 00 is an empty leaf: R's Poly requests there, and below, differ by
 *       far more than mbar);
 *   01: in both, except every 30th key, only in A (a few differences per node: decoded Polys);
 *   10: in both, except every 5th key, only in B (~14 differences per depth-2 node of 50-70
 *       elements: before the fix, FullElements in R's last batch, whose Elements R dropped);
 *   11: in both.
 * Y must hold A ∪ B after the ONE session R accepts, R must never have been sent FullElements
 * (nothing to drop), and R must have learned exactly A \ B.
 * Needs the Debian package debian-keyring (.ci/run installs it).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { KeyStore } from '@dkeyserv/db';
import { Bitstring, PrefixTree } from '@dkeyserv/recon';
import { ConfluxRequester, type ConfluxRequesterResult } from '../helpers/conflux-requester';
import { importKeys, storedHashes, tempDir } from '../helpers/dkeyserv';
import { startReconNode, stopAllReconNodes, waitUntil, writeKeyring, type ReconNode } from '../helpers/recon-node';
import { keysOf, type DumpedKey } from '../helpers/sks';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';
const MAINTAINERS = '/usr/share/keyrings/debian-maintainers.gpg';
/** SKS's old responder threshold: a failed decode at a node this small or a leaf gave FullElements */
const OLD_FULL_THRESHOLD = 150;

let tmp: string;
let trees: KeyStore;
let xTree: PrefixTree;
let yTree: PrefixTree; // Y's set before the session
let nodeX: ReconNode;
let nodeY: ReconNode;
let requester: ConfluxRequester;
let result: ConfluxRequesterResult;
let setA: Set<string>;
let setB: Set<string>;
let union: Set<string>;

const quadrant = (hash: string): number => parseInt(hash[0], 16) >> 2;

beforeAll(async () => {
  tmp = tempDir('conflux');
  const all: DumpedKey[] = [...keysOf(KEYRING).values(), ...keysOf(MAINTAINERS).values()];
  expect(new Set(all.map((k) => k.hash)).size).toBe(905 + 231);
  const a: DumpedKey[] = [];
  const b: DumpedKey[] = [];
  const seen = [0, 0, 0, 0];
  for (const k of all) {
    const q = quadrant(k.hash);
    const i = seen[q]++;
    if (q === 0) b.push(k);
    else if (q === 1 && i % 30 === 29) a.push(k);
    else if (q === 2 && i % 5 === 4) b.push(k);
    else a.push(k), b.push(k);
  }
  const fileA = writeKeyring(path.join(tmp, 'a.gpg'), a.map((k) => k.bytes));
  const fileB = writeKeyring(path.join(tmp, 'b.gpg'), b.map((k) => k.bytes));
  // Y's data is imported first, so its set before any session is known exactly
  const dataY = path.join(tmp, 'y-data');
  await importKeys(dataY, [fileA]);
  setA = new Set(await storedHashes(dataY));
  nodeX = await startReconNode({ label: 'nodeX', keys: [fileB], gossipInterval: 0 });
  setB = new Set(await nodeX.hashes());
  union = new Set([...setA, ...setB]);
  // the oracle's hashes are the stored ones
  expect([setA.size, setB.size, union.size]).toEqual([a.length, b.length, all.length]);

  mkdirSync(path.join(tmp, 'trees'));
  trees = KeyStore.open({ path: path.join(tmp, 'trees') });
  xTree = new PrefixTree(trees.openDatabase('x')!);
  yTree = new PrefixTree(trees.openDatabase('y')!);
  trees.transaction(() => {
    xTree.rebuild([...setB].map((h) => Buffer.from(h, 'hex')));
    yTree.rebuild([...setA].map((h) => Buffer.from(h, 'hex')));
  });

  requester = await ConfluxRequester.listen({ tree: xTree, httpPort: nodeX.hkpPort });
  nodeY = await startReconNode({ label: 'nodeY', data: dataY, peers: [requester.port], gossipInterval: 1 });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('nodeY never connected to the conflux-like requester')), 60_000)));
  result = await Promise.race([requester.result, deadline]).finally(() => clearTimeout(timer));
}, 180_000);

afterAll(async () => {
  await requester?.close();
  await stopAllReconNodes();
  await trees?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the session completed; the requester was never sent FullElements, so it dropped no Elements', () => {
  const tally = new Map<string, number>();
  for (const e of result.transcript) tally.set(`${e.request}->${e.reply}`, (tally.get(`${e.request}->${e.reply}`) ?? 0) + 1);
  console.log(`conflux-like requester: ${result.transcript.length} requests (${[...tally].map(([k, n]) => `${k} ${n}`).join(', ')}); learned ${result.learned.length}`);
  expect(result.error).toBeUndefined();
  expect(result.fullElementsReplies).toBe(0);
  expect(result.sentOwedElements).toBe(0);
  expect(result.droppedElements).toBe(0);
  expect(result.droppedElementCount).toBe(0);
  expect(result.transcript.every((e) => e.reply !== undefined)).toBe(true);
});

test('Y holds A ∪ B, learned in the session it initiated and fetched from X', async () => {
  const lacking = [...setB].filter((h) => !setA.has(h)).length;
  const ms = await waitUntil(
    async () => {
      const h = await nodeY.hashes();
      return (h.length === union.size && h.every((x) => union.has(x))) || `Y holds ${h.length} of ${union.size}`;
    },
    { timeoutMs: 60_000, intervalMs: 300, what: `Y holds the ${union.size} keys of A ∪ B` },
  );
  console.log(`Y (${setA.size} keys) learned the ${lacking} it lacked from the conflux-like requester; holds ${union.size} after ${ms} ms more`);
  const done = new RegExp(`^recon to 127\\.0\\.0\\.1:${requester.port} \\[sks\\]: \\d+ missing here`);
  await nodeY.waitForLog((l) => l.component === 'recon' && done.test(l.message), 10_000);
  const sessions = nodeY.reconLogs(done);
  expect(sessions.map((l) => [l.level, l.direction, l.found, l.recovered])).toEqual([['info', 'out', lacking, lacking]]);
});

test('the requester learned exactly A \\ B (from Elements replies to its Poly and Full requests)', () => {
  expect(result.learned).toEqual([...setA].filter((h) => !setB.has(h)).sort());
});

test('the session covered both territories: differences above mbar (SyncFail, where the old responder sent FullElements) and below (decoded Polys)', () => {
  const yNode = (prefix: string) => yTree.node(Bitstring.parse(prefix));
  // Polys Y could not decode, at nodes where the old responder answered FullElements
  const wasFullElements = result.transcript.filter((e) => {
    const n = yNode(e.prefix);
    return e.request === 'Poly' && e.reply === 'SyncFail' && (!n || n.leaf || n.size < OLD_FULL_THRESHOLD);
  });
  expect(wasFullElements.length).toBeGreaterThan(0);
  // ... including ones below Y's leaves (Y's tree is shallower there), and Full requests there
  expect(wasFullElements.filter((e) => !yNode(e.prefix)).length).toBeGreaterThan(0);
  expect(result.transcript.filter((e) => e.request === 'Full' && !yNode(e.prefix)).length).toBeGreaterThan(0);
  // small differences: Polys Y decoded, naming elements the requester lacked
  expect(result.transcript.filter((e) => e.request === 'Poly' && e.reply === 'Elements' && e.elements! > 0 && e.prefix.length > 0).length).toBeGreaterThan(0);
  // the requester's own rule: Poly only for its nodes that are not leaves (and have ≥ mbar elements)
  for (const e of result.transcript.filter((t) => t.request === 'Poly')) expect(xTree.node(Bitstring.parse(e.prefix))!.leaf).toBe(false);
});

test('no node crashed or logged an internal error', () => {
  for (const n of [nodeX, nodeY]) {
    expect(n.running).toBe(true);
    expect(n.stderr()).not.toMatch(/internal error|Uncaught|UnhandledPromiseRejection|TypeError|RangeError/);
  }
});
