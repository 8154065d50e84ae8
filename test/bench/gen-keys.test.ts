/**
 * bench/gen-keys.mjs writes valid keys: dkeyserv stores every one, GnuPG imports every one and
 * finds no bad signature, two runs (with different worker counts) are byte-identical, and the
 * lists (fingerprints.txt, emails.txt, revoked.txt) describe the keys in key order. Small N:
 * no timings here (bench/scale.sh measures).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { importKeys, REPO_ROOT, storedHashes, tempDir } from '../helpers/dkeyserv';
import { GpgHome, parseColons } from '../helpers/gpg';

const N = 60;
const GEN = path.join(REPO_ROOT, 'bench/gen-keys.mjs');

function generate(out: string, workers: number): void {
  const r = spawnSync(process.execPath, [GEN, String(N), out, '--keys-per-file', '25', '--workers', String(workers)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gen-keys exited ${r.status}: ${r.stderr}`);
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);

describe('bench/gen-keys.mjs', () => {
  let dir: string;
  let a: string;
  let b: string;
  let gpg: GpgHome;
  const dumps = () => readdirSync(a).filter((f) => f.endsWith('.pgp')).sort().map((f) => path.join(a, f));

  beforeAll(() => {
    dir = tempDir('genkeys');
    a = path.join(dir, 'a');
    b = path.join(dir, 'b');
    generate(a, 2);
    generate(b, 1);
    gpg = new GpgHome();
  });
  afterAll(() => {
    gpg?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('writes the SKS dump layout, and is deterministic', () => {
    expect(readdirSync(a).sort()).toEqual(['COMPLETE', 'emails.txt', 'fingerprints.txt', 'metadata-sks-dump.txt', 'revoked.txt',
      'sks-dump-0000.pgp', 'sks-dump-0001.pgp', 'sks-dump-0002.pgp']);
    for (const f of readdirSync(a)) expect(readFileSync(path.join(b, f)).equals(readFileSync(path.join(a, f)))).toBe(true);
    const meta = readFileSync(path.join(a, 'metadata-sks-dump.txt'), 'utf8');
    expect(meta).toContain(`#Key-Count: ${N}\n`);
    expect(meta).toContain('#Files-Count: 3\n');
  });

  test('dkeyserv import stores every key, rejecting none', async () => {
    const data = path.join(dir, 'data');
    const r = await importKeys(data, dumps());
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`keys: ${N} read: ${N} new, 0 updated, 0 unchanged, 0 rejected`));
    expect(await storedHashes(data)).toHaveLength(N);
  });

  test('gpg imports every key and finds no bad signature; the lists match the keys', () => {
    const imported = gpg.run(['--import', ...dumps()]);
    expect(imported.stderr).toContain(`imported: ${N}`);
    const keys = parseColons(gpg.gpg(['--with-colons', '--with-subkey-fingerprints', '--check-sigs']));
    expect(keys).toHaveLength(N);
    const sigs = keys.flatMap((k) => [...k.directSigs, ...k.uids.flatMap((u) => u.sigs), ...k.subkeys.flatMap((s) => s.sigs)]);
    expect(sigs.length).toBeGreaterThan(2 * N);
    expect(sigs.filter((s) => s.validity !== '!')).toEqual([]);

    const fingerprints = lines(path.join(a, 'fingerprints.txt'));
    const emails = lines(path.join(a, 'emails.txt'));
    const revoked = new Set(lines(path.join(a, 'revoked.txt')).map(Number));
    expect(fingerprints).toHaveLength(N);
    expect(new Set(fingerprints).size).toBe(N);
    expect(emails).toHaveLength(N);
    const byFpr = new Map(keys.map((k) => [k.fingerprint, k]));
    fingerprints.forEach((fpr, i) => {
      const k = byFpr.get(fpr);
      expect(k).toBeDefined();
      expect(k!.uids[0].id).toContain(`<${emails[i]}>`);
      expect(k!.validity === 'r').toBe(revoked.has(i));
      expect(k!.subkeys).toHaveLength(1);
    });
  });
});
