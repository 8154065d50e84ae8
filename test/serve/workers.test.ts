/**
 * HKP worker processes (docs/operations.md §12) on real sockets: `serve --workers 2` answers a
 * fixed list of requests exactly as `serve --workers 1` does on the same data (status, headers
 * but Date, body; stats without its clock fields); a key uploaded to a 2-worker server is then
 * served on every fresh connection, and the connections reached both workers (each names itself
 * in `X-HKP-Worker` on /pks/health, asked on the same connection); keys another process
 * imports meanwhile, growing the LMDB map 100-fold, are served by both workers; rate limits and
 * /metrics count all workers together; a killed worker is replaced; SIGTERM stops every process.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { isKeyringError, keyIdentity, splitKeyring } from '@dkeyserv/pgp';
import { importKeys, storedHashes, tempDir } from '../helpers/dkeyserv';
import { httpRequest, RunningDkeyserv, startServer, stopAllServers } from '../helpers/server';

const ROLE = '/usr/share/keyrings/debian-role-keys.gpg';
/** a key the role keyring does not hold, to upload */
const NEW_KEY = '/usr/share/keyrings/debian-archive-bookworm-stable.gpg';
/** 905 keys, 28 MB: grows the LMDB map far beyond the size the workers opened it at */
const BIG = '/usr/share/keyrings/debian-keyring.gpg';

afterAll(stopAllServers);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection; the answer without its Date header (stats: without the clock). */
async function ask(srv: RunningDkeyserv, req: Req): Promise<Answer> {
  const r = await httpRequest(srv.port, req.path, { method: req.method ?? 'GET', body: req.body, contentType: req.type });
  const { date: _date, ...headers } = r.headers;
  let body = r.body.toString('latin1');
  if (req.path.includes('op=stats')) {
    const s = JSON.parse(body);
    delete s.now;
    for (const b of [...s.hourly, ...s.daily]) delete b.Time;
    body = JSON.stringify(s);
  }
  return { status: r.status, headers, body };
}

interface Req {
  path: string;
  method?: string;
  body?: Buffer | string;
  type?: string;
}

function hashquery(hashes: string[]): Buffer {
  const parts = [Buffer.alloc(4)];
  parts[0].writeUInt32BE(hashes.length);
  for (const h of hashes) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(16);
    parts.push(len, Buffer.from(h, 'hex'));
  }
  return Buffer.concat(parts);
}

/** Process ids of the children of `pid` (the HKP workers of a primary). */
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `get` then `/pks/health` on one fresh keep-alive connection: the answer and the worker that gave it. */
function getAndWorker(port: number, path: string): Promise<{ status: number; body: string; worker: string; healthStatus: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = (p: string) =>
    new Promise<{ status: number; body: string; socket: unknown; worker: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), socket: res.socket, worker: String(res.headers['x-hkp-worker']) }));
        })
        .on('error', reject);
    });
  return (async () => {
    try {
      const a = await once(path);
      const h = await once('/pks/health');
      if (a.socket !== h.socket) throw new Error('the agent opened a second connection');
      return { status: a.status, body: a.body, worker: h.worker, healthStatus: h.status };
    } finally {
      agent.destroy();
    }
  })();
}

describe('HKP workers', () => {
  const data = tempDir('workers');
  let fprs: string[];
  let email: string;
  let hashes: string[];

  beforeAll(async () => {
    await importKeys(data, [ROLE]);
    hashes = (await storedHashes(data)).slice(0, 3);
    fprs = [...splitKeyring(readFileSync(ROLE))].flatMap((e) => (isKeyringError(e) ? [] : [keyIdentity(e.packets[0].body).fingerprint.toString('hex').toUpperCase()]));
  });

  test('--workers 2 answers a fixed list of requests exactly as --workers 1', async () => {
    const one = await startServer({ data, args: ['--workers', '1'] });
    const listing = (await httpRequest(one.port, '/pks/lookup?op=index&options=mr&search=debian')).text;
    const listed = [...listing.matchAll(/^pub:([0-9A-F]{40}):/gm)].map((m) => m[1]);
    email = /<([^>]+)>/.exec(listing)![1];
    expect(listed.length).toBeGreaterThan(2);
    const [f0, f1] = listed;
    const reqs: Req[] = [
      ...[`0x${f0}`, f1, `0x${f0.slice(-16)}`, `0x${f1.slice(-8)}`, encodeURIComponent(email), `<${email}>`, 'debian', 'debian+role', 'nosuchword'].flatMap((s) =>
        ['get&options=mr', 'get', 'index&options=mr', 'index', 'vindex&options=mr', 'vindex', 'index&options=mr&exact=on', 'get&options=mr&exact=on'].map((op) => ({ path: `/pks/lookup?op=${op}&search=${s}` })),
      ),
      { path: `/pks/lookup?op=get&options=mr&search=0x${f0}`, method: 'HEAD' },
      { path: '/pks/lookup?op=get&options=mr&search=0xDEADBEEF' },
      { path: '/pks/lookup?op=get&options=mr&search=0x0123456789ABCDEF0123456789ABCDEF' },
      { path: '/pks/lookup?op=get&options=mr' },
      { path: '/pks/lookup?op=frobnicate&search=x' },
      { path: '/pks/lookup?op=get&search=%ZZ' },
      { path: '/pks/lookup?op=index&options=mr&search=a' },
      { path: '/pks/lookup?op=stats&options=mr' },
      { path: '/pks/lookup?op=x-quorum&search=0x' + f0 },
      { path: '/pks/lookup', method: 'POST', body: 'x' },
      { path: '/pks/nowhere' },
      { path: '/pks/lookup?op=get&search=0x' + f0, method: 'OPTIONS' },
      { path: '/pks/hashquery', method: 'POST', body: hashquery(hashes) },
      { path: '/pks/hashquery', method: 'POST', body: 'short' },
      // through the worker's link to the primary's write path: refused, and unchanged
      { path: '/pks/add', method: 'POST', body: 'garbage', type: 'text/plain' },
      { path: '/pks/add', method: 'POST', body: 'a=b', type: 'application/x-www-form-urlencoded' },
      { path: '/pks/add', method: 'POST', body: '', type: 'application/pgp-keys' },
      { path: '/pks/add', method: 'POST', body: readFileSync(ROLE).subarray(0, 0), type: 'image/png' },
      { path: '/pks/add', method: 'POST', body: readFileSync(ROLE), type: 'application/pgp-keys' },
    ];
    // twice: the second answer of a cacheable lookup comes from the cache
    const single = [];
    for (const r of [...reqs, ...reqs]) single.push(await ask(one, r));
    await one.stop();

    const two = await startServer({ data, args: ['--workers', '2'] });
    const multi = [];
    for (const r of [...reqs, ...reqs]) multi.push(await ask(two, r));
    await two.stop();

    expect(single.filter((a) => a.status === 200).length).toBeGreaterThan(reqs.length / 2);
    for (let i = 0; i < single.length; i++) expect({ req: reqs[i % reqs.length], ...multi[i] }).toEqual({ req: reqs[i % reqs.length], ...single[i] });
  });

  test('a key uploaded to one worker is served by every worker at once', async () => {
    const srv = await startServer({ data, args: ['--workers', '2'] });
    const key = readFileSync(NEW_KEY);
    const indexPath = '/pks/lookup?op=index&options=mr&search=debian';
    // the index is cached in each worker before the upload; the upload must invalidate it
    const before = await Promise.all(Array.from({ length: 20 }, () => getAndWorker(srv.port, indexPath)));
    const count = before[0].body;
    expect(before.every((a) => a.status === 200 && a.body === count)).toBe(true);

    const up = await httpRequest(srv.port, '/pks/add', { method: 'POST', body: key, contentType: 'application/pgp-keys' });
    expect(up.status).toBe(200);
    const fpr = /^new 0x([0-9A-F]{40})$/m.exec(up.text)![1];

    const workers = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => getAndWorker(srv.port, i % 2 ? `/pks/lookup?op=get&options=mr&search=0x${fpr}` : indexPath)),
      );
      for (const [i, a] of answers.entries()) {
        expect(a.status).toBe(200);
        if (i % 2) expect(a.body).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
        else expect(a.body).toContain(`pub:${fpr}:`);
        workers.add(a.worker);
      }
    }
    expect([...workers].sort()).toEqual(['1', '2']);
    await srv.stop();
  });

  test('keys another process writes while the workers serve are served at once, the LMDB map grown', async () => {
    const grow = tempDir('workers-grow');
    await importKeys(grow, [ROLE]);
    const before = statSync(`${grow}/db/data.mdb`).size;
    const srv = await startServer({ data: grow, args: ['--workers', '2'] });
    await importKeys(grow, [NEW_KEY, BIG]);
    expect(statSync(`${grow}/db/data.mdb`).size).toBeGreaterThan(before * 10);
    const big = [...splitKeyring(readFileSync(BIG))].flatMap((e) => (isKeyringError(e) ? [] : [keyIdentity(e.packets[0].body).fingerprint.toString('hex').toUpperCase()]));
    const workers = new Set<string>();
    for (const f of [big[10], big[big.length >> 1], big[big.length - 10]]) {
      for (let i = 0; i < 8; i++) {
        const a = await getAndWorker(srv.port, `/pks/lookup?op=index&options=mr&search=0x${f}`);
        expect({ f, status: a.status }).toEqual({ f, status: 200 });
        workers.add(a.worker);
      }
    }
    expect([...workers].sort()).toEqual(['1', '2']);
    await srv.stop();
    rmSync(grow, { recursive: true, force: true });
  });

  test('the rate limit counts a client across every worker', async () => {
    const srv = await startServer({ data, args: ['--workers', '2'], rateLimit: { requests: 30, uploads: 0, windowSeconds: 600 } });
    const path = `/pks/lookup?op=get&options=mr&search=0x${fprs[0]}`;
    const statuses: number[] = [];
    const workers = new Set<string>();
    // 40 connections × (get, health), 20 ms apart: 80 requests against one budget of 30 for 127.0.0.1
    for (let i = 0; i < 40; i++) {
      const a = await getAndWorker(srv.port, path);
      statuses.push(a.status, a.healthStatus);
      if (a.healthStatus === 200) workers.add(a.worker);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect([...workers].sort()).toEqual(['1', '2']);
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // the readiness check took one of the 30; the workers learn of the sum within one report
    // interval (100 ms), so a few more may pass — but far fewer than the 2 × 30 that two
    // workers counting alone would let through
    expect(ok).toBeGreaterThanOrEqual(29);
    expect(ok).toBeLessThanOrEqual(45);
    // once over, every worker refuses the client
    expect(statuses.slice(-10)).toEqual(Array(10).fill(429));
    await srv.stop();
  });

  test('/metrics sums the workers', async () => {
    const srv = await startServer({ data, args: ['--workers', '2'] });
    const path = `/pks/lookup?op=get&options=mr&search=0x${fprs[0]}`;
    const workers = new Set<string>();
    for (let i = 0; i < 30; i++) workers.add((await getAndWorker(srv.port, path)).worker);
    const text = (await httpRequest(srv.port, '/metrics')).text;
    const count = (route: string) => Number(new RegExp(`^dkeyserv_http_request_duration_seconds_count\\{route="${route}",status="200"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(workers.size).toBe(2);
    expect(count('/pks/lookup')).toBe(30);
    expect(count('/pks/health')).toBeGreaterThanOrEqual(30);
    await srv.stop();
  });

  test('a killed worker is replaced; SIGTERM stops every process', async () => {
    const srv = await startServer({ data, args: ['--workers', '2'] });
    const first = children(srv.pid);
    expect(first).toHaveLength(2);
    process.kill(first[0], 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let now = children(srv.pid);
    while (!(now.length === 2 && !now.includes(first[0])) && Date.now() < deadline) {
      await sleep(100);
      now = children(srv.pid);
    }
    expect(now).toHaveLength(2);
    expect(now).not.toContain(first[0]);
    expect(srv.stderr()).toMatch(/HKP worker \d \(pid \d+\) exited \(SIGKILL\); starting another/);
    // both serve: health answers from worker 1 and 2 once the new one listens
    const seen = new Set<string>();
    const until = Date.now() + 20_000;
    while (seen.size < 2 && Date.now() < until) {
      const r = await Promise.all(Array.from({ length: 4 }, () => httpRequest(srv.port, '/pks/health')));
      for (const a of r) if (a.status === 200) seen.add(String(a.headers['x-hkp-worker']));
      await sleep(20);
    }
    expect([...seen].sort()).toEqual(['1', '2']);
    await srv.stop();
    expect(srv.exit).toEqual({ code: 0, signal: null });
    expect(now.filter(alive)).toEqual([]);
  });
});
