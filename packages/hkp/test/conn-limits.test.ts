/**
 * Connection limits (connection-guard.ts, docs/hkp.md §10) on a real server over 127.0.0.1
 * sockets. "Another client" connects from 127.0.0.2 (Linux routes all of 127/8 to lo).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, silentLogger } from '@dkeyserv/db';
import { createHkpApp, DEFAULT_HKP_OPTIONS, listen, ListenOptions, RunningServer } from '@dkeyserv/hkp';
import { clientKey } from '../src/connection-guard';

const HEALTH = 'GET /pks/health HTTP/1.1\r\nHost: x\r\n\r\n';

let dir: string;
let store: KeyStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dks-conn-'));
  store = KeyStore.open({ path: dir });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(opts: Omit<ListenOptions, 'host' | 'port'>): Promise<RunningServer> {
  // rate limits off: this test counts connections, not requests
  const identity = { hostname: 'conn.test', nodename: 'n', software: 'dkeyserv', version: '0', httpAddr: '127.0.0.1:0' };
  const app = createHkpApp({ store, logger: silentLogger, options: { ...DEFAULT_HKP_OPTIONS, rateLimit: { requests: 0, uploads: 0, windowSeconds: 60 }, identity } });
  return listen(app, { host: '127.0.0.1', port: 0, ...opts });
}

/** A connected socket from `from`, which records when the server closed it. */
function open(port: number, from = '127.0.0.1'): Promise<Socket & { closedAt?: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from }) as Socket & { closedAt?: number; text: string };
    s.text = '';
    s.on('data', (d) => (s.text += d.toString('latin1')));
    s.on('close', () => (s.closedAt = Date.now()));
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Send a request on `s` and wait for a complete answer (status line and headers at least). */
function ask(s: Socket & { text: string }, request = HEALTH, timeoutMs = 5_000): Promise<string> {
  const before = s.text.length;
  s.write(request);
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      const got = s.text.slice(before);
      if (/\r\n\r\n/.test(got) || s.destroyed || Date.now() - t0 > timeoutMs) {
        clearInterval(poll);
        if (/\r\n\r\n/.test(got)) resolve(got);
        else reject(new Error(`no answer (${s.destroyed ? 'closed' : 'timeout'}): ${JSON.stringify(got)}`));
      }
    }, 5);
  });
}

/** One request from another address on a fresh connection: its status and ms. */
async function otherClient(port: number, from = '127.0.0.2'): Promise<{ status: number; ms: number }> {
  const t0 = Date.now();
  const s = await open(port, from);
  const answer = await ask(s);
  s.destroy();
  return { status: Number(answer.split(' ')[1]), ms: Date.now() - t0 };
}

const until = async (cond: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
};

test('client addresses: IPv4 (also mapped), IPv6 by /64', () => {
  expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
  expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
  expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(clientKey('2001:db8:0:0:ffff::9')).toBe(clientKey('2001:db8::1'));
  expect(clientKey('::1')).toBe('0:0:0:0::/64');
});

test('idle sockets over the per-address limit from one address do not keep another client out', async () => {
  // a global cap the idle sockets alone would fill: without the per-address limit, 127.0.0.2 is refused
  const server = await serve({ maxConnections: 40, maxConnectionsPerIp: 10, firstByteTimeoutMs: 30_000 });
  try {
    const idle = await Promise.all(Array.from({ length: 60 }, () => open(server.port).catch(() => undefined)));
    const other = await otherClient(server.port);
    expect(other.status).toBe(200);
    expect(other.ms).toBeLessThan(1_000);
    // 127.0.0.1's connections beyond its 10 (those node's cap let in) were told why as they
    // connected, before sending anything
    const refused = idle.filter((s) => s?.text.startsWith('HTTP/1.1 503 Service Unavailable\r\n'));
    expect(refused.length).toBeGreaterThan(10);
    expect(refused.every((s) => /too many connections from your address/.test(s!.text))).toBe(true);
    const statuses = await Promise.all(idle.filter((s) => !refused.includes(s)).map((s) => (s && !s.destroyed ? ask(s).then((a) => a.split('\r\n')[0], () => 'closed') : 'closed')));
    expect(statuses.filter((l) => l === 'HTTP/1.1 200 OK').length).toBe(10);
    // the refused ones are closed; the 10 admitted stay (kept alive)
    await until(() => idle.filter((s) => s && s.closedAt === undefined).length <= 10, 5_000);
    expect(idle.filter((s) => s && s.closedAt === undefined).length).toBe(10);
    for (const s of idle) s?.destroy();
  } finally {
    await server.close();
  }
});

test('a connection that sends nothing is closed after the first-byte timeout', async () => {
  const server = await serve({ firstByteTimeoutMs: 300 });
  try {
    const t0 = Date.now();
    const s = await open(server.port);
    await until(() => s.closedAt !== undefined, 5_000);
    expect(s.closedAt).toBeDefined();
    const ms = s.closedAt! - t0;
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3_000);
    expect(s.text).toBe('');
  } finally {
    await server.close();
  }
});

test('a request line begun and then stopped gets a 408 with a reason when the connection falls silent', async () => {
  const server = await serve({ firstByteTimeoutMs: 300 });
  try {
    const s = await open(server.port);
    s.write('GET /pks/health HTTP/1.1\r\nHost: x\r\n');
    await until(() => s.closedAt !== undefined, 5_000);
    expect(s.text.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(s.text).toMatch(/\r\n\r\nthe request was not received in time\n$/);
  } finally {
    await server.close();
  }
});

test('a request that has begun is not cut by the first-byte timeout; a kept-alive connection idle that long is closed', async () => {
  const server = await serve({ firstByteTimeoutMs: 300 });
  try {
    const s = await open(server.port);
    // the request line arrives in pieces, each well within the timeout, taking longer than it in all
    for (const piece of ['GET /pks/he', 'alth HTTP/1.1\r\n', 'Host: x\r\n']) {
      s.write(piece);
      await new Promise((r) => setTimeout(r, 150));
    }
    const answer = await ask(s, '\r\n');
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const answered = Date.now();
    await until(() => s.closedAt !== undefined, 5_000);
    expect(s.closedAt).toBeDefined();
    expect(s.closedAt! - answered).toBeLessThan(3_000);
  } finally {
    await server.close();
  }
});

test('a keep-alive flood from many addresses: near the cap idle connections are closed so a new client gets in', async () => {
  // no per-address limit here: 45 addresses each hold one kept-alive connection, over the cap of 40
  const server = await serve({ maxConnections: 40, maxConnectionsPerIp: 0, firstByteTimeoutMs: 60_000 });
  try {
    const flood: Awaited<ReturnType<typeof open>>[] = [];
    for (let i = 1; i <= 45; i++) {
      const s = await open(server.port, `127.0.1.${i}`);
      flood.push(s);
      await ask(s).catch(() => '');
    }
    const other = await otherClient(server.port);
    expect(other.status).toBe(200);
    expect(other.ms).toBeLessThan(1_000);
    // the oldest went first; the newest are still open
    await until(() => flood[0].closedAt !== undefined, 2_000);
    expect(flood[0].closedAt).toBeDefined();
    expect(flood[flood.length - 1].closedAt).toBeUndefined();
    expect(flood.filter((s) => s.closedAt === undefined).length).toBeLessThan(40);
    for (const s of flood) s.destroy();
  } finally {
    await server.close();
  }
});

test('a keep-alive flood from one address is held to the per-address limit', async () => {
  const server = await serve({ maxConnections: 40, maxConnectionsPerIp: 8, firstByteTimeoutMs: 60_000 });
  try {
    const flood = await Promise.all(Array.from({ length: 30 }, () => open(server.port)));
    const answers = await Promise.all(flood.map((s) => ask(s).catch((e: Error) => e.message)));
    const statuses = answers.map((a) => a.split('\r\n')[0]);
    expect(statuses.filter((l) => l === 'HTTP/1.1 200 OK').length).toBe(8);
    expect(statuses.filter((l) => l === 'HTTP/1.1 503 Service Unavailable').length).toBe(22);
    const other = await otherClient(server.port);
    expect(other.status).toBe(200);
    expect(other.ms).toBeLessThan(1_000);
    for (const s of flood) s.destroy();
  } finally {
    await server.close();
  }
});

describe('HTTP pipelining (server.ts)', () => {
  test('up to 32 pipelined requests are all answered; a connection that pipelines more is closed', async () => {
    const srv = await serve({});
    try {
      const few = await open(srv.port);
      few.write(HEALTH.repeat(20));
      const t0 = Date.now();
      while ((few.text.match(/HTTP\/1\.1 200/g) ?? []).length < 20 && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 10));
      expect((few.text.match(/HTTP\/1\.1 200/g) ?? []).length).toBe(20);
      expect(few.destroyed).toBe(false);
      few.destroy();

      // a flood that is never read: the server stops at the bound instead of queueing answers
      const flood = await open(srv.port);
      flood.pause();
      flood.write(HEALTH.repeat(2_000));
      const t1 = Date.now();
      while (flood.closedAt === undefined && Date.now() - t1 < 5_000) await new Promise((r) => setTimeout(r, 10));
      expect(flood.closedAt).toBeDefined();
    } finally {
      await srv.close();
    }
  });
});
