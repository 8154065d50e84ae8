/**
 * A pool of worker threads running `prepareKeyBytes` (signature verification dominates import
 * time; on 2 cores two workers halve it). Batches are answered in the order they were sent.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_PREPARE_OPTIONS, PreparedKey, PrepareOptions, Rejection } from './prepare';

type Result = (PreparedKey | Rejection)[];

/** The compiled worker script; from the TypeScript sources (tests) it is the built copy in dist/. */
function workerScript(): string {
  const here = join(__dirname, 'prepare-worker.js');
  return existsSync(here) ? here : join(__dirname, '..', 'dist', 'prepare-worker.js');
}

interface Pending {
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
}

export class PreparePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(size = availableParallelism(), opts: PrepareOptions = DEFAULT_PREPARE_OPTIONS) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(workerScript(), { workerData: opts });
      w.on('message', (m: { id: number; results: Result }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.results);
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`prepare worker exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  private fail(e: Error) {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Prepare a batch of keys (each one key's raw packet bytes). */
  prepare(keys: Buffer[]): Promise<Result> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, keys });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
