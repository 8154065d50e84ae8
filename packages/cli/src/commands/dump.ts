/**
 * `dkeyserv dump OUTDIR`: the SKS dump format (docs/operations.md §8): files
 * `sks-dump-NNNN.pgp` of N concatenated binary keys each (every stored key, whole, in fingerprint
 * order: a dump also moves a store to other recon policies), and
 * `metadata-sks-dump.txt` with md5 sums. Each file is written under a temporary name and renamed.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { KeyStore } from '@dkeyserv/db';
import { withStore } from '../store';
import { configFrom, Register, storeCommand, StoreFlags } from './options';

export const register: Register = (program) => {
  storeCommand(program, 'dump', 'write the store as an SKS dump: OUTDIR/sks-dump-NNNN.pgp and metadata-sks-dump.txt')
    .argument('<outdir>', 'output directory (created if missing)')
    .option('-n, --keys-per-file <n>', 'keys per dump file', positiveInt, 15000)
    .action(async (outdir: string, opts: StoreFlags & { keysPerFile: number }) => {
      await withStore(configFrom(opts).data, { readOnly: true }, ({ store }) => {
        const r = writeDump(store, outdir, opts.keysPerFile);
        process.stdout.write(`dump: ${r.keys} keys in ${r.files.length} files in ${outdir}\n`);
      });
    });
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000_000) throw new InvalidArgumentError('expected a whole number from 1 to 10000000');
  return n;
}

export interface DumpResult {
  files: string[];
  keys: number;
}

function stamp(d: Date): string {
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

export function writeDump(store: KeyStore, outDir: string, keysPerFile: number, name = 'sks-dump'): DumpResult {
  mkdirSync(outDir, { recursive: true });
  const started = new Date();
  const files: { name: string; md5: string }[] = [];
  let keys = 0;
  let fd: number | undefined;
  let md5 = createHash('md5');
  let inFile = 0;
  const close = () => {
    if (fd === undefined) return;
    closeSync(fd);
    const f = files[files.length - 1];
    f.md5 = md5.digest('hex');
    renameSync(join(outDir, f.name + '.tmp'), join(outDir, f.name));
    fd = undefined;
  };
  for (const record of store.records()) {
    if (fd === undefined) {
      const fname = `${name}-${String(files.length).padStart(4, '0')}.pgp`;
      files.push({ name: fname, md5: '' });
      fd = openSync(join(outDir, fname + '.tmp'), 'w');
      md5 = createHash('md5');
      inFile = 0;
    }
    const bytes = Buffer.from(record.packets);
    writeSync(fd, bytes);
    md5.update(bytes);
    keys++;
    if (++inFile >= keysPerFile) close();
  }
  close();
  const meta = [
    `#Metadata-for: ${hostname()}`,
    `#Dump-started: ${stamp(started)}`,
    `#Files-Count: ${files.length}`,
    `#Key-Count: ${keys}`,
    '#Digest-algo: md5',
    ...files.map((f) => `${f.md5}  ${f.name}`),
    `#Dump-ended: ${stamp(new Date())}`,
    '',
  ].join('\n');
  const metaName = `metadata-${name}.txt`;
  const tmp = join(outDir, metaName + '.tmp');
  const mfd = openSync(tmp, 'w');
  writeSync(mfd, meta);
  closeSync(mfd);
  renameSync(tmp, join(outDir, metaName));
  return { files: files.map((f) => f.name), keys };
}
