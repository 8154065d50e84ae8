/**
 * Recovery: fetch the hashes a recon session found missing, in AIMD-sized chunks
 * (docs/recon.md §10, as Hockeypuck does: start at 1, double per success up to 100, halve on
 * failure, then grow by one; give up after `maxErrors`), and hand each key to the store's one
 * write path.
 */
import { hashQuery, HashQueryOptions, DEFAULT_HASHQUERY_OPTIONS } from './hashquery-client';

export interface RecoverTarget {
  host: string;
  port: number;
}

export interface RecoverResult {
  /** keys received */
  received: number;
  /** hashes asked for that the peer did not return */
  missing: number;
  errors: string[];
}

export interface RecoverOptions extends HashQueryOptions {
  maxChunk: number;
  maxErrors: number;
  /** pause after a failed chunk, ms */
  retryDelayMs: number;
}

/**
 * Stores recovered keys; a Promise is awaited before the next chunk is asked for, so keys checked
 * off the event loop (docs/operations.md §13) never pile up faster than they are stored.
 */
export type Ingest = (keys: Buffer[]) => void | Promise<void>;

export const DEFAULT_RECOVER_OPTIONS: RecoverOptions = { ...DEFAULT_HASHQUERY_OPTIONS, maxChunk: 100, maxErrors: 10, retryDelayMs: 1000 };

/**
 * Fetch `hashes` from `target` and pass each received key's bytes to `ingest` (in order of
 * arrival, one chunk at a time). Resolves when every hash was asked for or too many chunks failed.
 */
export async function recoverHashes(target: RecoverTarget, hashes: readonly Buffer[], ingest: Ingest, opts: RecoverOptions = DEFAULT_RECOVER_OPTIONS): Promise<RecoverResult> {
  const result: RecoverResult = { received: 0, missing: 0, errors: [] };
  let chunk = 1;
  let slowStart = true;
  let at = 0;
  while (at < hashes.length) {
    const batch = hashes.slice(at, at + chunk);
    try {
      const keys = await hashQuery(target.host, target.port, batch, opts);
      await ingest(keys);
      result.received += keys.length;
      result.missing += Math.max(0, batch.length - keys.length);
      at += batch.length;
      chunk = Math.min(opts.maxChunk, slowStart ? chunk * 2 : chunk + 1);
    } catch (e) {
      result.errors.push((e as Error).message);
      if (result.errors.length >= opts.maxErrors) break;
      slowStart = false;
      if (chunk === 1) at += 1; // a hash that fails alone is skipped, not retried forever
      chunk = Math.max(1, chunk >> 1);
      await new Promise((r) => setTimeout(r, opts.retryDelayMs));
    }
  }
  return result;
}
