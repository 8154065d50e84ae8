/**
 * `dkeyserv import FILE|DIR...`: SKS dump files, binary keyrings and armored files into the
 * store, through the one write path (docs/architecture.md §3, docs/operations.md §4). Goes on
 * past bad keys; a bad file gets one error line and exit code 1.
 *
 * Bulk mode (docs/recon.md §5a): a large import does not update the recon prefix trees key by
 * key. Its first write transaction marks the trees stale (with its first keys); at the end one
 * transaction rebuilds every tree from the store's hashes and clears the mark. A kill at any
 * moment leaves either the mark (fsck passes and says so; serve, recon and pbuild rebuild) or
 * the finished trees.
 */
import { availableParallelism } from 'node:os';
import { IngestResult, KeyStore, PreparePool } from '@dkeyserv/db';
import { markPrefixTreesStale, PrefixTree, prefixTreesStale, rebuildPrefixTrees } from '@dkeyserv/recon';
import { ReconPolicyName } from '@dkeyserv/pgp';
import { Option } from 'commander';
import { isKeyringError, joinPackets, PgpError } from '@dkeyserv/pgp';
import { checkFreeSpace } from '../disk-space';
import { CliError, DiskFullError } from '../errors';
import { checkBufferMiB } from '../config';
import { Committer, ImportPipeline } from '../import-pipeline';
import { DEFAULT_READ_CHUNK, InputFile, listInputs, readKeyFile } from '../input';
import { withStore } from '../store';
import { configFrom, policiesOption, Register, storeCommand, StoreFlags } from './options';

export const register: Register = (program) => {
  storeCommand(program, 'import', 'import SKS dump files (*.pgp), binary keyrings and armored key files, or directories of them')
    .argument('<files...>', 'files or directories')
    .addOption(policiesOption())
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--buffer-mib <n>', 'MiB of raw key bytes read and not yet written (default 64, or [import] bufferMiB)')
    .addOption(new Option('--trees <mode>', 'recon prefix trees: rebuilt once at the end (bulk), updated per key, or auto: bulk when the input is large against the store').choices(['auto', 'bulk', 'per-key']).default('auto'))
    .action(async (files: string[], opts: StoreFlags & { progress: boolean; trees: TreeMode; bufferMib?: string }) => {
      const config = configFrom(opts);
      if (opts.bufferMib !== undefined) {
        const n = /^\d+$/.test(opts.bufferMib) ? Number(opts.bufferMib) : NaN;
        checkBufferMiB(n, '--buffer-mib');
        config.import.bufferMiB = n;
      }
      let failed = false;
      await withStore(config.data, { bulkLoad: true, keepStaleTrees: true, limits: config.limits, quorum: config.quorum, policies: config.recon.policies, blocked: config.policy.blocked }, async ({ store, trees }) => {
        const summary = await importFiles(store, files, {
          trees,
          treeMode: opts.trees,
          bufferBytes: config.import.bufferMiB * MIB,
          dataDir: config.data,
          progress: opts.progress && Boolean(process.stderr.isTTY),
          onNotice: (line) => process.stdout.write(`${line}\n`),
          onError: (line) => {
            failed = true;
            process.stderr.write(`dkeyserv import: ${line}\n`);
          },
        });
        process.stdout.write(formatSummary(summary));
      });
      if (failed) process.exitCode = 1;
    });
};

export interface ImportSummary {
  files: number;
  failedFiles: number;
  keys: number;
  new: number;
  updated: number;
  unchanged: number;
  rejected: number;
  reasons: Map<string, number>;
  /** bulk mode: seconds of the final prefix-tree rebuild */
  treeRebuildSeconds?: number;
  seconds: number;
}

export type TreeMode = 'auto' | 'bulk' | 'per-key';

/**
 * auto: bulk when the input may hold at least this fraction of the keys the store will then
 * hold (its size in bytes / BYTES_PER_KEY_ESTIMATE keys, an under-estimate for real dumps). A
 * rebuild costs about 0.02 ms per element of the whole store, a per-key update about 0.15 ms
 * per key and policy (measured: docs/recon.md §5a), so bulk pays from about 15 % on.
 */
const BULK_FRACTION = 0.15;
const BYTES_PER_KEY_ESTIMATE = 4096;

/** Whether an import of `inputBytes` into `store` builds the trees in bulk. */
export function useBulkTrees(store: KeyStore, inputBytes: number, mode: TreeMode): boolean {
  if (prefixTreesStale(store)) return true; // a killed bulk import: its rebuild is still owed
  if (mode !== 'auto') return mode === 'bulk';
  const incoming = inputBytes / BYTES_PER_KEY_ESTIMATE;
  return incoming >= BULK_FRACTION * (store.count() + incoming);
}

const MIB = 1024 * 1024;
/** the default of `[import] bufferMiB` */
export const DEFAULT_BUFFER_BYTES = 64 * MIB;

export interface ImportOptions {
  progress: boolean;
  onError: (line: string) => void;
  /** a progress line (stdout: bulk mode started, the final rebuild starts) */
  onNotice?: (line: string) => void;
  /** worker threads for parsing and verification (default: one per core) */
  workers?: number;
  /** the store's prefix trees (attached); with them, bulk mode may apply */
  trees?: ReadonlyMap<ReconPolicyName, PrefixTree>;
  treeMode?: TreeMode;
  /** raw key bytes read and not yet committed, at most (import-pipeline.ts); the file read window is an eighth of it, at most 4 MiB */
  bufferBytes?: number;
  /** the data directory: its disk's free space is checked before each commit (disk-space.ts) */
  dataDir?: string;
}

export async function importFiles(store: KeyStore, args: string[], opts: ImportOptions): Promise<ImportSummary> {
  const t0 = process.hrtime.bigint();
  const files = listInputs(args);
  const sum: ImportSummary = { files: files.length, failedFiles: 0, keys: 0, new: 0, updated: 0, unchanged: 0, rejected: 0, reasons: new Map(), seconds: 0 };
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const bar = opts.progress ? progressBar() : undefined;
  bar?.start(Math.max(1, Math.round(totalBytes / 1e6)), 0, { keys: 0 });
  const pool = new PreparePool(opts.workers ?? availableParallelism(), store.prepareOptions);
  const bulk = opts.trees !== undefined && useBulkTrees(store, totalBytes, opts.treeMode ?? 'auto');
  let marked = !bulk || prefixTreesStale(store);
  // in bulk mode the first commit also marks the trees stale, in its transaction
  const commit: Committer = (batch) => {
    if (opts.dataDir !== undefined) checkFreeSpace(opts.dataDir, 'the import', batch.reduce((n, k) => n + ('packets' in k ? k.packets.length : 0), 0));
    if (marked) return store.commit(batch);
    const results = store.transaction(() => {
      markPrefixTreesStale(store);
      return store.commit(batch);
    });
    marked = true;
    opts.onNotice?.('prefix trees: bulk mode: marked stale, rebuilt at the end');
    return results;
  };
  let doneBytes = 0;
  const count = (r: IngestResult) => {
    sum.keys++;
    sum[r.status]++;
    if (r.status === 'rejected') sum.reasons.set(r.reason ?? 'unknown', (sum.reasons.get(r.reason ?? 'unknown') ?? 0) + 1);
    if (sum.keys % 1000 === 0) bar?.update(Math.round(doneBytes / 1e6), { keys: sum.keys });
  };
  const bufferBytes = opts.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  const readChunk = Math.min(DEFAULT_READ_CHUNK, Math.floor(bufferBytes / 8));
  // one pipeline for every file: the workers do not drain at file boundaries
  const pipeline = new ImportPipeline(pool, commit, count, bufferBytes - readChunk);
  try {
    for (const file of files) {
      try {
        await importFile(pipeline, file, readChunk);
      } catch (e) {
        // a full disk ends the import, not just this file
        if (!(e instanceof CliError) || e instanceof DiskFullError) throw e;
        sum.failedFiles++;
        opts.onError(e.message);
      }
      doneBytes += file.size;
      bar?.update(Math.round(doneBytes / 1e6), { keys: sum.keys });
    }
    await pipeline.finish();
  } finally {
    bar?.stop();
    await pool.close();
  }
  if (bulk && opts.trees && prefixTreesStale(store)) {
    opts.onNotice?.('prefix trees: rebuilding');
    const t1 = process.hrtime.bigint();
    rebuildPrefixTrees(store, opts.trees);
    sum.treeRebuildSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  }
  sum.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return sum;
}

/** Read one file's keys into the pipeline, in order; keys before a bad spot are kept. */
async function importFile(pipeline: ImportPipeline, file: InputFile, readChunk: number) {
  let fileError: string | undefined;
  try {
    for (const entry of readKeyFile(file, readChunk)) {
      if (isKeyringError(entry)) {
        // a framing error ends the file: the keys before it are imported
        fileError = `${file.path}: byte ${entry.offset}: ${entry.error.message}`;
        break;
      }
      await pipeline.add(joinPackets(entry.packets));
    }
  } catch (e) {
    if (e instanceof PgpError) fileError = `${file.path}: ${e.message}`;
    else throw e;
  }
  if (fileError) throw new CliError(fileError);
}

/** cli-progress, loaded only when a terminal will show it */
function progressBar() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SingleBar, Presets } = require('cli-progress') as typeof import('cli-progress');
  return new SingleBar({ format: 'import [{bar}] {percentage}% | {value}/{total} MB | {keys} keys', stream: process.stderr }, Presets.shades_classic);
}

export function formatSummary(s: ImportSummary): string {
  const lines = [
    `files: ${s.files - s.failedFiles} read, ${s.failedFiles} failed`,
    `keys: ${s.keys} read: ${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected`,
  ];
  for (const [reason, n] of [...s.reasons].sort((a, b) => b[1] - a[1])) lines.push(`rejected: ${reason}: ${n}`);
  if (s.treeRebuildSeconds !== undefined) lines.push(`prefix trees: rebuilt in bulk in ${s.treeRebuildSeconds.toFixed(2)} s`);
  lines.push(`time: ${s.seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}
