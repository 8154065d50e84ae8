/**
 * A pool of worker threads running `prepareKeyBytes` (signature verification dominates import
 * time; on 2 cores two workers halve it). Each batch goes to the worker with the fewest keys
 * outstanding; callers await the answers in the order they sent the batches.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_PREPARE_OPTIONS, PreparedKey, PrepareOptions, Rejection } from './prepare';
import { packKeys, reviveBytes } from './transfer';

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
  /** keys sent to each worker and not yet answered: a batch goes to the least loaded */
  private readonly load: number[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(size = availableParallelism(), opts: PrepareOptions = DEFAULT_PREPARE_OPTIONS) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(workerScript(), { workerData: opts });
      const index = i;
      this.load.push(0);
      w.on('message', (m: { id: number; results: Result }) => {
        this.load[index] -= m.results.length;
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        reviveBytes(m.results);
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

  /**
   * Prepare a batch of keys (each one key's raw packet bytes). The answer's Buffers view one
   * buffer per batch (transfer.ts), so a batch's memory goes when its last key does.
   */
  prepare(keys: readonly Buffer[]): Promise<Result> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    let index = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i] < this.load[index]) index = i;
    this.load[index] += keys.length;
    const worker = this.workers[index];
    const packed = packKeys(keys);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, keys: packed }, [packed.bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
