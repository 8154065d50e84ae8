/**
 * `dkeyserv import FILE|DIR...`: SKS dump files, binary keyrings and armored files into the
 * store, through the one write path. Goes on past bad keys; a bad file gets one error line.
 */
import { SingleBar, Presets } from 'cli-progress';
import { KeyStore, IngestResult } from '@dkeyserv/db';
import { Packet } from '@dkeyserv/pgp';
import { CliError } from '../errors';
import { InputFile, isKeyringError, listInputs, readKeyFile } from '../input';

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

/** keys per write transaction: large enough to amortise the commit, small enough to stay responsive */
const BATCH = 500;

export function importFiles(store: KeyStore, args: string[], opts: { progress: boolean; onError: (line: string) => void }): ImportSummary {
  const t0 = process.hrtime.bigint();
  const files = listInputs(args);
  const sum: ImportSummary = { files: files.length, failedFiles: 0, keys: 0, new: 0, updated: 0, unchanged: 0, rejected: 0, reasons: new Map(), seconds: 0 };
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const bar = opts.progress ? new SingleBar({ format: 'import [{bar}] {percentage}% | {value}/{total} MB | {keys} keys', stream: process.stderr }, Presets.shades_classic) : undefined;
  bar?.start(Math.max(1, Math.round(totalBytes / 1e6)), 0, { keys: 0 });
  let doneBytes = 0;
  const count = (r: IngestResult) => {
    sum.keys++;
    sum[r.status]++;
    if (r.status === 'rejected') sum.reasons.set(r.reason ?? 'unknown', (sum.reasons.get(r.reason ?? 'unknown') ?? 0) + 1);
  };
  for (const file of files) {
    try {
      importFile(store, file, count);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      sum.failedFiles++;
      opts.onError(e.message);
    }
    doneBytes += file.size;
    bar?.update(Math.round(doneBytes / 1e6), { keys: sum.keys });
  }
  bar?.stop();
  sum.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return sum;
}

function importFile(store: KeyStore, file: InputFile, count: (r: IngestResult) => void) {
  let batch: Packet[][] = [];
  const flush = () => {
    for (const r of store.ingestMany(batch)) count(r);
    batch = [];
  };
  let fileError: string | undefined;
  try {
    for (const entry of readKeyFile(file)) {
      if (isKeyringError(entry)) {
        // a framing error ends the file: the keys before it are imported
        fileError = `${file.path}: byte ${entry.offset}: ${entry.error.message}`;
        break;
      }
      batch.push(entry.packets);
      if (batch.length >= BATCH) flush();
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (e instanceof Error && 'reason' in e) fileError = `${file.path}: ${e.message}`;
    else throw e;
  } finally {
    if (batch.length) flush();
  }
  if (fileError) throw new CliError(fileError);
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
