/** Runs the built CLI (npm test builds first) as a child process. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', 'dist', 'main.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function dks(args: string[], opts: { input?: Buffer } = {}): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { input: opts.input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function dksAsync(args: string[]) {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
