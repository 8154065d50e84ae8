import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKeyringError, Packet, splitKeyring } from '@dkeyserv/pgp';
import { fsck, KeyStore, Logger } from '@dkeyserv/db';

/**
 * The repack a bulk load ends with (packages/db/src/repack.ts): same contents, a smaller file,
 * skipped while another process has the store open, and safe against kill -9 at any moment.
 * The child processes run the built package (npm run build).
 */
const RING = '/usr/share/keyrings/debian-maintainers.gpg';
const DIST = join(__dirname, '..', 'dist');
const PGP_DIST = join(__dirname, '..', '..', 'pgp', 'dist');
const LMDB = require.resolve('lmdb');

function ring(file: string): Packet[][] {
  const out: Packet[][] = [];
  for (const e of splitKeyring(readFileSync(file))) if (!isKeyringError(e)) out.push(e.packets);
  return out;
}

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (m: string) => lines.push(m);
  return { lines, debug: add, info: add, warn: add, error: add };
}

/** Everything a reader can see of a store, as text. */
function contents(path: string): string {
  const s = KeyStore.open({ path, readOnly: true });
  try {
    const out: string[] = [];
    for (const r of s.records()) out.push(`${r.fpr.toString('hex')} ${r.hash.toString('hex')} ${r.packets.length} ${r.modified} ${JSON.stringify(r.validity)}`);
    for (const [seq, e] of s.changes()) out.push(`log ${seq} ${e.fpr.toString('hex')} ${e.time} ${e.updated}`);
    for (const idx of ['keyid', 'email', 'word'] as const) for (const e of s.indexEntries(idx)) out.push(`${idx} ${e.key.toString('hex')} ${e.value.toString('hex')}`);
    for (const h of s.hashes()) out.push(`hash ${h.toString('hex')}`);
    out.push(`seq ${s.changeSeq()}`);
    return out.join('\n');
  } finally {
    void s.close();
  }
}

describe('repack after a bulk load', () => {
  let dir: string;
  const keys = ring(RING);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-repack-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a bulk load into a new store repacks it: same contents, a smaller file, fsck passes', async () => {
    const plain = join(dir, 'plain');
    const packed = join(dir, 'packed');
    const log = capture();
    for (const [path, bulkLoad] of [[plain, false], [packed, true]] as const) {
      const s = KeyStore.open({ path, bulkLoad, now: () => 1_700_000_000_000, logger: log });
      for (let i = 0; i < keys.length; i += 50) s.ingestMany(keys.slice(i, i + 50));
      await s.close();
    }
    expect(log.lines.join('\n')).toMatch(/repacked the key store in [\d.]+ s: [\d.]+ MB → [\d.]+ MB/);
    expect(contents(packed)).toEqual(contents(plain));
    const size = (p: string) => readFileSync(join(p, 'data.mdb')).length;
    expect(size(packed)).toBeLessThan(size(plain) * 0.9);
    expect(existsSync(`${packed}-repack`)).toBe(false);
    const s = KeyStore.open({ path: packed, readOnly: true });
    expect(fsck(s).problemCount).toBe(0);
    await s.close();
  });

  test('a small bulk load into a large store does not repack', async () => {
    const path = join(dir, 'packed');
    const log = capture();
    const s = KeyStore.open({ path, bulkLoad: true, logger: log });
    s.ingestMany(ring('/usr/share/keyrings/debian-role-keys.gpg'));
    await s.close();
    expect(log.lines.join('\n')).not.toMatch(/repacked/);
  });

  test('no repack without room for the copy beside the store (a real small file system): the store is kept', async () => {
    // a 64 MiB tmpfs (CI runs as root), filled until the copy could not fit
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]);
    try {
      const path = join(mnt, 'db');
      const log = capture();
      const s = KeyStore.open({ path, bulkLoad: true, logger: log });
      for (let i = 0; i < keys.length; i += 50) s.ingestMany(keys.slice(i, i + 50));
      const size = statSync(join(path, 'data.mdb')).size;
      const { bavail, bsize } = statfsSync(mnt);
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - Math.floor(size / 2))));
      await s.close();
      expect(log.lines.join('\n')).toMatch(/could not repack the key store \(it is kept as it is\): no room for the copy: [\d.]+ MB free/);
      expect(existsSync(`${path}-repack`)).toBe(false);
      const again = KeyStore.open({ path, readOnly: true });
      expect(again.count()).toBe(keys.length);
      expect(fsck(again).problemCount).toBe(0);
      await again.close();
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  test('no repack while another process has the store open', async () => {
    const path = join(dir, 'shared');
    const log = capture();
    const s = KeyStore.open({ path, bulkLoad: true, logger: log });
    s.ingestMany(keys.slice(0, 100));
    // a reader in another process: it opens the store, reads, and waits
    const reader = spawn(process.execPath, ['-e', `const { open } = require(${JSON.stringify(LMDB)}); const env = open({ path: ${JSON.stringify(path)}, readOnly: true, maxDbs: 64 }); env.openDB({ name: 'meta' }).get('schema'); console.log('open'); setTimeout(() => {}, 60000);`]);
    await new Promise<void>((resolve) => reader.stdout.once('data', () => resolve()));
    try {
      await s.close();
    } finally {
      reader.kill('SIGKILL');
    }
    expect(log.lines.join('\n')).not.toMatch(/repacked/);
    const again = KeyStore.open({ path, readOnly: true });
    expect(again.count()).toBe(100);
    await again.close();
  });

  test('a copy a killed repack left behind is removed by the next writable open', async () => {
    const path = join(dir, 'packed');
    mkdirSync(`${path}-repack`);
    writeFileSync(join(`${path}-repack`, 'data.mdb'), 'half a copy');
    const s = KeyStore.open({ path });
    expect(existsSync(`${path}-repack`)).toBe(false);
    expect(fsck(s).problemCount).toBe(0);
    await s.close();
  });

  describe('kill -9 during the repack', () => {
    const script = (path: string) => `
      const { readFileSync } = require('node:fs');
      const { KeyStore } = require(${JSON.stringify(DIST)});
      const { splitKeyring, isKeyringError } = require(${JSON.stringify(PGP_DIST)});
      const keys = [...splitKeyring(readFileSync(${JSON.stringify(RING)}))].filter((e) => !isKeyringError(e)).map((e) => e.packets);
      const s = KeyStore.open({ path: ${JSON.stringify(path)}, bulkLoad: true });
      for (let i = 0; i < keys.length; i += 50) s.ingestMany(keys.slice(i, i + 50));
      console.log('ingested ' + s.count());
      s.close().then(() => console.log('closed'));`;

    for (const ms of [0, 5, 15, 40, 100]) {
      test(`killed ${ms} ms after the last commit: every key is there and fsck passes`, async () => {
        const path = join(dir, `kill${ms}`);
        const child = spawn(process.execPath, ['-e', script(path)]);
        let out = '';
        const n = await new Promise<number>((resolve) => {
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /ingested (\d+)/.exec(out);
            if (m) setTimeout(() => child.kill('SIGKILL'), ms).unref(), resolve(Number(m[1]));
          });
        });
        await new Promise((resolve) => child.once('exit', resolve));
        const s = KeyStore.open({ path });
        expect(s.count()).toBe(n);
        expect(fsck(s).problemCount).toBe(0);
        await s.close();
        expect(existsSync(`${path}-repack`)).toBe(false);
      });
    }
  });
});
