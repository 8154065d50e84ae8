/**
 * The bridge (docs/recon-policies.md): a real SKS 1.1.6, a dkeyserv keeping `sks` and `hockeypuck`
 * (the bridge) and a dkeyserv keeping only `hockeypuck` (standing in for the Hockeypuck ≥ 2.2
 * network, which refuses SKS's filters), on 127.0.0.1 only. SKS peers with the bridge (sks
 * filters), the hockeypuck-only node with the bridge (Hockeypuck 2.2–2.3's filters); SKS and the
 * hockeypuck-only node never talk. Each starts with a third of debian-keyring.
 *  - Every node reaches the union its policy can hold: the hockeypuck sets of both dkeyservs equal
 *    Hockeypuck 2.3.3's own hashes of the whole keyring (test-fixtures/vectors/hockeypuck); SKS
 *    and the bridge's sks set are equal and hold every key but the one Hockeypuck refuses, if that
 *    one started on the hockeypuck-only node (keys that came from there arrive in Hockeypuck's form).
 *  - A key uploaded to SKS reaches the hockeypuck-only node, and one uploaded there reaches SKS.
 *  - Afterwards five more sessions of each dkeyserv fetch nothing.
 * Needs the Debian packages sks and debian-keyring (.ci/run installs them).
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { armor } from '@dkeyserv/pgp';
import { dumpKeys, REPO_ROOT, tempDir } from '../helpers/dkeyserv';
import { httpRequest } from '../helpers/server';
import { keyBlocks, reservePorts, startReconNode, stopAllReconNodes, waitUntil, writeKeyring, type LogLine, type ReconNode } from '../helpers/recon-node';
import { compareWithSks, keysOf, startSks, stopAllSks, type SksPeer } from '../helpers/sks';

process.env.SKS_PEER_PORT_MAX = '65535';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';
const MAINTAINERS = '/usr/share/keyrings/debian-maintainers.gpg';
/** every self-signature uses RIPEMD-160: Hockeypuck refuses the key (docs/sks-key-hash.md §8) */
const REFUSED = 'a36878f464108681600cb64844173fa13d058888';
const DEADLINE_MS = 150_000;

let tmp: string;
let sks: SksPeer;
let bridge: ReconNode;
let hp: ReconNode;
let refusedOnHpNode: boolean;
const hpVector = readFileSync(path.join(REPO_ROOT, 'test-fixtures/vectors/hockeypuck/hp-2.3.3-debian-keyring.hashes'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);

beforeAll(async () => {
  tmp = tempDir('bridge');
  const blocks = keyBlocks(KEYRING);
  const third = (r: number) => writeKeyring(path.join(tmp, `third-${r}.gpg`), blocks.filter((_, i) => i % 3 === r));
  const [sksKeys, bridgeKeys, hpKeys] = [third(0), third(1), third(2)];
  refusedOnHpNode = [...keysOf(hpKeys).values()].some((k) => k.fingerprint === REFUSED);
  const [bridgeRecon, hpRecon] = await reservePorts(2);
  sks = await startSks({ keys: [sksKeys], peers: [bridgeRecon], gossipMinutes: 0.1 });
  [bridge, hp] = await Promise.all([
    startReconNode({ keys: [bridgeKeys], policies: ['sks', 'hockeypuck'], reconPort: bridgeRecon, peers: [sks.reconPort, hpRecon], gossipInterval: 1, label: 'bridge' }),
    startReconNode({ keys: [hpKeys], policies: ['hockeypuck'], reconPort: hpRecon, peers: [bridgeRecon], gossipInterval: 1, label: 'hockeypuck-only' }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([stopAllReconNodes(), stopAllSks()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const sorted = (a: string[]) => [...a].sort();

test('every node reaches the union its policy can hold', async () => {
  const t0 = Date.now();
  const sksExpected = refusedOnHpNode ? 904 : 905;
  await waitUntil(
    async () => {
      const [hpHashes, bridgeHp, bridgeSks] = await Promise.all([hp.hashes('hockeypuck'), bridge.hashes('hockeypuck'), bridge.hashes('sks')]);
      const count = await sks.count();
      const state = `hockeypuck-only ${hpHashes.length}, bridge ${bridgeSks.length} sks / ${bridgeHp.length} hockeypuck, SKS ${count}`;
      return (hpHashes.length === hpVector.length && bridgeHp.length === hpVector.length && bridgeSks.length === sksExpected && count === sksExpected) || state;
    },
    { timeoutMs: DEADLINE_MS, intervalMs: 2000, what: 'all three hold the union' },
  );
  console.log(`bridge: SKS, bridge and hockeypuck-only node hold the union ${Date.now() - t0} ms after start`);
  expect(sorted(await hp.hashes('hockeypuck'))).toEqual(sorted(hpVector));
  expect(sorted(await bridge.hashes('hockeypuck'))).toEqual(sorted(hpVector));
  const bridgeSks = await bridge.hashes('sks');
  const report = await compareWithSks(sks, bridgeSks, (out) => dumpKeys(bridge.data, out).then(() => undefined));
  if (report) throw new Error(`SKS and the bridge's sks set differ:\n${report}`);
  // the peers were told apart by their Configs
  const peers = (await bridge.stats()).peers;
  expect(peers.find((p) => p.name === `127.0.0.1:${sks.reconPort}`)).toMatchObject({ software: 'SKS', policy: 'sks' });
  expect(peers.find((p) => p.name === `127.0.0.1:${hp.reconPort}`)).toMatchObject({ software: expect.stringMatching(/^dkeyserv /), policy: 'hockeypuck' });
}, DEADLINE_MS + 60_000);

/** Key `i` of debian-maintainers (no node holds any of them), armored for /pks/add. */
function maintainerKey(i: number): { fpr: string; armored: string } {
  const k = [...keysOf(MAINTAINERS).values()][i];
  return { fpr: k.fingerprint, armored: armor(k.bytes) };
}

async function upload(port: number, armored: string): Promise<void> {
  const r = await httpRequest(port, '/pks/add', { method: 'POST', body: `keytext=${encodeURIComponent(armored)}`, contentType: 'application/x-www-form-urlencoded' });
  expect(r.status).toBe(200);
}

test('a key uploaded at either end reaches the other end', async () => {
  const toSks = maintainerKey(0);
  const toHp = maintainerKey(1);
  await Promise.all([upload(sks.hkpPort, toSks.armored), upload(hp.hkpPort, toHp.armored)]);
  await waitUntil(
    async () => {
      const [onHp, onSks] = await Promise.all([
        hp.get(`/pks/lookup?op=get&options=mr&search=0x${toSks.fpr}`),
        httpRequest(sks.hkpPort, `/pks/lookup?op=get&options=mr&search=0x${toHp.fpr}`),
      ]);
      return (onHp.status === 200 && onSks.status === 200) || `on the hockeypuck-only node: ${onHp.status}, on SKS: ${onSks.status}`;
    },
    { timeoutMs: DEADLINE_MS, intervalMs: 2000, what: 'each uploaded key reaches the other end' },
  );
}, DEADLINE_MS + 30_000);

test('afterwards five more sessions of each dkeyserv fetch nothing', async () => {
  // let the uploads settle everywhere first
  await waitUntil(async () => (await sks.count()) === (await bridge.hashes('sks')).length || 'SKS and the bridge differ', { timeoutMs: 60_000, intervalMs: 2000, what: 'SKS and the bridge agree' });
  for (const node of [bridge, hp]) {
    const mark = node.mark();
    const sessions: LogLine[] = [];
    await waitUntil(
      async () => {
        sessions.splice(0, sessions.length, ...node.reconLogs(/^recon (to|from) .*: \d+ missing here, \d+ recovered/, mark));
        return sessions.length >= 5 || `${sessions.length} sessions`;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: `five sessions of ${node.label}` },
    );
    for (const s of sessions) expect({ session: s.message, recovered: s.recovered }).toEqual({ session: s.message, recovered: 0 });
  }
}, 150_000);
