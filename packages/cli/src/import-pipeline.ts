/**
 * The flow of a bulk import (docs/operations.md §4, docs/architecture.md §9): keys are sent to
 * the PreparePool in worker batches, and the prepared keys are committed in input order, several
 * batches per write transaction. Memory is bounded by `bufferBytes`: the raw bytes of keys read
 * and not yet committed (besides the file read window) never exceed it, nor do the keys
 * MAX_KEYS_IN_FLIGHT. Commits wait for COMMIT_KEYS keys (or bufferBytes / 4) to be ready, while
 * the rest stays queued on the workers, so they keep working while the main thread writes.
 */
import { IngestResult, PreparedKey, PreparePool, Rejection } from '@dkeyserv/db';

/** keys and bytes per worker batch */
const BATCH_KEYS = 200;
const BATCH_BYTES = 1024 * 1024;
/**
 * keys per write transaction (fewer at the end of the input or when bytes run out first). LMDB
 * keeps the pages a transaction dirtied for reuse, so a transaction's size is also private
 * memory: about 2,000 keys × their index entries × 4 KiB at worst.
 */
export const COMMIT_KEYS = 2000;
/** keys sent and not yet committed: enough for several transactions' worth of work queued */
const MAX_KEYS_IN_FLIGHT = 4 * COMMIT_KEYS;

/** Writes prepared keys in one transaction. */
export type Committer = (batch: readonly (PreparedKey | Rejection)[]) => IngestResult[];

interface InFlight {
  keys: number;
  bytes: number;
  results?: (PreparedKey | Rejection)[];
  done: Promise<void>;
}

export class ImportPipeline {
  private readonly queue: InFlight[] = [];
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private inFlightKeys = 0;
  private inFlightBytes = 0;

  /** `bufferBytes`: raw key bytes in flight at most (a key larger than that still goes, alone) */
  constructor(
    private readonly pool: PreparePool,
    private readonly commit: Committer,
    private readonly onResult: (r: IngestResult) => void,
    private readonly bufferBytes: number,
  ) {}

  /** Queue one key (its packets' bytes); may wait for a commit to make room. */
  async add(key: Buffer): Promise<void> {
    this.batch.push(key);
    this.batchBytes += key.length;
    if (this.batch.length >= BATCH_KEYS || this.batchBytes >= BATCH_BYTES) this.send();
    while (this.queue.length > 0 && (this.inFlightBytes + this.batchBytes > this.bufferBytes || this.inFlightKeys > MAX_KEYS_IN_FLIGHT)) {
      await this.commitNext();
    }
  }

  /** Send what is batched and commit everything still in flight. */
  async finish(): Promise<void> {
    if (this.batch.length) this.send();
    while (this.queue.length) await this.commitNext();
  }

  private send(): void {
    const entry: InFlight = { keys: this.batch.length, bytes: this.batchBytes, done: Promise.resolve() };
    entry.done = this.pool.prepare(this.batch).then((r) => {
      entry.results = r;
    });
    // a pool failure is thrown by the await in commitNext; until then it is not unhandled
    entry.done.catch(() => undefined);
    this.queue.push(entry);
    this.inFlightKeys += entry.keys;
    this.inFlightBytes += entry.bytes;
    this.batch = [];
    this.batchBytes = 0;
  }

  /** Wait for the oldest batches, up to a transaction's worth, and commit them in one. */
  private async commitNext(): Promise<void> {
    const group: InFlight[] = [];
    let keys = 0;
    let bytes = 0;
    while (this.queue.length && keys < COMMIT_KEYS && bytes < this.bufferBytes / 4) {
      const e = this.queue[0];
      await e.done;
      this.queue.shift();
      group.push(e);
      keys += e.keys;
      bytes += e.bytes;
    }
    this.inFlightKeys -= keys;
    this.inFlightBytes -= bytes;
    const prepared = group.length === 1 ? group[0].results! : group.flatMap((e) => e.results!);
    for (const r of this.commit(prepared)) this.onResult(r);
  }
}
