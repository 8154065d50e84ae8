/**
 * kill -9 during `serve --workers 2` with uploads in flight (issue 12; docs/architecture.md §8,
 * docs/operations.md §12): four clients, from four loopback addresses, upload distinct keys to
 * /pks/add with four requests each in flight; at several moments (counted in acknowledged
 * uploads, not in ms, so a slow machine hits the same phase) the primary — the only LMDB writer —
 * or one HKP worker is killed with SIGKILL. Then:
 *  - killed primary: its workers exit too (no orphan keeps the port), `fsck` passes on the
 *    store, and a restarted server serves every upload that was answered 200;
 *  - killed worker: the primary replaces it and keeps accepting uploads; after a clean stop
 *    `fsck` passes and a restarted server serves every upload that was answered 200.
 */
import http from 'node:http';
import { rmSync } from 'node:fs';
import { runSync, tempDir, importKeys } from '../../../test/helpers/dkeyserv';
import { ed25519Key, keytextBody } from '../../../test/helpers/pgp-build';
import { childPids, httpGet, isAlive, mapLimit, startServer, stopAllServers, type RunningDkeyserv } from '../../../test/helpers/server';

const ROLE = '/usr/share/keyrings/debian-role-keys.gpg';
const CLIENTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
const IN_FLIGHT = 4;
const KEYS_PER_CLIENT = 60;

interface Upload {
  fingerprint: string;
  body: string;
}

function post(port: number, localAddress: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, localAddress, path: '/pks/add', method: 'POST', agent: false, timeout: 30_000, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every client uploads its keys, IN_FLIGHT at a time, until it has tried them all; `onAck` sees
 * the running count of 200s. Resolves with the fingerprints answered 200.
 */
async function uploadAll(port: number, perClient: Upload[][], onAck: (acks: number) => void): Promise<Set<string>> {
  const acked = new Set<string>();
  await Promise.all(
    CLIENTS.map((addr, c) =>
      mapLimit(perClient[c], IN_FLIGHT, async (u) => {
        if ((await post(port, addr, u.body)) === 200) {
          acked.add(u.fingerprint);
          onAck(acked.size);
        }
      }),
    ),
  );
  return acked;
}

/** fsck passes: exit 0 and "consistent". */
function expectFsckPasses(data: string): void {
  const f = runSync(['fsck', '--data', data]);
  expect(`${f.code} ${f.stdout}${f.stderr}`).toMatch(/^0 [\s\S]*: consistent/);
}

/** A restarted server on `data` serves every acknowledged key (and fsck passed before). */
async function expectAllServed(data: string, acked: Set<string>): Promise<void> {
  const srv = await startServer({ data, args: ['--workers', '2'] });
  try {
    const missing: string[] = [];
    await mapLimit([...acked], 8, async (fpr) => {
      const r = await httpGet(srv.port, `/pks/lookup?op=get&options=mr&search=0x${fpr}`);
      if (r.status !== 200) missing.push(`${fpr}: ${r.status}`);
    });
    expect(missing).toEqual([]);
  } finally {
    await srv.stop();
  }
}

describe('kill -9 during serve --workers 2 with uploads in flight', () => {
  let dir: string;
  let round = 0;
  beforeAll(() => {
    dir = tempDir('crash-serve');
  });
  afterAll(async () => {
    await stopAllServers();
    rmSync(dir, { recursive: true, force: true });
  });

  /** fresh keys for one round: KEYS_PER_CLIENT per client */
  function keysForRound(): Upload[][] {
    const r = round++;
    return CLIENTS.map((_, c) =>
      Array.from({ length: KEYS_PER_CLIENT }, (_, i) => {
        const k = ed25519Key([`Crash ${r}.${c}.${i} <crash-${r}-${c}-${i}@example.org>`]);
        return { fingerprint: k.fingerprint, body: keytextBody(k.binary) };
      }),
    );
  }

  async function freshServer(name: string): Promise<{ data: string; srv: RunningDkeyserv }> {
    const data = `${dir}/${name}`;
    await importKeys(data, [ROLE]);
    return { data, srv: await startServer({ data, args: ['--workers', '2'] }) };
  }

  for (const acks of [1, 40, 120]) {
    test(`the primary, after ${acks} acknowledged uploads: workers exit, fsck passes, every acknowledged upload is served`, async () => {
      const { data, srv } = await freshServer(`primary-${acks}`);
      const workers = childPids(srv.pid);
      expect(workers).toHaveLength(2);
      let killedAt: number | undefined;
      const acked = await uploadAll(srv.port, keysForRound(), (n) => {
        if (n >= acks && killedAt === undefined) {
          killedAt = n;
          process.kill(srv.pid, 'SIGKILL');
        }
      });
      expect(killedAt).toBe(acks);
      // every upload was tried: the later ones failed, the kill came with uploads in flight
      expect(acked.size).toBeLessThan(CLIENTS.length * KEYS_PER_CLIENT);
      for (let i = 0; i < 100 && workers.some(isAlive); i++) await sleep(100);
      const orphans = workers.filter(isAlive);
      for (const w of orphans) process.kill(w, 'SIGKILL');
      expect(orphans).toEqual([]);
      await srv.stop();
      expectFsckPasses(data);
      await expectAllServed(data, acked);
    });
  }

  for (const acks of [10, 80]) {
    test(`a worker, after ${acks} acknowledged uploads: replaced, uploads go on, fsck passes, every acknowledged upload is served`, async () => {
      const { data, srv } = await freshServer(`worker-${acks}`);
      const workers = childPids(srv.pid);
      expect(workers).toHaveLength(2);
      let killed = false;
      const acked = await uploadAll(srv.port, keysForRound(), (n) => {
        if (n >= acks && !killed) {
          killed = true;
          process.kill(workers[0], 'SIGKILL');
        }
      });
      expect(killed).toBe(true);
      expect(srv.running).toBe(true);
      // most uploads went through: only those in flight on the killed worker may have failed
      expect(acked.size).toBeGreaterThan(CLIENTS.length * KEYS_PER_CLIENT - 4 * IN_FLIGHT * CLIENTS.length);
      const now = childPids(srv.pid);
      expect(now).toHaveLength(2);
      expect(now).not.toContain(workers[0]);
      await srv.stop();
      expect(srv.exit).toEqual({ code: 0, signal: null });
      expectFsckPasses(data);
      await expectAllServed(data, acked);
    });
  }
});
