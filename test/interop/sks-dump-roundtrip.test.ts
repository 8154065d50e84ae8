/**
 * SKS dump files in both directions with a real SKS 1.1.6:
 *  (a) `dkeyserv dump` -> a new SKS built from that dump dir -> the same hash set;
 *  (b) `sks dump` of an SKS -> `dkeyserv import` into an empty store -> the same hash set.
 * Uses debian-keyring.gpg (905 keys).  Needs the Debian packages sks and debian-keyring.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { compareWithSks, keysOf, keysPerDumpFile, describeKeyDiff, startSks, stopAllSks } from '../helpers/sks';
import { dumpKeys, importKeys, storedHashes, tempDir } from '../helpers/dkeyserv';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';
const PER_FILE = 100;

const dirs: string[] = [];
function scratch(label: string): string {
  const d = tempDir(label);
  dirs.push(d);
  return d;
}

afterAll(async () => {
  await stopAllSks();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('(a) dkeyserv dump -> SKS build: same hashes', async () => {
  const data = scratch('data');
  const out = scratch('dump');
  await importKeys(data, [KEYRING]);
  const hashes = await storedHashes(data);
  await dumpKeys(data, out, PER_FILE);

  // the dump looks like SKS's own: sks-dump-NNNN.pgp with exactly N keys each (the last one
  // the remainder), plus metadata-sks-dump.txt in md5sum format (docs/operations.md §8)
  const perFile = keysPerDumpFile(out);
  const names = [...perFile.keys()];
  const nfiles = Math.ceil(hashes.length / PER_FILE);
  expect(names).toEqual(Array.from({ length: nfiles }, (_, i) => `sks-dump-${String(i).padStart(4, '0')}.pgp`));
  expect([...perFile.values()]).toEqual(
    Array.from({ length: nfiles }, (_, i) => (i < nfiles - 1 ? PER_FILE : hashes.length - PER_FILE * (nfiles - 1))),
  );
  expect(readdirSync(out).sort()).toEqual([...names, 'metadata-sks-dump.txt'].sort());
  const meta = readFileSync(path.join(out, 'metadata-sks-dump.txt'), 'utf8');
  expect(meta).toMatch(new RegExp(`^#Files-Count: ${nfiles}$`, 'm'));
  expect(meta).toMatch(new RegExp(`^#Key-Count: ${hashes.length}$`, 'm'));
  for (const f of names) {
    const md5 = createHash('md5').update(readFileSync(path.join(out, f))).digest('hex');
    expect(meta).toMatch(new RegExp(`^${md5}\\s+${f}$`, 'm'));
  }

  const sks = await startSks({ keys: [out] });
  const report = await compareWithSks(sks, hashes, (o) => dumpKeys(data, o).then(() => undefined));
  if (report) throw new Error(`SKS built from dkeyserv's dump differs from dkeyserv:\n${report}`);
}, 300_000);

test('(b) sks dump -> dkeyserv import: same hashes', async () => {
  const sksDump = scratch('skd');
  const data = scratch('data');
  const sks = await startSks({ keys: [KEYRING] });
  const sksCount = await sks.count();
  await sks.dump(sksDump, PER_FILE); // stops SKS: its DB has no locking
  await sks.start(); // back up on the same DB, to check dkeyserv against it

  await importKeys(data, [sksDump]);
  const hashes = await storedHashes(data);

  // exact set comparison against the dump's own hashes first (names the keys that differ)
  const dumped = keysOf(sksDump);
  expect(dumped.size).toBe(sksCount);
  const dk = new Set(hashes);
  if (dumped.size !== dk.size || [...dumped.keys()].some((h) => !dk.has(h))) {
    const out = scratch('dkd');
    await dumpKeys(data, out);
    throw new Error(`dkeyserv's store after importing SKS's dump differs from SKS:\n${describeKeyDiff(dumped, keysOf(out), 'SKS', 'dkeyserv')}`);
  }
  const report = await compareWithSks(sks, hashes, (o) => dumpKeys(data, o).then(() => undefined));
  if (report) throw new Error(`dkeyserv differs from the SKS it imported:\n${report}`);
}, 300_000);
