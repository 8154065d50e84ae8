/**
 * The recon session slot and incoming connections (docs/recon.md §11, §12) on real sockets over
 * 127.0.0.1: node A accepts; node B, a real ReconPeer, gossips to it; silent connections come
 * from other loopback addresses (Linux routes all of 127/8 to lo).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, silentLogger } from '@dkeyserv/db';
import { attachPrefixTrees, Partner, ReconPeer, ReconPeerOptions, SessionEvent } from '@dkeyserv/recon';

const CONFIG = { version: '1.1.6', httpPort: 1, bitQuantum: 2, mbar: 5 };
const A_CONFIG_TIMEOUT_MS = 1_500;
const FAR_PARTNER: Partner = { host: '10.255.0.1', port: 11370, name: 'configured-partner' };

const dirs: string[] = [];
const stores: KeyStore[] = [];
function node(over: Partial<ReconPeerOptions>): ReconPeer {
  const dir = mkdtempSync(join(tmpdir(), 'dks-slot-'));
  dirs.push(dir);
  const store = KeyStore.open({ path: dir });
  stores.push(store);
  return new ReconPeer({
    trees: attachPrefixTrees(store),
    holds: () => false,
    config: CONFIG,
    partners: () => [FAR_PARTNER],
    gossipIntervalMs: 0,
    ingest: () => {},
    logger: silentLogger,
    ...over,
  });
}

let a: ReconPeer;
let aPort: number;
let b: ReconPeer;
const aSessions: SessionEvent[] = [];

beforeAll(async () => {
  a = node({ listen: { host: '127.0.0.1', port: 0 }, configTimeoutMs: A_CONFIG_TIMEOUT_MS, maxConnectionsPerIp: 2, maxHandshakes: 4, onSession: (e) => aSessions.push(e) });
  aPort = Number((await a.start())!.split(':')[1]);
  b = node({ configTimeoutMs: 10_000 });
  await b.start();
});
afterAll(async () => {
  await a.stop(1000);
  await b.stop(1000);
  for (const s of stores) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Raw = Socket & { bytes: Buffer; closedAt?: number };
function open(from: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: aPort, localAddress: from }) as Raw;
    s.bytes = Buffer.alloc(0);
    s.on('data', (d) => (s.bytes = Buffer.concat([s.bytes, d])));
    s.on('close', () => (s.closedAt = Date.now()));
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}
const until = async (cond: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
};
const toA: Partner = { host: '127.0.0.1', port: 0, name: 'A' };

test('a silent connection does not hold the session slot: a real peer reconciles meanwhile', async () => {
  const silent = await Promise.all(['127.0.0.3', '127.0.0.4', '127.0.0.5'].map(open));
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  const e = await b.gossipOnce({ ...toA, port: aPort });
  expect(e?.error).toBeUndefined();
  // well before the silent ones' Config deadline: they were not in its way
  expect(Date.now() - t0).toBeLessThan(A_CONFIG_TIMEOUT_MS);
  for (const s of silent) expect(s.closedAt).toBeUndefined();
  for (const s of silent) s.destroy();
});

test('a connection that sends no Config is told with an Error message and closed after the Config timeout', async () => {
  const t0 = Date.now();
  const s = await open('127.0.0.6');
  await until(() => s.closedAt !== undefined, 10_000);
  expect(s.closedAt).toBeDefined();
  const ms = s.closedAt! - t0;
  expect(ms).toBeGreaterThanOrEqual(A_CONFIG_TIMEOUT_MS - 100);
  expect(ms).toBeLessThan(A_CONFIG_TIMEOUT_MS + 3_000);
  // one frame: length, code 7 (Error), a text naming the timeout (docs/recon.md §3)
  expect(s.bytes.length).toBeGreaterThan(9);
  expect(s.bytes.readUInt32BE(0)).toBe(s.bytes.length - 4);
  expect(s.bytes[4]).toBe(7);
  expect(s.bytes.subarray(9).toString('utf8')).toMatch(/no message within 1\.5 s/);
});

test('connections per address and in the Config exchange at once are bounded; beyond, closed without a byte', async () => {
  const same = await Promise.all([open('127.0.0.7'), open('127.0.0.7'), open('127.0.0.7')]);
  await until(() => same.some((s) => s.closedAt !== undefined), 1_000);
  expect(same.filter((s) => s.closedAt !== undefined && s.bytes.length === 0)).toHaveLength(1);
  // two from .7 are in the exchange; two more addresses fill the 4; a fifth is closed at once
  const more = [await open('127.0.0.8'), await open('127.0.0.9')];
  const fifth = await open('127.0.0.10');
  await until(() => fifth.closedAt !== undefined, 1_000);
  expect(fifth.closedAt).toBeDefined();
  expect(fifth.bytes.length).toBe(0);
  for (const s of [...same, ...more]) s.destroy();
  await new Promise((r) => setTimeout(r, 100));
});

test('1,000 incoming connections from distinct addresses leave the configured partner and at most 32 incoming rows', async () => {
  for (let i = 0; i < 1000; i++) {
    const s = await open(`127.1.${i >> 8}.${i & 255}`);
    // a frame of length 0 fails the session at once
    s.end(Buffer.alloc(4));
    await until(() => s.closedAt !== undefined, 2_000);
  }
  await until(() => aSessions.filter((e) => e.peer.startsWith('127.1.')).length >= 990, 5_000);
  const rows = a.peers();
  expect(rows[0].name).toBe(FAR_PARTNER.name);
  expect(rows.length).toBeLessThanOrEqual(1 + 32);
  expect(rows.filter((r) => r.name.startsWith('127.1.')).length).toBeGreaterThan(16);
  // newest first
  expect(rows[1].name).toBe('127.1.3.231 (incoming)');
});
