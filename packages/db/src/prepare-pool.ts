/**
 * A pool of worker threads running `prepareKeyBytes` (signature verification dominates import
 * time; on 2 cores two workers halve it). Each batch goes to the worker with the fewest keys
 * outstanding; callers await the answers in the order they sent the batches. A serving process
 * shares one pool between uploads and recon (docs/operations.md §13), a KeyPreparer.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_PREPARE_OPTIONS, PreparedKey, PrepareOptions, Rejection } from './prepare';
import { KeyPreparer } from './prepare-merged';
import { packKeys, reviveBytes } from './transfer';

type Result = (PreparedKey | Rejection)[];

/** The compiled worker script; from the TypeScript sources (tests) it is the built copy in dist/. */
function workerScript(): string {
  const here = join(__dirname, 'prepare-worker.js');
  return existsSync(here) ? here : join(__dirname, '..', 'dist', 'prepare-worker.js');
}

interface Pending {
  /** the worker (index) the batch went to */
  worker: number;
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
}

/** workers lost in a row, none answering in between, before the pool gives up (a broken script) */
const MAX_RESPAWNS = 3;

export class PreparePool implements KeyPreparer {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  /** keys sent to each worker and not yet answered: a batch goes to the least loaded */
  private readonly load: number[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;
  private lostInARow = 0;

  constructor(size = availableParallelism(), private readonly opts: PrepareOptions = DEFAULT_PREPARE_OPTIONS) {
    for (let i = 0; i < Math.max(1, size); i++) this.spawn(i);
  }

  private spawn(index: number) {
    const w = new Worker(workerScript(), { workerData: this.opts });
    this.workers[index] = w;
    this.load[index] = 0;
    w.on('message', (m: { id: number; results: Result }) => {
      this.lostInARow = 0;
      this.load[index] -= m.results.length;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      reviveBytes(m.results);
      p?.resolve(m.results);
    });
    w.on('error', (e) => this.lost(index, w, e));
    w.on('exit', (code) => {
      if (code !== 0) this.lost(index, w, new Error(`prepare worker exited with code ${code}`));
    });
  }

  /**
   * A worker died: its batches fail, and a serving process gets a new one (one hostile key must
   * not stop every later upload); after MAX_RESPAWNS losses in a row the pool fails for good.
   */
  private lost(index: number, w: Worker, e: Error) {
    if (this.workers[index] !== w) return; // 'error' then 'exit': handled once
    for (const [id, p] of this.pending) {
      if (p.worker !== index) continue;
      this.pending.delete(id);
      p.reject(e);
    }
    if (this.closing) return;
    if (++this.lostInARow > MAX_RESPAWNS) {
      this.failure ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      return;
    }
    this.spawn(index);
  }

  /**
   * Prepare a batch of keys (each one key's raw packet bytes). The answer's Buffers view one
   * buffer per batch (transfer.ts), so a batch's memory goes when its last key does.
   */
  prepare(keys: readonly Buffer[]): Promise<Result> {
    if (this.failure) return Promise.reject(this.failure);
    if (keys.length === 0) return Promise.resolve([]);
    const id = this.nextId++;
    let index = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i] < this.load[index]) index = i;
    this.load[index] += keys.length;
    const worker = this.workers[index];
    const packed = packKeys(keys);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker: index, resolve, reject });
      worker.postMessage({ id, keys: packed }, [packed.bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
