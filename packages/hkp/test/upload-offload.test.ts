/**
 * An expensive upload does not hold the event loop (docs/operations.md §13): while a real
 * `dkeyserv serve` checks the signatures of keys with thousands of self-signed User IDs, another
 * client's `op=get` is answered within 200 ms — with HKP in the server process (`--workers 1`,
 * the pool in the same process) and with HKP workers (the upload forwarded to the primary).
 */
import { joinPackets, Packet, SigType } from '@dkeyserv/pgp';
import { signature, signingKey, TestKey, userId } from '../../pgp/test/helpers/ed25519-keys';
import { httpGet, httpRequest, startServer, stopAllServers } from '../../../test/helpers/server';

afterAll(() => stopAllServers());

function manyUidKey(uids: number): { key: TestKey; packets: Packet[] } {
  const key = signingKey(4);
  const packets: Packet[] = [key.packet];
  for (let i = 0; i < uids; i++) {
    const uid = userId(`user ${i} <u${i}@example.org>`);
    packets.push(uid, signature(key, key.packet, uid, { type: SigType.CertPositive }));
  }
  return { key, packets };
}

// a small key to look up, and a body of keys costing seconds of signature checks
const small = manyUidKey(1);
const heavy = [manyUidKey(3000), manyUidKey(3000), manyUidKey(3000)];
const body = Buffer.concat(heavy.map((k) => joinPackets(k.packets)));

describe.each([['1'], ['2']])('--workers %s', (workers) => {
  test('op=get from another client is answered within 200 ms while an expensive upload is checked', async () => {
    const srv = await startServer({ args: ['--workers', workers] });
    const up = await httpRequest(srv.port, '/pks/add', { method: 'POST', body: joinPackets(small.packets), contentType: 'application/pgp-keys' });
    expect(up.status).toBe(200);
    const get = `/pks/lookup?op=get&options=mr&search=0x${small.key.fingerprint.toString('hex')}`;
    expect((await httpGet(srv.port, get)).status).toBe(200);

    let uploading = true;
    const upload = httpRequest(srv.port, '/pks/add', { method: 'POST', body, contentType: 'application/pgp-keys', timeoutMs: 120_000 }).finally(() => {
      uploading = false;
    });
    const times: number[] = [];
    while (uploading) {
      const t0 = performance.now();
      const r = await httpGet(srv.port, get);
      const ms = performance.now() - t0;
      expect(r.status).toBe(200);
      if (uploading) times.push(ms);
      await new Promise((r) => setTimeout(r, 20));
    }
    const done = await upload;
    // stored, or refused by the per-key budget: either way checked off the event loop
    expect(done.text).toMatch(/new|too-expensive/);
    expect(times.length).toBeGreaterThan(2);
    // checked inline, each key would hold the loop for its whole budget (500 ms) or longer, the
    // body for 1.5 s; the bound leaves room for a loaded 2-core machine and the write itself
    expect(Math.max(...times)).toBeLessThan(400);
    times.sort((a, b) => a - b);
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(200);
  });
});
