/**
 * kill -9 during import leaves a store that `fsck` passes, and running the import again
 * completes it (DESIGN.md §7).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dks, dksAsync } from './run';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';

function killAfter(ms: number, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = dksAsync(args);
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
        expect(dks(['import', '--data', d, KEYRING]).code).toBe(0);
        n = dks(['hashes', '--data', d]).stdout.trim().split('\n').length;
      }
      return n;
    };
  })();

  for (const ms of [250, 450, 650, 900]) {
    test(`killed after ${ms} ms: fsck passes, a re-run completes`, async () => {
      const data = join(dir, `d${ms}`);
      await killAfter(ms, ['import', '--data', data, KEYRING]);
      const f = dks(['fsck', '--data', data]);
      // killed before the store was created is fine too: then there is nothing to check
      if (!/no key store here/.test(f.stderr)) {
        expect(f.stdout).toMatch(/consistent/);
        expect(f.code).toBe(0);
      }
      const again = dks(['import', '--data', data, KEYRING]);
      expect(again.code).toBe(0);
      expect(dks(['fsck', '--data', data]).code).toBe(0);
      expect(dks(['hashes', '--data', data]).stdout.trim().split('\n')).toHaveLength(full());
    });
  }
});
