/**
 * The recon policies' hashes against Hockeypuck's own (docs/recon-policies.md): each Debian keyring
 * imported alone into a store keeping `sks`, `hockeypuck` and `hockeypuck-2.4`; then
 * `dkeyserv hashes --policy hockeypuck` must equal the hashes Hockeypuck 2.3.3 stored for that
 * keyring and `--policy hockeypuck-2.4` those of Hockeypuck 2.4-beta2 (test-fixtures/vectors/
 * hockeypuck/, measured with real Hockeypuck builds), and a key Hockeypuck refuses is named on
 * stderr with the reason. The `sks` policy's hashes against real SKS: sks-hash-parity.test.ts.
 * Needs the Debian package debian-keyring (.ci/run installs it).
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { dkeyserv, importKeys, REPO_ROOT, storedHashes, tempDir } from '../helpers/dkeyserv';

const VECTORS = path.join(REPO_ROOT, 'test-fixtures/vectors/hockeypuck');
const KEYRINGS = ['debian-keyring', 'debian-maintainers', 'debian-nonupload', 'debian-role-keys'];
const BRIDGE = ['--policy', 'sks', '--policy', 'hockeypuck', '--policy', 'hockeypuck-2.4'];

function vector(version: string, keyring: string): string[] {
  return readFileSync(path.join(VECTORS, `hp-${version}-${keyring}.hashes`), 'utf8').split('\n').filter((l) => l.length > 0);
}

describe.each(KEYRINGS)('%s', (keyring) => {
  let data: string;
  beforeAll(async () => {
    data = tempDir(`hpvec-${keyring}`);
    await importKeys(data, [`/usr/share/keyrings/${keyring}.gpg`, ...BRIDGE]);
  }, 120_000);
  afterAll(() => data && rmSync(data, { recursive: true, force: true }));

  test.each([
    ['hockeypuck', '2.3.3'],
    ['hockeypuck-2.4', '2.4-beta2'],
  ])('hashes --policy %s equal Hockeypuck %s', async (policy, version) => {
    const ours = (await storedHashes(data, { policy })).sort();
    const theirs = vector(version, keyring);
    const missing = theirs.filter((h) => !ours.includes(h));
    const extra = ours.filter((h) => !theirs.includes(h));
    expect({ count: ours.length, missing, extra }).toEqual({ count: theirs.length, missing: [], extra: [] });
  });

  test('the sks policy holds every key, and differs from Hockeypuck where the vectors say', async () => {
    const sks = await storedHashes(data, { policy: 'sks' });
    const hp = new Set(vector('2.3.3', keyring));
    const expectedDiff = { 'debian-keyring': 7, 'debian-maintainers': 7, 'debian-nonupload': 0, 'debian-role-keys': 0 }[keyring]!;
    const keys = { 'debian-keyring': 905, 'debian-maintainers': 231, 'debian-nonupload': 36, 'debian-role-keys': 6 }[keyring]!;
    expect(sks.length).toBe(keys);
    // 897/905, 224/231, 36/36, 6/6 equal to SKS (docs/sks-key-hash.md §8)
    expect(sks.filter((h) => !hp.has(h)).length).toBe(expectedDiff + (keyring === 'debian-keyring' ? 1 : 0));
  });

  if (keyring === 'debian-keyring') {
    test('the key Hockeypuck refuses is named on stderr with the reason', async () => {
      const r = await dkeyserv('hashes', data, ['--policy', 'hockeypuck']);
      expect(r.code).toBe(0);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^a36878f464108681600cb64844173fa13d058888: not in policy hockeypuck: [a-z-]+: .+/);
    });
  }
});
