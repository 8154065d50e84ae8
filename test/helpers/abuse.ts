/**
 * The measuring half of the abuse suite (test/abuse/*): run an attack against a server for a
 * few seconds while another client — from a different loopback source address, so per-IP limits
 * do not hit it — asks a normal `op=get` at a steady pace, and the memory of the server's
 * processes is sampled.
 *
 * @example
 * ```ts
 * const r = await underAttack({ port: srv.port, pid: srv.pid, probePath: `/pks/lookup?op=get&search=0x${FPR}` },
 *   async (a) => { while (a.running()) await upload(...); });
 * expectServed(r, { p90Ms: 200, rssGrowthMb: 150 });
 * ```
 *
 * An attack that needs time to get in place (thousands of connections) says so with
 * `waitForReady` and calls `ready()`: its window of `durationMs` and the probes start then.
 * Probes: one every `probeEveryMs` on a fresh connection from PROBE_ADDRESS, each given
 * `probeTimeoutMs`, made by a process of their own (the attack's work here cannot delay them); a
 * refused, failed or late probe counts as not answered. The attack gets a
 * handle whose `running()` turns false at the deadline; sockets it registers with `track()` are
 * destroyed then, whatever state they are in.
 *
 * Cases never overlap: `exclusive` holds a lock file across jest's worker processes, so the
 * attack of one file's case does not take the CPU of another file's probes (the machine has
 * few cores); key generation and server starts still run in parallel.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { isKeyringError, keyIdentity, splitKeyring } from '@dkeyserv/pgp';
import { httpGet, isAlive, RunningDkeyserv, rssAnonKbOf, startServer, type ServerOptions } from './server';
import { killOnExit } from './watchdog';

/** the well-behaved client's source address (the attacker uses 127.0.0.1 unless a case says otherwise) */
export const PROBE_ADDRESS = '127.0.0.2';

export interface Attack {
  /** false once the attack's time is up */
  running(): boolean;
  /** ms left */
  left(): number;
  /** the attack is in place: with `waitForReady`, the probes and the attack's window start now */
  ready(): void;
  /** destroy this socket when the attack ends */
  track<T extends net.Socket>(s: T): T;
  /** a line for the report */
  note(s: string): void;
}

export interface AttackOptions {
  port: number;
  /** the server's process id (its children, the HKP workers, are counted too) */
  pid: number;
  /** what the probing client asks (default: the health check; give an op=get) */
  probePath: string;
  /** length of the attack (default 4 s) */
  durationMs?: number;
  /** let the attack get going before the first probe (default 300 ms) */
  warmupMs?: number;
  /** probe from the attack's ready() on (its setup, e.g. opening thousands of connections, may take SETUP_MS) */
  waitForReady?: boolean;
  probeEveryMs?: number;
  probeTimeoutMs?: number;
}

export interface AttackReport {
  /** ms per probe; Infinity when it got no 200 in time */
  probes: number[];
  /** why probes failed (status or error), one per failed probe */
  failures: string[];
  p90Ms: number;
  maxMs: number;
  rssStartKb: number;
  rssMaxKb: number;
  notes: string[];
}

/**
 * The probing client, a process of its own (so the attacker's work in this process cannot delay
 * it): a GET of `path` from PROBE_ADDRESS on a fresh connection every `everyMs` for `durationMs`;
 * prints a JSON array of [ms or null, failure or null], one per probe, once the last is answered.
 */
const PROBER = `
const http = require('node:http');
const o = JSON.parse(process.argv[1]);
const out = [];
let open = 0;
let stopped = false;
const finishAll = () => { if (stopped && open === 0) { process.stdout.write(JSON.stringify(out)); process.exit(0); } };
const fire = () => {
  const t0 = performance.now();
  let done = false;
  open++;
  const fin = (failure) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.destroy();
    out.push([failure ? null : performance.now() - t0, failure ?? null]);
    open--;
    finishAll();
  };
  const req = http.get({ host: '127.0.0.1', port: o.port, path: o.path, localAddress: o.localAddress, agent: false }, (res) => {
    res.resume();
    res.on('end', () => fin(res.statusCode === 200 ? undefined : 'status ' + res.statusCode));
    res.on('error', (e) => fin(e.message));
  });
  req.on('error', (e) => fin(e.code || e.message));
  const timer = setTimeout(() => fin('no answer within ' + o.timeoutMs + ' ms'), o.timeoutMs);
};
const start = Date.now();
fire();
const iv = setInterval(() => {
  if (Date.now() - start >= o.durationMs) { clearInterval(iv); stopped = true; finishAll(); return; }
  fire();
}, o.everyMs);
`;

interface ProbeResult {
  ms: number;
  failure?: string;
}

/** Start the probing process; resolves with its probes once it has finished. */
function startProber(opts: { port: number; path: string; everyMs: number; timeoutMs: number; durationMs: number }): Promise<ProbeResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROBER, JSON.stringify({ ...opts, localAddress: PROBE_ADDRESS })], { stdio: ['ignore', 'pipe', 'pipe'] });
    killOnExit(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the probing process exited ${code}: ${err.slice(-2000)}`));
      const rows = JSON.parse(out) as [number | null, string | null][];
      resolve(rows.map(([ms, failure]) => (failure ? { ms: Infinity, failure } : { ms: ms ?? Infinity })));
    });
  });
}

/** the longest setup an attack with waitForReady may take before its window starts */
const SETUP_MS = 20_000;

const quantile = (sorted: number[], q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : Infinity);

/** Run `attack` for durationMs while probing and sampling memory; every tracked socket is destroyed at the end. */
export async function underAttack(opts: AttackOptions, attack: (a: Attack) => Promise<unknown>): Promise<AttackReport> {
  const durationMs = opts.durationMs ?? 4000;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 1000;
  const t0 = Date.now();
  // with waitForReady the window starts when the attack calls ready() (its setup may take up to SETUP_MS)
  let deadline = opts.waitForReady ? t0 + SETUP_MS + durationMs : t0 + durationMs;
  const sockets = new Set<net.Socket>();
  const notes: string[] = [];
  let probing: Promise<ProbeResult[]> | undefined;
  const everyMs = opts.probeEveryMs ?? 250;
  const begin = (): void => {
    if (probing) return;
    if (opts.waitForReady) deadline = Date.now() + durationMs;
    probing = startProber({ port: opts.port, path: opts.probePath, everyMs, timeoutMs: probeTimeoutMs, durationMs: Math.max(everyMs, deadline - Date.now()) });
  };
  const handle: Attack = {
    running: () => Date.now() < deadline,
    left: () => Math.max(0, deadline - Date.now()),
    ready: () => {
      if (opts.waitForReady) begin();
    },
    track: (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      return s;
    },
    note: (s) => void notes.push(s),
  };
  const rssStartKb = rssAnonKbOf(opts.pid);
  let rssMaxKb = rssStartKb;
  const memory = setInterval(() => (rssMaxKb = Math.max(rssMaxKb, rssAnonKbOf(opts.pid))), 100);
  const startProbing = setTimeout(begin, opts.waitForReady ? SETUP_MS : (opts.warmupMs ?? 300));
  // the attack itself ends at the deadline; its promise may lag (a request the server holds)
  let done = false;
  void attack(handle)
    .catch((e: Error) => notes.push(`attack threw: ${e.message}`))
    .finally(() => (done = true));
  while (!done && Date.now() < deadline + probeTimeoutMs) await sleep(50);
  begin(); // an attack that ended before it was ready: probe the aftermath
  while (Date.now() < deadline) await sleep(50);
  clearTimeout(startProbing);
  const answers = probing ? await probing : [];
  clearInterval(memory);
  rssMaxKb = Math.max(rssMaxKb, rssAnonKbOf(opts.pid));
  for (const s of sockets) s.destroy();
  const ms = answers.map((a) => a.ms);
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    probes: ms,
    failures: answers.flatMap((a) => (a.failure ? [a.failure] : [])),
    p90Ms: quantile(sorted, 0.9),
    maxMs: sorted.length ? sorted[sorted.length - 1] : Infinity,
    rssStartKb,
    rssMaxKb,
    notes,
  };
}

export interface Bounds {
  /** the 90th percentile of the probe times (default 200 ms) */
  p90Ms?: number;
  /** most RssAnon growth over all server processes during the attack, MB */
  rssGrowthMb: number;
  /** probes that may go unanswered (default 0) */
  failures?: number;
}

/** One line for the test log. */
export function describeReport(name: string, r: AttackReport): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '∞');
  return `${name}: ${r.probes.length} probes, p90 ${f(r.p90Ms)} ms, max ${f(r.maxMs)} ms, ${r.failures.length} unanswered${r.failures.length ? ` (${[...new Set(r.failures)].slice(0, 3).join('; ')})` : ''}; RssAnon ${(r.rssStartKb / 1024).toFixed(0)} -> max ${(r.rssMaxKb / 1024).toFixed(0)} MB${r.notes.length ? `; ${r.notes.join('; ')}` : ''}`;
}

/**
 * The normal client was served throughout (at least 5 probes, none unanswered, p90 within
 * bounds) and memory stayed bounded. Checked in one expectation, so a failure shows the whole report.
 */
export function expectServed(name: string, r: AttackReport, bounds: Bounds): void {
  const line = describeReport(name, r);
  console.log(line);
  const p90 = bounds.p90Ms ?? 200;
  const problems: string[] = [];
  if (r.probes.length < 5) problems.push(`only ${r.probes.length} probes were made`);
  if (r.failures.length > (bounds.failures ?? 0)) problems.push(`${r.failures.length} probes unanswered`);
  if (!(r.p90Ms <= p90)) problems.push(`p90 ${r.p90Ms.toFixed(0)} ms > ${p90} ms`);
  const growthMb = (r.rssMaxKb - r.rssStartKb) / 1024;
  if (growthMb > bounds.rssGrowthMb) problems.push(`RssAnon grew by ${growthMb.toFixed(0)} MB > ${bounds.rssGrowthMb} MB`);
  expect(problems.length ? `${problems.join(', ')} — ${line}` : 'served').toBe('served');
}

/** Open `n` TCP connections to 127.0.0.1:port from `localAddress`, `batch` at a time; resolves with those that connected. */
export async function connectMany(a: Attack, port: number, n: number, opts: { localAddress?: string; batch?: number; onConnect?: (s: net.Socket, i: number) => void } = {}): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  const batch = opts.batch ?? 100;
  for (let i = 0; i < n && a.running(); i += batch) {
    const group = Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
      new Promise<void>((resolve) => {
        const s = a.track(net.connect({ host: '127.0.0.1', port, localAddress: opts.localAddress ?? '127.0.0.1' }));
        const t = setTimeout(resolve, 1000); // a SYN the kernel dropped: do not wait for its retry
        s.once('connect', () => {
          clearTimeout(t);
          out.push(s);
          opts.onConnect?.(s, i + j);
          resolve();
        });
        s.once('error', () => {
          clearTimeout(t);
          resolve();
        });
      }),
    );
    await Promise.all(group);
  }
  return out;
}

/** POST body to /pks/add from 127.0.0.1 on a fresh connection; resolves with the status (0: failed) when the answer comes or the attack ends. */
export function upload(a: Attack, port: number, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/pks/add', method: 'POST', agent: false, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('socket', (s) => a.track(s));
    req.on('error', () => resolve(0));
    req.on('close', () => resolve(0));
    req.end(body);
  });
}

/** Keep `parallel` uploads of `body` in flight until the attack ends; notes the statuses seen. */
export async function uploadLoop(a: Attack, port: number, body: string | (() => string), parallel = 2): Promise<void> {
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (a.running()) {
        const s = await upload(a, port, typeof body === 'string' ? body : body());
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
    }),
  );
  a.note(`uploads: ${[...statuses].map(([s, n]) => `${n}×${s || 'failed/cut'}`).join(', ')}`);
}

const LOCK = '/tmp/dkeyserv-abuse-suite.lock';

/** Run `fn` while holding the suite's lock (waits up to 10 min; a lock whose holder died is taken over). */
export async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(readFileSync(LOCK, 'utf8'));
      } catch {
        continue; // just released
      }
      if (holder && !isAlive(holder)) rmSync(LOCK, { force: true });
      else if (Date.now() > deadline) throw new Error(`${LOCK} held by pid ${holder} for 10 minutes`);
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The fingerprint (40 upper-case hex) of the first key of `keyring` the server on `port` serves. */
export async function servedFingerprint(port: number, keyring: string): Promise<string> {
  for (const e of splitKeyring(readFileSync(keyring))) {
    if (isKeyringError(e)) continue;
    const fpr = keyIdentity(e.packets[0].body).fingerprint.toString('hex').toUpperCase();
    if ((await httpGet(port, `/pks/lookup?op=get&options=mr&search=0x${fpr}`)).status === 200) return fpr;
  }
  throw new Error(`the server on port ${port} serves no key of ${keyring}`);
}

/** The server's error and warning log lines (for the report of a failed case). */
export function loggedProblems(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /"level":"(error|warn)"/.test(l));
}

const probePaths = new Map<string, string>();

/**
 * One case on a fresh server (`dkeyserv serve` with `keyring` imported, or `server.data`, and the operator's
 * default rate limits, unless `server` says otherwise): attack it, probe `op=get` for a key of
 * the keyring, check the bounds, stop it (SIGKILL after 2 s: a server still busy need not finish).
 */
export async function abuseCase(
  name: string,
  opts: { keyring: string; bounds: Bounds; server?: ServerOptions } & Pick<AttackOptions, 'durationMs' | 'warmupMs' | 'waitForReady'>,
  attack: (a: Attack, srv: RunningDkeyserv) => Promise<unknown>,
): Promise<AttackReport> {
  // a given data dir already holds the keyring
  const srv = await startServer({ keys: opts.server?.data ? undefined : [opts.keyring], rateLimit: 'server-defaults', ...opts.server });
  try {
    let probePath = probePaths.get(opts.keyring);
    if (!probePath) {
      probePath = `/pks/lookup?op=get&options=mr&search=0x${await servedFingerprint(srv.port, opts.keyring)}`;
      probePaths.set(opts.keyring, probePath);
    }
    const r = await exclusive(async () => {
      try {
        return await underAttack({ port: srv.port, pid: srv.pid, probePath, durationMs: opts.durationMs, warmupMs: opts.warmupMs, waitForReady: opts.waitForReady }, (a) => attack(a, srv));
      } finally {
        await srv.stop(500); // within the lock: a server still busy stops before the next case
      }
    });
    const problems = loggedProblems(srv.stderr());
    if (problems.length) console.log(`${name}: the server logged ${problems.length} errors/warnings, e.g.\n${problems.slice(0, 3).map((l) => l.slice(0, 400)).join('\n')}`);
    expectServed(name, r, opts.bounds);
    return r;
  } finally {
    await srv.stop(2000);
  }
}
