/**
 * `dkeyserv import FILE|DIR...`: SKS dump files, binary keyrings and armored files into the
 * store, through the one write path (docs/architecture.md §3, docs/operations.md §4). Goes on
 * past bad keys; a bad file gets one error line and exit code 1.
 */
import { availableParallelism } from 'node:os';
import { IngestResult, KeyStore, PreparedKey, PreparePool, Rejection } from '@dkeyserv/db';
import { isKeyringError, joinPackets, PgpError } from '@dkeyserv/pgp';
import { CliError } from '../errors';
import { InputFile, listInputs, readKeyFile } from '../input';
import { withStore } from '../store';
import { configFrom, policiesOption, Register, storeCommand, StoreFlags } from './options';

export const register: Register = (program) => {
  storeCommand(program, 'import', 'import SKS dump files (*.pgp), binary keyrings and armored key files, or directories of them')
    .argument('<files...>', 'files or directories')
    .addOption(policiesOption())
    .option('--no-progress', 'no progress bar even on a terminal')
    .action(async (files: string[], opts: StoreFlags & { progress: boolean }) => {
      const config = configFrom(opts);
      let failed = false;
      await withStore(config.data, { bulkLoad: true, limits: config.limits, quorum: config.quorum, policies: config.recon.policies }, async ({ store }) => {
        const summary = await importFiles(store, files, {
          progress: opts.progress && Boolean(process.stderr.isTTY),
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
  seconds: number;
}

/** keys per worker batch and per write transaction */
const BATCH = 25;
/** batches being prepared at once: enough to keep every worker busy while the main thread writes */
const IN_FLIGHT = 8;

export interface ImportOptions {
  progress: boolean;
  onError: (line: string) => void;
  /** worker threads for parsing and verification (default: one per core) */
  workers?: number;
}

export async function importFiles(store: KeyStore, args: string[], opts: ImportOptions): Promise<ImportSummary> {
  const t0 = process.hrtime.bigint();
  const files = listInputs(args);
  const sum: ImportSummary = { files: files.length, failedFiles: 0, keys: 0, new: 0, updated: 0, unchanged: 0, rejected: 0, reasons: new Map(), seconds: 0 };
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const bar = opts.progress ? progressBar() : undefined;
  bar?.start(Math.max(1, Math.round(totalBytes / 1e6)), 0, { keys: 0 });
  const pool = new PreparePool(opts.workers ?? availableParallelism(), store.prepareOptions);
  let doneBytes = 0;
  const count = (r: IngestResult) => {
    sum.keys++;
    sum[r.status]++;
    if (r.status === 'rejected') sum.reasons.set(r.reason ?? 'unknown', (sum.reasons.get(r.reason ?? 'unknown') ?? 0) + 1);
    if (sum.keys % 1000 === 0) bar?.update(Math.round(doneBytes / 1e6), { keys: sum.keys });
  };
  try {
    for (const file of files) {
      try {
        await importFile(store, pool, file, count);
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        sum.failedFiles++;
        opts.onError(e.message);
      }
      doneBytes += file.size;
      bar?.update(Math.round(doneBytes / 1e6), { keys: sum.keys });
    }
  } finally {
    bar?.stop();
    await pool.close();
  }
  sum.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return sum;
}

/** Read, prepare on the pool and commit one file's keys, in order; keys before a bad spot are kept. */
async function importFile(store: KeyStore, pool: PreparePool, file: InputFile, count: (r: IngestResult) => void) {
  const inFlight: Promise<(PreparedKey | Rejection)[]>[] = [];
  let batch: Buffer[] = [];
  const commitOldest = async () => {
    for (const r of store.commit(await inFlight.shift()!)) count(r);
  };
  const send = async () => {
    inFlight.push(pool.prepare(batch));
    batch = [];
    if (inFlight.length >= IN_FLIGHT) await commitOldest();
  };
  let fileError: string | undefined;
  try {
    for (const entry of readKeyFile(file)) {
      if (isKeyringError(entry)) {
        // a framing error ends the file: the keys before it are imported
        fileError = `${file.path}: byte ${entry.offset}: ${entry.error.message}`;
        break;
      }
      batch.push(joinPackets(entry.packets));
      if (batch.length >= BATCH) await send();
    }
  } catch (e) {
    if (e instanceof PgpError) fileError = `${file.path}: ${e.message}`;
    else throw e;
  } finally {
    if (batch.length) inFlight.push(pool.prepare(batch));
    while (inFlight.length) await commitOldest();
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
  lines.push(`time: ${s.seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}
