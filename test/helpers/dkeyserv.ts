/**
 * Run the dkeyserv CLI (`node packages/cli/dist/main.js`, built by `npm run build`, which
 * `npm test` runs first) as a child process, the way users and interop tests see it.
 *
 * @example
 * ```ts
 * const data = tempDir('data');
 * await importKeys(data, ['/usr/share/keyrings/debian-role-keys.gpg']);
 * const hashes = await storedHashes(data); // lowercase hex, one per key
 * ```
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const REPO_ROOT = path.resolve(__dirname, '../..');
/** DKEYSERV_CLI overrides the entry point (e.g. an installed build) */
export const CLI_MAIN = process.env.DKEYSERV_CLI ?? path.join(REPO_ROOT, 'packages/cli/dist/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** wall time including Node startup */
  ms: number;
}

export interface CliOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** written to the child's stdin, which is then closed (default: no stdin) */
  input?: Buffer;
}

/** A fresh short-named directory under /tmp (callers delete it). */
export function tempDir(label: string): string {
  return mkdtempSync(`/tmp/dks-${label}-`);
}

/**
 * `dkeyserv <command> --data DATA ...args`; resolves with the exit code and output
 * (never rejects on a non-zero exit; kills the child with SIGKILL after timeoutMs).
 */
export function dkeyserv(command: string, data: string, args: readonly string[] = [], opts: CliOptions = {}): Promise<CliResult> {
  return run([command, '--data', data, ...args], opts);
}

/** `dkeyserv ...argv` without an implied --data. */
export function run(argv: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(CLI_MAIN)) {
    return Promise.reject(new Error(`${CLI_MAIN} does not exist: run 'npm run build' first (npm test does)`));
  }
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI_MAIN, ...argv], {
      cwd: REPO_ROOT,
      stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
    if (opts.input) child.stdin?.end(opts.input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
      });
    });
  });
}

function failure(what: string, r: CliResult): string {
  const tail = (s: string): string => (s.length > 4000 ? `...${s.slice(-4000)}` : s);
  return `${what} exited with ${r.signal ?? r.code}\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;
}

async function ok(command: string, data: string, args: readonly string[], opts?: CliOptions): Promise<CliResult> {
  const r = await dkeyserv(command, data, args, opts);
  if (r.code !== 0) throw new Error(failure(`dkeyserv ${command} --data ${data} ${args.join(' ')}`, r));
  return r;
}

/** `dkeyserv import --data DATA FILE|DIR...`; throws unless it exits 0. */
export function importKeys(data: string, sources: readonly string[], opts?: CliOptions): Promise<CliResult> {
  return ok('import', data, sources, opts);
}

/**
 * `dkeyserv hashes --data DATA [--policy POLICY]`: every key hash of the store's first (or the
 * given) recon policy (checked: 32 lowercase hex digits per line).
 */
export async function storedHashes(data: string, opts?: CliOptions & { policy?: string }): Promise<string[]> {
  const r = await ok('hashes', data, opts?.policy ? ['--policy', opts.policy] : [], opts);
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  const bad = lines.filter((l) => !/^[0-9a-f]{32}$/.test(l));
  if (bad.length) {
    throw new Error(`dkeyserv hashes printed ${bad.length} lines that are not lowercase 32-hex hashes, e.g. ${JSON.stringify(bad.slice(0, 3))}`);
  }
  return lines;
}

/** `dkeyserv dump --data DATA OUTDIR [--keys-per-file N]`; throws unless it exits 0. */
export function dumpKeys(data: string, outdir: string, keysPerFile?: number, opts?: CliOptions): Promise<CliResult> {
  return ok('dump', data, keysPerFile === undefined ? [outdir] : [outdir, '--keys-per-file', String(keysPerFile)], opts);
}

/** `dkeyserv fsck --data DATA` (exit code 0 = consistent); does not throw on a non-zero exit. */
export function fsck(data: string, opts?: CliOptions): Promise<CliResult> {
  return dkeyserv('fsck', data, [], opts);
}
