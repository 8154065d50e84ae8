/**
 * Abuse suite, recon (issue 12; docs/recon.md): hostile recon connections against a real
 * `dkeyserv serve` node A (debian-role-keys, recon and HKP on 127.0.0.1, the operator's default
 * limits and timeouts) while a normal client on 127.0.0.2 asks A `op=get` four times a second.
 * Each case: every probe answered with 200, p90 ≤ 200 ms, RssAnon of A's processes grows by
 * less than the stated bound, and what the case is about:
 *  - a silent connection (connect, send nothing) must not keep a real peer B from syncing: A
 *    holds B's keys within 12 s of B's start and 25 s of the silent connection (the Config
 *    timeout is 30 s);
 *  - 300 connections from 300 loopback addresses (127.0.1.x, 127.0.2.x): the stats page lists
 *    at most 100 peers (partners plus a bounded list of recent incoming ones);
 *  - a peer declaring the largest frame (16 MiB) and sending it at 64 KiB/s, while others connect.
 * Every node but A's current one is idle during an attack; cases of all abuse files take turns
 * (`exclusive`).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { connectMany, exclusive, expectServed, servedFingerprint, sleep, underAttack, type Attack } from '../helpers/abuse';
import { reservePorts, startReconNode, stopAllReconNodes, type ReconNode } from '../helpers/recon-node';

const ROLE = '/usr/share/keyrings/debian-role-keys.gpg';
const NONUPLOAD = '/usr/share/keyrings/debian-nonupload.gpg';
/** at most this many rows on A's stats page after the many-addresses case */
const MAX_PEER_ROWS = 100;

afterAll(() => stopAllReconNodes());

async function nodeA(label: string): Promise<{ a: ReconNode; probePath: string }> {
  const a = await startReconNode({ label, keys: [ROLE], gossipInterval: 0 });
  return { a, probePath: `/pks/lookup?op=get&options=mr&search=0x${await servedFingerprint(a.hkpPort, ROLE)}` };
}

/** the n-th loopback address outside 127.0.0.0/24 (127.0.1.1, 127.0.1.2, …) */
const address = (n: number): string => `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;

describe('abuse: recon', () => {
  test('a silent recon connection while a real peer syncs: the peer gets through well before the 30 s Config timeout', async () => {
    const { a, probePath } = await nodeA('silentA');
    // the silent connection first, then B (it gossips to A every second from its start)
    const silent = net.connect({ host: '127.0.0.1', port: a.reconPort });
    silent.on('error', () => undefined);
    await new Promise((ok) => silent.once('connect', ok));
    const silentAt = Date.now();
    try {
      const [reconB] = await reservePorts(1);
      const b = await startReconNode({ label: 'peerB', keys: [NONUPLOAD], reconPort: reconB, peers: [a.reconPort], gossipInterval: 1 });
      const want = new Set(await b.hashes());
      const bUp = Date.now() - silentAt;
      let unionAt: number | undefined;
      const r = await exclusive(() => underAttack({ port: a.hkpPort, pid: a.pid, probePath, durationMs: 12_000 }, async (att: Attack) => {
        while (att.running() && unionAt === undefined) {
          const have = new Set(await a.hashes());
          if ([...want].every((h) => have.has(h))) unionAt = Date.now() - silentAt;
          else await sleep(500);
        }
        att.note(`B up ${bUp} ms after the silent connection; ${unionAt === undefined ? "A never got B's keys" : `A held B's keys after ${unionAt} ms`}; the silent socket ${silent.destroyed ? 'was closed by A' : 'is still open'}`);
      }));
      await b.stop();
      expectServed('recon-silent-connection', r, { rssGrowthMb: 100 });
      expect(want.size).toBeGreaterThan(0);
      expect(unionAt).toBeDefined();
      expect(unionAt!).toBeLessThan(25_000);
    } finally {
      silent.destroy();
    }
  });

  test(`300 recon connections from 300 loopback addresses: at most ${MAX_PEER_ROWS} rows of peer stats`, async () => {
    const { a, probePath } = await nodeA('manyA');
    let done = 0;
    const r = await exclusive(() => underAttack({ port: a.hkpPort, pid: a.pid, probePath, durationMs: 6000 }, async (att) => {
      for (let n = 0; n < 300 && att.running(); n += 10) {
        // 10 at a time: each says something that is not recon, A closes it
        await Promise.all(
          Array.from({ length: 10 }, (_, j) =>
            connectMany(att, a.reconPort, 1, { localAddress: address(n + j) }).then(async ([s]) => {
              if (!s) return;
              s.resume();
              s.write(randomBytes(64));
              await new Promise((ok) => (s.once('close', ok), setTimeout(ok, 1000)));
              s.destroy();
              done++;
            }),
          ),
        );
      }
      att.note(`${done} connections made`);
    }));
    expectServed('recon-many-addresses', r, { rssGrowthMb: 100 });
    expect(done).toBe(300);
    const stats = await a.stats();
    expect(stats.peers.length).toBeLessThanOrEqual(MAX_PEER_ROWS);
  });

  test('a peer declaring a 16 MiB frame and sending it at 64 KiB/s, while 20 others connect and wait', async () => {
    const { a, probePath } = await nodeA('bigFrameA');
    const r = await exclusive(() => underAttack({ port: a.hkpPort, pid: a.pid, probePath }, async (att) => {
      const [big] = await connectMany(att, a.reconPort, 1);
      if (!big) throw new Error('no recon connection');
      big.resume();
      const head = Buffer.alloc(5);
      head.writeUInt32BE((1 << 24) - 1);
      head[4] = 9; // Config
      big.write(head);
      await connectMany(att, a.reconPort, 20, { localAddress: '127.0.0.3' });
      while (att.running() && !big.destroyed) {
        big.write(randomBytes(64 * 1024));
        await sleep(Math.min(1000, att.left()));
      }
      att.note(`the big frame's connection ${big.destroyed ? 'was closed by A' : 'was still open'}`);
    }));
    expectServed('recon-huge-frame', r, { rssGrowthMb: 100 });
  });
});
