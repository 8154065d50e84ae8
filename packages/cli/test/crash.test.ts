/**
 * kill -9 during import leaves a store that `fsck` passes, and running the import again
 * completes it (docs/architecture.md §8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSync, spawnDkeyserv } from '../../../test/helpers/dkeyserv';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';

function killAfter(ms: number, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawnDkeyserv(args);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('kill -9 during import', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-crash-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const full = (() => {
    let n: number | undefined;
    return () => {
      if (n === undefined) {
        const d = join(dir, 'reference');
        expect(runSync(['import', '--data', d, KEYRING]).code).toBe(0);
        n = runSync(['hashes', '--data', d]).stdout.trim().split('\n').length;
      }
      return n;
    };
  })();

  for (const ms of [250, 450, 650, 900]) {
    test(`killed after ${ms} ms: fsck passes, a re-run completes`, async () => {
      const data = join(dir, `d${ms}`);
      await killAfter(ms, ['import', '--data', data, KEYRING]);
      const f = runSync(['fsck', '--data', data]);
      // killed before the store was created is fine too: then there is nothing to check
      if (!/no key store here/.test(f.stderr)) {
        expect(f.stdout).toMatch(/consistent/);
        expect(f.code).toBe(0);
      }
      const again = runSync(['import', '--data', data, KEYRING]);
      expect(again.code).toBe(0);
      expect(runSync(['fsck', '--data', data]).code).toBe(0);
      expect(runSync(['hashes', '--data', data]).stdout.trim().split('\n')).toHaveLength(full());
    });
  }
});
