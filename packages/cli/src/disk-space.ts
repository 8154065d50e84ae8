/**
 * Free space on the data directory's disk, checked before writing (docs/operations.md §2). LMDB
 * writes through a memory map: on a full disk the kernel answers a write to a new page with
 * SIGBUS, which kills the process without a word. So the commands that write refuse, with one
 * line, while the disk still has room: `import` before every batch it commits, the servers when
 * they start.
 */
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DiskFullError } from './errors';

const MIB = 1024 * 1024;
/** room always kept free for LMDB's own growth (page splits, free lists, the meta pages) */
export const RESERVE_BYTES = 16 * MIB;
/** what a key's raw bytes become in the store at most: the record, its views' hashes and its index entries */
const STORED_PER_RAW_BYTE = 4;

/** Bytes free to this process on the disk holding `dir` (or its nearest existing parent). */
export function freeBytes(dir: string): number {
  let p = resolve(dir);
  for (;;) {
    try {
      const s = statfsSync(p);
      return s.bavail * s.bsize;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw e;
      p = dirname(p);
    }
  }
}

/** Throws DiskFullError unless `dir`'s disk has room for `rawBytes` of keys and the reserve. */
export function checkFreeSpace(dir: string, what: string, rawBytes = 0): void {
  const need = RESERVE_BYTES + STORED_PER_RAW_BYTE * rawBytes;
  const free = freeBytes(dir);
  if (free < need) throw new DiskFullError(`disk full: ${mib(free)} MiB free on the disk of ${dir}, and ${what} needs at least ${mib(need)} MiB`);
}

function mib(n: number): string {
  return (n / MIB).toFixed(1);
}

/** How often a server looks at its disk's free space. */
export const WATCH_INTERVAL_MS = 2000;

/**
 * For a running server: calls `onFull` once, with the DiskFullError, when the data directory's
 * disk has less than the reserve left (uploads and recon write while it runs). Returns the stop.
 */
export function watchFreeSpace(dir: string, onFull: (e: DiskFullError) => void, intervalMs = WATCH_INTERVAL_MS): () => void {
  const timer = setInterval(() => {
    try {
      checkFreeSpace(dir, 'the server');
    } catch (e) {
      if (!(e instanceof DiskFullError)) throw e;
      clearInterval(timer);
      onFull(e);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
