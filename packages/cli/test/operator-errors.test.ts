/**
 * Operator errors through the real built CLI (docs/operations.md §2): each is one line on stderr
 * and exit code 1, never a stack trace. `--data` naming a file, a data directory with no store
 * (`serve` refuses it unless `--init`), an unreadable config, and a disk that fills during import
 * and during serve. The full disk is real: a small ext4 file system on a loop device, mounted
 * here (CI runs as root), which the import, or a file written next to the running server, fills.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSync, spawnDkeyserv, tempDir } from '../../../test/helpers/dkeyserv';

const ROLE = '/usr/share/keyrings/debian-role-keys.gpg';
const BIG = '/usr/share/keyrings/debian-keyring.gpg';

/** stderr without the JSON log lines: what the operator is told */
function told(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}

function expectOneLine(r: { code: number | null; stderr: string }, reason: RegExp): void {
  expect(r.code).toBe(1);
  const lines = told(r.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^dkeyserv: /);
  expect(lines[0]).toMatch(reason);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A `size`-MiB ext4 file system mounted at a new directory; unmount with the returned function. */
function smallDisk(parent: string, mib: number): { mount: string; unmount: () => void } {
  const dir = mkdtempSync(join(parent, 'disk-'));
  const image = join(dir, 'disk.img');
  const mount = join(dir, 'mnt');
  mkdirSync(mount);
  execFileSync('truncate', ['-s', `${mib}M`, image]);
  execFileSync('mkfs.ext4', ['-q', image]);
  execFileSync('mount', ['-o', 'loop', image, mount]);
  return { mount, unmount: () => execFileSync('umount', [mount]) };
}

describe('operator errors: one line, exit 1', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('operr');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('--data naming a file, for every command that opens a store', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory\n');
    for (const argv of [
      ['serve', '--data', file, '--recon', 'none'],
      ['serve', '--init', '--data', file, '--recon', 'none'],
      ['import', '--data', file, ROLE],
      ['fsck', '--data', file],
      ['dump', '--data', file, join(dir, 'out')],
      ['hashes', '--data', file],
      ['pbuild', '--data', file],
    ]) {
      expectOneLine(runSync(argv), /a-file: not a directory/);
    }
  });

  test('a missing store: serve, db, recon, fsck, dump refuse it and create nothing; import creates it', () => {
    const missing = join(dir, 'missing');
    for (const argv of [
      ['serve', '--data', missing, '--recon', 'none'],
      ['db', '--data', missing],
      ['recon', '--data', missing],
      ['fsck', '--data', missing],
      ['dump', '--data', missing, join(dir, 'out')],
      ['hashes', '--data', missing],
    ]) {
      const r = runSync(argv);
      expectOneLine(r, /missing: no key store here/);
      if (['serve', 'db', 'recon'].includes(argv[0])) expect(told(r.stderr)[0]).toMatch(/--init/);
    }
    expect(existsSync(missing)).toBe(false);
    // an empty directory has no store either
    mkdirSync(missing);
    expectOneLine(runSync(['serve', '--data', missing, '--recon', 'none']), /no key store here/);
    expect(runSync(['import', '--data', missing, ROLE]).code).toBe(0);
  });

  test('serve --init creates the data directory and serves the empty store', async () => {
    const fresh = join(dir, 'fresh', 'data');
    const port = await freePort();
    const child = spawnDkeyserv(['serve', '--init', '--data', fresh, '--hkp', `127.0.0.1:${port}`, '--recon', 'none', '--workers', '1']);
    child.stdout.resume();
    child.stderr.resume();
    try {
      let stats: { total: number } | undefined;
      for (let i = 0; i < 150 && !stats && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        stats = await fetch(`http://127.0.0.1:${port}/pks/lookup?op=stats&options=mr`).then((r) => r.json(), () => undefined);
      }
      expect(stats?.total).toBe(0);
      expect(existsSync(join(fresh, 'db', 'data.mdb'))).toBe(true);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
    expect(child.exitCode).toBe(0);
  });

  test('a config that cannot be read', () => {
    expectOneLine(runSync(['serve', '--config', dir]), /EISDIR/);
    expectOneLine(runSync(['fsck', '--config', join(dir, 'nope.toml')]), /no such file/);
  });

  test('disk full during import (a real 40 MiB ext4 file system filled by the import)', () => {
    const disk = smallDisk(dir, 40);
    try {
      const data = join(disk.mount, 'data');
      const r = runSync(['import', '--no-progress', '--buffer-mib', '8', '--data', data, BIG]);
      expectOneLine(r, /disk full: [\d.]+ MiB free on the disk of .*data/);
      // what was committed before is a consistent store
      const f = runSync(['fsck', '--data', data]);
      expect(f.code).toBe(0);
      expect(f.stdout).toMatch(/consistent/);
      expect(Number(/fsck: (\d+) keys/.exec(f.stdout)?.[1])).toBeGreaterThan(0);
    } finally {
      disk.unmount();
    }
  });

  test('disk full while serving: one line, exit 1', async () => {
    const disk = smallDisk(dir, 40);
    try {
      const data = join(disk.mount, 'data');
      expect(runSync(['import', '--data', data, ROLE]).code).toBe(0);
      const port = await freePort();
      const child = spawnDkeyserv(['serve', '--data', data, '--hkp', `127.0.0.1:${port}`, '--recon', 'none', '--workers', '1']);
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.stdout.resume();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      let up = false;
      for (let i = 0; i < 150 && !up && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        up = await fetch(`http://127.0.0.1:${port}/pks/health`).then((r) => r.ok, () => false);
      }
      expect(up).toBe(true);
      // fill the disk next to the store (ENOSPC ends dd: that is the point)
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(disk.mount, 'filler')}`, 'bs=1M'], { stdio: 'ignore' });
      } catch {
        // no space left on device
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20_000)));
      const code = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (code === 'timeout') child.kill('SIGKILL');
      expect(code).toBe(1);
      expectOneLine({ code: 1, stderr }, /disk full: [\d.]+ MiB free/);
    } finally {
      disk.unmount();
    }
  });
});
