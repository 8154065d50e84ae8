/**
 * Repacking an environment after a bulk load (docs/architecture.md §7 "Repacking"): keys inserted
 * in random order leave B-tree pages about two-thirds full, and LMDB never shrinks its file. A
 * copy of every database in key order with append puts fills each page, into a new environment
 * beside the old one, which then replaces the old data file by one atomic rename.
 *
 * Crash safety: until the rename the old environment is untouched (a kill leaves only the
 * half-written copy, which the next repack or writable open removes); the copy is fsynced before
 * the rename and the directory after it, so after the rename the new file is the whole store.
 * Only a process that is alone on the environment repacks: another process with it open would go
 * on using the replaced file.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { Database, Key, open, RootDatabase } from 'lmdb';
import { DbError } from './errors';
import { syncFile } from './sync-file';

/** Entries per write transaction of the copy (bounds a transaction's dirty pages). */
const BATCH = 20_000;

export interface RepackResult {
  /** bytes of data.mdb before and after */
  before: number;
  after: number;
  ms: number;
}

/** Where the copy is written (a sibling of the environment's directory). */
export function repackPath(path: string): string {
  return `${path}-repack`;
}

/** Remove a copy a killed repack left behind. */
export function removeStaleRepack(path: string): void {
  if (existsSync(repackPath(path))) rmSync(repackPath(path), { recursive: true, force: true });
}

/**
 * The options a database is copied with: what keeps its LMDB flags (duplicates, integer keys) and
 * its bytes as they are; undefined for a database this store does not know (then no repack).
 */
function copyOptions(name: string): { keyEncoding: 'binary' | 'uint32'; encoding: 'binary'; dupSort: boolean } | undefined {
  if (name === 'log') return { keyEncoding: 'uint32', encoding: 'binary', dupSort: false };
  if (name === 'idx-email' || name === 'idx-word') return { keyEncoding: 'binary', encoding: 'binary', dupSort: true };
  if (['keys', 'idx-keyid', 'meta', 'takedown', 'takedown-hash'].includes(name) || name.startsWith('hash:') || name.startsWith('ext-')) return { keyEncoding: 'binary', encoding: 'binary', dupSort: false };
  return undefined;
}

/** Whether a process other than this one has a reader slot in the environment (LMDB's reader table). */
export function otherProcessesOpen(env: RootDatabase): boolean {
  env.readerCheck();
  const pids = env
    .readerList()
    .split('\n')
    .slice(1)
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
  return pids.some((pid) => pid !== process.pid);
}

/**
 * Copy the closed environment at `path` in key order and swap the copy in. Returns undefined (and
 * leaves the store as it is) if it holds a database this store does not know or another process
 * opened it meanwhile.
 */
export async function repackEnvironment(path: string): Promise<RepackResult | undefined> {
  const t0 = Date.now();
  const target = repackPath(path);
  removeStaleRepack(path);
  const before = fileSize(join(path, 'data.mdb'));
  // the copy is at most as big as the file: without that much room, the store stays as it is
  const free = freeBytes(dirname(target));
  if (free < before + REPACK_HEADROOM) throw new DbError(`no room for the copy: ${(free / 1e6).toFixed(1)} MB free beside the store, ${((before + REPACK_HEADROOM) / 1e6).toFixed(1)} MB needed`);
  const src = open({ path, readOnly: true, maxDbs: 64, compression: false });
  let dst: RootDatabase | undefined;
  let copied = false;
  let fd: number | undefined;
  try {
    const names = [...src.getKeys()].map(String);
    if (names.some((n) => !copyOptions(n))) return undefined;
    mkdirSync(target, { mode: 0o700 });
    dst = open({ path: target, maxDbs: 64, compression: false, noSync: true });
    // a descriptor opened before the first write: its fsync reports any write-back failure of
    // the copy (a full disk), which one opened afterwards would not (Linux reports such an error
    // to the descriptors open when it happened)
    fd = openSync(join(target, 'data.mdb'), 'r');
    for (const name of names) copyDatabase(name, src.openDB({ name, ...copyOptions(name)! }), dst.openDB({ name, ...copyOptions(name)! }), dst);
    // a process that opened the store meanwhile keeps it as it is
    copied = !otherProcessesOpen(src);
    await dst.close();
    dst = undefined;
    if (copied) fsyncSync(fd);
  } finally {
    if (fd !== undefined) closeSync(fd);
    await src.close();
    if (dst) await dst.close();
    if (!copied) removeStaleRepack(path);
  }
  if (!copied) return undefined;
  renameSync(join(target, 'data.mdb'), join(path, 'data.mdb'));
  syncFile(path);
  rmSync(target, { recursive: true, force: true });
  return { before, after: fileSize(join(path, 'data.mdb')), ms: Date.now() - t0 };
}

function copyDatabase(name: string, from: Database<Buffer, Key>, to: Database<Buffer, Key>, env: RootDatabase) {
  let batch: { key: Key; value: Buffer }[] = [];
  let last: Key | undefined;
  const flush = () =>
    env.transactionSync(() => {
      for (const { key, value } of batch) {
        // append: each key goes at the end of the last page; a further value of a duplicate key joins it
        const dup = last !== undefined && sameKey(key, last);
        if (dup) to.putSync(key, value);
        else to.putSync(key, value, { append: true });
        last = key;
      }
      batch = [];
    });
  for (const entry of from.getRange()) {
    batch.push(entry);
    if (batch.length >= BATCH) flush();
  }
  if (batch.length) flush();
  // (a put lmdb refuses, e.g. an append out of key order, would show as a missing entry)
  const [had, has] = [from.getStats() as { entryCount: number }, to.getStats() as { entryCount: number }];
  if (had.entryCount !== has.entryCount) throw new DbError(`repack: ${name} has ${had.entryCount} entries but its copy ${has.entryCount}`);
}

function sameKey(a: Key, b: Key): boolean {
  return Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : a === b;
}

/** Room left beside the store for the copy, beyond its size (LMDB's meta pages, the file system's own). */
const REPACK_HEADROOM = 16 * 1024 * 1024;

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function fileSize(file: string): number {
  return statSync(file).size;
}
