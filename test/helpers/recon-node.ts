/**
 * dkeyserv recon nodes for the recon end-to-end tests (test/recon/*) and bench/recon.sh:
 * `dkeyserv serve` child processes with HKP *and* recon on 127.0.0.1, started the way an
 * operator starts them (the built CLI, `--hkp`, `--recon`, `--peer`, `--gossip-interval`).
 *
 * @example
 * ```ts
 * const [pa, pb] = await reservePorts(2);                      // recon ports, known up front
 * const a = await startReconNode({ keys: [RING_A], reconPort: pa, peers: [pb], gossipInterval: 1 });
 * const b = await startReconNode({ keys: [RING_B], reconPort: pb, peers: [pa], gossipInterval: 0 });
 * afterAll(stopAllReconNodes);                                 // stops and deletes them all
 * await waitUntil(async () => (await a.hashes()).length === 1136, { what: 'a holds the union' });
 * const line = await a.waitForLog((l) => /^recon to .*recovered$/.test(l.message));
 * ```
 *
 * Ports: both the HKP and the recon port are fixed before the start (`reservePorts`: bound to
 * port 0 by the kernel, then released), because
 *  - the nodes of a group must know each other's recon ports (`--peer`), and
 *  - recon advertises the *configured* HKP port in its Config (`http port`), which peers use for
 *    hashquery: with `--hkp 127.0.0.1:0` the node would advertise port 0 (a known bug).
 * The window between releasing and binding is short and ephemeral ports are handed out at
 * random, so a collision is improbable; if one happens the start fails with "already in use".
 * Logs: every stderr line is kept; `logs()` parses the JSON lines, `mark()`/`waitForLog()` look
 * only at what came after a point.
 * Cleanup: `stop()` sends SIGTERM (SIGKILL after 10 s) and keeps the data (for `fsck`),
 * `destroy()` also deletes the temp dir; `stopAllReconNodes()` destroys all; an 'exit' hook
 * SIGKILLs what is left; a detached watchdog per node kills it (checking /proc/PID/cmdline) and
 * deletes its dir once the test process dies, even on SIGKILL.  Only loopback is ever used.
 */
import { killOnExit, startWatchdog } from './watchdog';
import { httpGet } from './server';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { PartnerStatus } from '@dkeyserv/db';
import { isKeyringError, splitKeyring } from '@dkeyserv/pgp';
import { fsck, importKeys, spawnDkeyserv, storedHashes, type CliResult } from './dkeyserv';

export interface ReconNodeOptions {
  /** a label for messages (default node-RECONPORT) */
  label?: string;
  /** files/dirs to `dkeyserv import` before serving (none: an empty store) */
  keys?: string[];
  /** an existing data dir to serve (never deleted); else a fresh one in the node's temp dir */
  data?: string;
  /** ports; each one not given is reserved here.  hkpPort 0: `--hkp 127.0.0.1:0` (the kernel
   *  picks; `hkpPort` is then read from the "serving HKP on" log line) */
  hkpPort?: number;
  reconPort?: number;
  /** recon partners: recon ports on 127.0.0.1 or "127.0.0.1:PORT[/POLICY]" strings (`--peer`) */
  peers?: Array<number | string>;
  /** recon policies (`--policy`, for the import and the server; default: dkeyserv's default) */
  policies?: string[];
  /** seconds between gossip rounds (`--gossip-interval`, 0 = never initiate) */
  gossipInterval: number;
  /** [hkp.rateLimit]; default: the server's defaults */
  rateLimit?: { requests?: number; uploads?: number; windowSeconds?: number };
  /** [recon] messageTimeout in seconds (how long a session waits for each message); default 60 */
  messageTimeout?: number;
  /** more environment for the child */
  env?: NodeJS.ProcessEnv;
  /** readiness timeout, ms (default 60 s) */
  timeoutMs?: number;
  /** more TOML for the node's config file (e.g. the `[quorum]` tables) */
  extraConfig?: string;
}

/** One JSON log line of `dkeyserv serve` (winston JSON format). */
export interface LogLine {
  component?: string;
  level?: string;
  message: string;
  timestamp?: string;
  [meta: string]: unknown;
}

/** One entry of the stats JSON's `peers[]`. */
export type PeerStatusJson = PartnerStatus;

export interface StatsJson {
  total: number;
  peers: PeerStatusJson[];
  [k: string]: unknown;
}

export interface ReconNode {
  readonly label: string;
  readonly pid: number;
  readonly hkpPort: number;
  readonly reconPort: number;
  /** the HKP port given on the command line (0 when the kernel picked hkpPort) */
  readonly hkpFlagPort: number;
  /** http://127.0.0.1:HKP_PORT */
  readonly url: string;
  readonly data: string;
  readonly dir: string;
  readonly running: boolean;
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** raw stderr so far */
  stderr(): string;
  /** a position in the log: `logs(mark)` / `waitForLog(…, mark)` only see lines after it */
  mark(): number;
  /** the JSON log lines (after `since`, a value of mark()) */
  logs(since?: number): LogLine[];
  /** lines of component "recon" whose message matches */
  reconLogs(re: RegExp, since?: number): LogLine[];
  /** the first log line after `since` that satisfies `pred`; rejects after timeoutMs */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number, since?: number): Promise<LogLine>;
  /** `dkeyserv hashes --data DATA [--policy P]` (exact; opens the store read-only, fine while serving) */
  hashes(policy?: string): Promise<string[]>;
  /** GET /pks/lookup?op=stats&options=mr (cached by the server for up to 10 s) */
  stats(): Promise<StatsJson>;
  /** one GET on the HKP port */
  get(urlPath: string, timeoutMs?: number): Promise<{ status: number; text: string }>;
  /** SIGTERM (SIGKILL after 10 s) and wait; the data stays (for fsck) */
  stop(): Promise<void>;
  /** `dkeyserv fsck --data DATA` (stop first) */
  fsck(): Promise<CliResult>;
  /** stop and delete the temp dir */
  destroy(): Promise<void>;
}

/** Free TCP ports on 127.0.0.1, chosen by the kernel and released again. */
export async function reservePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

const live = new Set<NodeImpl>();

class NodeImpl implements ReconNode {
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly hkpFlagPort: number;
  private err = '';
  private dropped = 0; // characters of stderr dropped from the front (memory bound)
  private readonly exited: Promise<void>;
  private watchdog: ChildProcess | undefined;
  private waiters = new Set<() => void>();

  constructor(
    readonly child: ChildProcess,
    readonly label: string,
    readonly dir: string,
    readonly data: string,
    public hkpPort: number,
    readonly reconPort: number,
  ) {
    this.hkpFlagPort = hkpPort;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      this.err += s;
      if (this.err.length > 8_000_000) {
        const cut = this.err.length - 4_000_000;
        this.err = this.err.slice(cut);
        this.dropped += cut;
      }
      for (const w of [...this.waiters]) w();
    });
    child.stdout!.resume();
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        for (const w of [...this.waiters]) w();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }
  get url(): string {
    return `http://127.0.0.1:${this.hkpPort}`;
  }
  get running(): boolean {
    return this.exit === undefined;
  }
  stderr(): string {
    return this.err;
  }
  mark(): number {
    return this.dropped + this.err.length;
  }

  logs(since = 0): LogLine[] {
    const text = this.err.slice(Math.max(0, since - this.dropped));
    const out: LogLine[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const l = JSON.parse(line) as LogLine;
        if (typeof l.message === 'string') out.push(l);
      } catch {
        /* a partial last line */
      }
    }
    return out;
  }

  reconLogs(re: RegExp, since = 0): LogLine[] {
    return this.logs(since).filter((l) => l.component === 'recon' && re.test(l.message));
  }

  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 90_000, since = 0): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.logs(since).find(pred);
        if (hit) {
          done();
          resolve(hit);
          return true;
        }
        if (!this.running) {
          done();
          reject(new Error(`${this.label} exited (${this.exit?.signal ?? this.exit?.code}) while waiting for a log line:\n${this.err.slice(-3000)}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no matching log line within ${timeoutMs} ms; log since the mark:\n${this.tail(since)}`));
      }, timeoutMs);
      const waiter = () => void check();
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      check();
    });
  }

  private tail(since: number): string {
    const s = this.err.slice(Math.max(0, since - this.dropped));
    return s.length > 4000 ? `...${s.slice(-4000)}` : s;
  }

  hashes(policy?: string): Promise<string[]> {
    return storedHashes(this.data, { policy });
  }

  async stats(): Promise<StatsJson> {
    const r = await this.get('/pks/lookup?op=stats&options=mr');
    if (r.status !== 200) throw new Error(`${this.label}: op=stats answered ${r.status}: ${r.text.slice(0, 200)}`);
    return JSON.parse(r.text) as StatsJson;
  }

  get(urlPath: string, timeoutMs = 30_000): Promise<{ status: number; text: string }> {
    return httpGet(this.hkpPort, urlPath, timeoutMs);
  }

  startWatchdog(): void {
    this.watchdog = startWatchdog('dks-recon-watchdog', this.pid, this.dir);
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.label}: dkeyserv serve exited (${this.exit?.signal ?? this.exit?.code}) before serving:\n${this.err.slice(-4000)}`);
      const serving = /serving HKP on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.err);
      if (serving && /"recon on 127\.0\.0\.1:\d+/.test(this.err)) {
        if (this.hkpPort === 0) this.hkpPort = Number(serving[1]);
        const r = await this.get('/pks/health', 2000).catch(() => undefined);
        if (r?.status === 200 && r.text.trim() === 'OK') return;
      }
      if (Date.now() > deadline) throw new Error(`${this.label}: not ready within ${timeoutMs} ms:\n${this.err.slice(-4000)}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  fsck(): Promise<CliResult> {
    if (this.running) return Promise.reject(new Error(`${this.label}: stop() before fsck()`));
    return fsck(this.data);
  }

  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      live.delete(this);
      if (this.watchdog?.pid) {
        try {
          process.kill(this.watchdog.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
      rmSync(this.dir, { recursive: true, force: true }); // holds the data dir unless the caller gave one
    }
  }
}

function tomlConfig(opts: ReconNodeOptions): string {
  const r = { requests: 600, uploads: 30, windowSeconds: 60, ...opts.rateLimit };
  const recon = opts.messageTimeout === undefined ? '' : `[recon]\nmessageTimeout = ${opts.messageTimeout}\n`;
  return `[hkp.rateLimit]\nrequests = ${r.requests}\nuploads = ${r.uploads}\nwindowSeconds = ${r.windowSeconds}\n${recon}${opts.extraConfig ?? ''}`;
}

/** Import (if asked), then start `dkeyserv serve` with HKP and recon, and wait until it serves both. */
export async function startReconNode(opts: ReconNodeOptions): Promise<ReconNode> {
  const dir = mkdtempSync('/tmp/dks-rn-');
  writeFileSync(path.join(dir, '.dks-remove'), ''); // the watchdog may delete this dir
  let node: NodeImpl | undefined;
  try {
    const data = opts.data ?? path.join(dir, 'data');
    const policyArgs = (opts.policies ?? []).flatMap((p) => ['--policy', p]);
    if (opts.keys?.length) await importKeys(data, [...opts.keys, ...policyArgs]);
    const [hkpPort, reconPort] = await (async () => {
      const need = [opts.hkpPort, opts.reconPort].filter((p) => p === undefined).length;
      const fresh = need ? await reservePorts(need) : [];
      return [opts.hkpPort ?? fresh.shift()!, opts.reconPort ?? fresh.shift()!];
    })();
    const label = opts.label ?? `node-${reconPort}`;
    const args = ['serve', '--init', '--data', data, '--hkp', `127.0.0.1:${hkpPort}`, '--recon', `127.0.0.1:${reconPort}`, '--gossip-interval', String(opts.gossipInterval)];
    for (const p of opts.peers ?? []) args.push('--peer', typeof p === 'number' ? `127.0.0.1:${p}` : p);
    args.push(...policyArgs);
    if (opts.rateLimit || opts.messageTimeout !== undefined || opts.extraConfig) {
      const config = path.join(dir, 'dkeyserv.toml');
      writeFileSync(config, tomlConfig(opts));
      args.push('--config', config);
    }
    const child = spawnDkeyserv(args, { env: { ...process.env, ...opts.env } });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    node = new NodeImpl(child, label, dir, data, hkpPort, reconPort);
    live.add(node);
    killOnExit(child);
    node.startWatchdog();
    await node.waitReady(opts.timeoutMs ?? 60_000);
    return node;
  } catch (e) {
    if (node) await node.destroy().catch(() => undefined);
    else rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Destroy every node this module started (for afterAll). */
export async function stopAllReconNodes(): Promise<void> {
  await Promise.all([...live].map((n) => n.destroy().catch(() => undefined)));
}

/** Poll `cond` every `intervalMs` until it holds; rejects after `timeoutMs` with `what` and the last detail. */
export async function waitUntil(
  cond: () => Promise<boolean | string> | boolean | string,
  opts: { timeoutMs?: number; intervalMs?: number; what: string },
): Promise<number> {
  const t0 = Date.now();
  const deadline = t0 + (opts.timeoutMs ?? 90_000);
  let last: unknown;
  for (;;) {
    try {
      const r = await cond();
      if (r === true) return Date.now() - t0;
      last = r;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 90_000} ms waiting until ${opts.what}${last !== false && last !== undefined ? ` (last: ${String(last)})` : ''}`);
    await sleep(opts.intervalMs ?? 500);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The raw bytes of each key of a binary keyring, in file order (split with @dkeyserv/pgp's splitKeyring). */
export function keyBlocks(file: string): Buffer[] {
  const buf = readFileSync(file);
  const offsets: number[] = [];
  for (const e of splitKeyring(buf)) {
    if (isKeyringError(e)) throw new Error(`${file}: ${e.error.message} at offset ${e.offset}`);
    offsets.push(e.offset);
  }
  return offsets.map((o, i) => buf.subarray(o, i + 1 < offsets.length ? offsets[i + 1] : buf.length));
}

/** Write keys (raw bytes) as one binary keyring file. */
export function writeKeyring(file: string, keys: readonly Buffer[]): string {
  writeFileSync(file, Buffer.concat(keys));
  return file;
}
