/**
 * A running `dkeyserv serve` child process on 127.0.0.1 for end-to-end tests (gpg, SKS
 * comparison, hostile HTTP), the way an operator starts it: the built CLI
 * (`packages/cli/dist/main.js`, see ./dkeyserv.ts), a data dir, a config file, `--hkp`.
 *
 * @example
 * ```ts
 * const srv = await startServer({ keys: ['/usr/share/keyrings/debian-keyring.gpg'] });
 * afterAll(stopAllServers);                     // stops every server this file started
 * const r = await fetch(`${srv.url}/pks/lookup?op=get&options=mr&search=0x${FPR}`);
 * srv.rssKb();                                   // VmRSS of the server process
 * srv.rssAnonKb();                               // RssAnon of the server and its HKP workers
 * ```
 *
 * Port: the server is started with `--hkp 127.0.0.1:0`, so the kernel picks a free port and
 * nothing can race for it; the port is read from the JSON log line "serving HKP on
 * http://127.0.0.1:PORT" on stderr, then `GET /pks/health` must answer 200 "OK".
 * Rate limiting is off by default (tests make thousands of requests from 127.0.0.1), and recon
 * is not started (`--recon none`).
 * Cleanup: `stop()` sends SIGTERM (SIGKILL after 10 s) and deletes the temp dir;
 * `stopAllServers()` (for afterAll) stops every server this module started; a 'exit' hook
 * SIGKILLs what is left; and a detached watchdog per server kills it (by pid, after checking
 * /proc/PID/cmdline is still ours) and deletes its temp dir once this process dies, even on
 * SIGKILL.  Only loopback is ever used.
 */
import { killOnExit, startWatchdog } from './watchdog';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { importKeys, spawnDkeyserv } from './dkeyserv';

export interface ServerOptions {
  /** an existing data dir to serve (not deleted on stop); else a fresh one in the temp dir */
  data?: string;
  /** files/dirs to `dkeyserv import` into the data dir before serving */
  keys?: string[];
  /** [hkp.rateLimit] (default: everything 0 = no limit; 'server-defaults': no such section, the limits an operator gets) */
  rateLimit?: { requests?: number; uploads?: number; windowSeconds?: number } | 'server-defaults';
  /** [hkp] maxBodyBytes / maxResults (default: the server's defaults) */
  maxBodyBytes?: number;
  maxResults?: number;
  /** more arguments for `serve`, e.g. ['--workers', '2'] */
  args?: string[];
  /** more environment for the child, e.g. { DKEYSERV_LOG_LEVEL: 'debug' } */
  env?: NodeJS.ProcessEnv;
  /** readiness timeout, ms (default 60 s) */
  timeoutMs?: number;
}

export interface RunningDkeyserv {
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** hkp://127.0.0.1:PORT (for gpg --keyserver) */
  readonly hkpUrl: string;
  readonly data: string;
  /** the temp dir holding the config file (and the data dir unless one was given) */
  readonly dir: string;
  /** is the child still running? */
  readonly running: boolean;
  /** exit code / signal once it has exited */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** the child's stderr so far (the last MB) */
  stderr(): string;
  /** VmRSS of the server process in kB (from /proc/PID/status) */
  rssKb(): number;
  /** RssAnon (private memory) of the server process and its HKP workers together, in kB */
  rssAnonKb(): number;
  /** SIGTERM (SIGKILL after graceMs, default 10 s), wait for the exit, delete the temp dir */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ServerImpl>();

class ServerImpl implements RunningDkeyserv {
  port = 0;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private err = '';
  private readonly exited: Promise<void>;
  private watchdog: ChildProcess | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly data: string,
  ) {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      this.err += s;
      if (this.err.length > 2_000_000) this.err = this.err.slice(-1_000_000);
    });
    child.stdout!.resume();
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get hkpUrl(): string {
    return `hkp://127.0.0.1:${this.port}`;
  }
  get running(): boolean {
    return this.exit === undefined;
  }
  stderr(): string {
    return this.err;
  }

  rssKb(): number {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!m) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(m[1]);
  }

  rssAnonKb(): number {
    return rssAnonKbOf(this.pid);
  }

  startWatchdog(): void {
    this.watchdog = startWatchdog('dks-serve-watchdog', this.pid, this.dir);
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.port) {
      const m = /serving HKP on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.err);
      if (m) this.port = Number(m[1]);
      else {
        if (!this.running) throw new Error(`dkeyserv serve exited (${this.exit?.signal ?? this.exit?.code}) before serving:\n${this.err.slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`dkeyserv serve did not log "serving HKP on" within ${timeoutMs} ms:\n${this.err.slice(-4000)}`);
        await sleep(50);
      }
    }
    for (;;) {
      const r = await httpGet(this.port, '/pks/health', 2000).catch(() => undefined);
      if (r?.status === 200 && r.text.trim() === 'OK') return;
      if (!this.running) throw new Error(`dkeyserv serve exited (${this.exit?.signal ?? this.exit?.code}):\n${this.err.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`GET /pks/health on port ${this.port} not 200 "OK" within ${timeoutMs} ms (last: ${r?.status} ${r?.text.slice(0, 200)})`);
      await sleep(100);
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    try {
      if (this.running) {
        this.child.kill('SIGTERM');
        const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
        await this.exited;
        clearTimeout(timer);
      }
    } finally {
      live.delete(this);
      if (this.watchdog?.pid) {
        try {
          process.kill(this.watchdog.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

function tomlConfig(opts: ServerOptions): string {
  const lines = ['[hkp]'];
  if (opts.maxBodyBytes !== undefined) lines.push(`maxBodyBytes = ${opts.maxBodyBytes}`);
  if (opts.maxResults !== undefined) lines.push(`maxResults = ${opts.maxResults}`);
  if (opts.rateLimit !== 'server-defaults') {
    const rl = { requests: 0, uploads: 0, windowSeconds: 60, ...opts.rateLimit };
    lines.push('[hkp.rateLimit]', `requests = ${rl.requests}`, `uploads = ${rl.uploads}`, `windowSeconds = ${rl.windowSeconds}`);
  }
  return lines.join('\n') + '\n';
}

/** Start `dkeyserv serve` on a free 127.0.0.1 port and wait until /pks/health answers. */
export async function startServer(opts: ServerOptions = {}): Promise<RunningDkeyserv> {
  const dir = mkdtempSync('/tmp/dks-srv-');
  writeFileSync(path.join(dir, '.dks-remove'), ''); // the watchdog may delete this dir
  let srv: ServerImpl | undefined;
  try {
    const data = opts.data ?? path.join(dir, 'data');
    if (opts.keys?.length) await importKeys(data, opts.keys);
    const config = path.join(dir, 'dkeyserv.toml');
    writeFileSync(config, tomlConfig(opts));
    // --recon none: these are HKP tests, and a fixed recon port (default 127.0.0.1:11370) would
    // collide between parallel jest workers
    const child = spawnDkeyserv(['serve', '--init', '--data', data, '--config', config, '--hkp', '127.0.0.1:0', '--recon', 'none', ...(opts.args ?? [])], { env: { ...process.env, ...opts.env } });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    srv = new ServerImpl(child, dir, data);
    live.add(srv);
    killOnExit(child);
    srv.startWatchdog();
    await srv.waitReady(opts.timeoutMs ?? 60_000);
    return srv;
  } catch (e) {
    if (srv) await srv.stop().catch(() => undefined);
    else rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Process ids of the children of `pid` (a server's HKP workers, docs/operations.md §12); none once it is gone. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Does process `pid` still exist? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** RssAnon (private memory) of process `pid` and its children (a server's HKP workers), in kB. */
export function rssAnonKbOf(pid: number): number {
  const anon = (p: number): number => {
    try {
      return Number(/^RssAnon:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0; // a worker that just exited
    }
  };
  return [pid, ...childPids(pid)].reduce((sum, p) => sum + anon(p), 0);
}

/** Stop every server started by this module (for afterAll). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One GET (or `method`) on 127.0.0.1:port, no keep-alive agent; rejects on network errors and timeouts. */
export function httpGet(port: number, urlPath: string, timeoutMs = 30_000, method = 'GET'): Promise<HttpResult> {
  return httpRequest(port, urlPath, { method, timeoutMs });
}

/** One request on 127.0.0.1 (no keep-alive) with an optional body; resolves with any status. */
export function httpRequest(port: number, urlPath: string, opts: { method?: string; body?: string | Buffer; contentType?: string; timeoutMs?: number } = {}): Promise<HttpResult> {
  const { method = 'GET', body, timeoutMs = 30_000 } = opts;
  const headers = body === undefined ? undefined : { 'Content-Type': opts.contentType ?? 'application/octet-stream', 'Content-Length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, agent: false, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, text: data.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} 127.0.0.1:${port}${urlPath.slice(0, 200)}: timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Run `fn` over `items` with at most `concurrency` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
