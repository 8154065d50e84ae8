/**
 * kill -9 during import leaves a store that `fsck` passes, and running the import again
 * completes it (docs/architecture.md §8). Bulk imports (docs/recon.md §5a) mark the prefix trees
 * stale in their first transaction and rebuild them at the end: killed at any moment (before the
 * store exists, mid-import, during the final rebuild) the store passes fsck, a re-run completes,
 * its trees are byte for byte those of a clean per-key import and of a `pbuild`, and `serve`
 * on a store killed mid-import rebuilds the trees before recon and then syncs with a peer.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from '@dkeyserv/db';
import { runSync, spawnDkeyserv, storedHashes } from '../../../test/helpers/dkeyserv';
import { reservePorts, startReconNode, stopAllReconNodes, waitUntil } from '../../../test/helpers/recon-node';

const RINGS = '/usr/share/keyrings';
const KEYRING = `${RINGS}/debian-keyring.gpg`;
const FOUR = ['debian-keyring', 'debian-maintainers', 'debian-nonupload', 'debian-role-keys'].map((n) => `${RINGS}/${n}.gpg`);

interface Killed {
  stdout: string;
  /** the process ended by itself before the kill */
  finished: boolean;
}

/** Start `dkeyserv ...args`; SIGKILL it `ms` after start, or `ms` after a stdout line matching `when`. */
function killAt(args: string[], ms: number, when?: RegExp): Promise<Killed> {
  return new Promise((resolve) => {
    const child = spawnDkeyserv(args);
    let stdout = '';
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    const kill = () => {
      killed = true;
      child.kill('SIGKILL');
    };
    if (!when) timer = setTimeout(kill, ms);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (when && !timer && !killed && when.test(stdout)) {
        if (ms === 0) kill();
        else timer = setTimeout(kill, ms);
      }
    });
    child.stderr.resume();
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout, finished: signal !== 'SIGKILL' && code !== null });
    });
  });
}

/** A leaf lists its elements in the order they came (per key) or sorted (bulk): compare them as a set. */
const HEADER = 5 + 6 * 17;
function canonicalNode(v: Buffer): string {
  if (v[0] !== 1 || v.length <= HEADER) return v.toString('hex');
  const hashes: string[] = [];
  for (let o = HEADER; o < v.length; o += 16) hashes.push(v.subarray(o, o + 16).toString('hex'));
  return v.subarray(0, HEADER).toString('hex') + hashes.sort().join('');
}

/**
 * Every node of every policy's prefix tree (key hex → value hex, a leaf's elements sorted), per
 * policy: the same shape, sizes, svalues and elements.
 */
function treeDump(data: string): Record<string, [string, string][]> {
  const store = KeyStore.open({ path: join(data, 'db'), readOnly: true });
  try {
    const out: Record<string, [string, string][]> = {};
    for (const policy of store.policies) {
      const db = store.openDatabase(`ptree:${policy}`);
      out[policy] = db ? [...db.getRange()].map(({ key, value }) => [Buffer.from(key as Buffer).toString('hex'), canonicalNode(Buffer.from(value))]) : [];
    }
    return out;
  } finally {
    void store.close();
  }
}

/** fsck passes: exit 0 and "consistent" (a stale store says it needs a rebuild, and still passes). */
function expectFsckPasses(data: string): string {
  const f = runSync(['fsck', '--data', data]);
  expect(f.stdout).toMatch(/: consistent/);
  expect(f.code).toBe(0);
  return f.stdout;
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
      await killAt(['import', '--data', data, KEYRING], ms);
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

describe('kill -9 during a bulk import (all four Debian keyrings, 1,178 keys)', () => {
  let dir: string;
  let input: string;
  let reference: string;
  let referenceTrees: Record<string, [string, string][]>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-bulk-'));
    input = join(dir, 'four.gpg');
    writeFileSync(input, Buffer.concat(FOUR.map((f) => readFileSync(f))));
    // the expectation: a clean import that keeps the trees key by key
    reference = join(dir, 'reference');
    const r = runSync(['import', '--trees', 'per-key', '--data', reference, input]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/bulk/);
    referenceTrees = treeDump(reference);
  }, 300_000);
  afterAll(async () => {
    await stopAllReconNodes();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an uninterrupted bulk import builds the same trees as per-key updates, and clears its mark', () => {
    const data = join(dir, 'bulk');
    const r = runSync(['import', '--trees', 'bulk', '--data', data, input]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/prefix trees: bulk mode: marked stale/);
    expect(r.stdout).toMatch(/prefix trees: rebuilt in bulk in/);
    expect(expectFsckPasses(data)).not.toMatch(/need a rebuild/);
    expect(treeDump(data)).toEqual(referenceTrees);
    expect(referenceTrees.sks.length).toBeGreaterThan(1); // the tree has split: a real comparison
  });

  const moments: { name: string; ms: number; when?: RegExp; stale?: boolean }[] = [
    { name: 'after 200 ms', ms: 200 },
    { name: 'just after the first transaction (mark and first keys)', ms: 0, when: /marked stale/, stale: true },
    // small write transactions (--buffer-mib 8: 2 MiB of keys each) keep the import going for
    // well over a second after its first one, so this kill lands between two of them
    { name: 'mid-import', ms: 300, when: /marked stale/, stale: true },
    { name: 'as the final rebuild starts', ms: 0, when: /prefix trees: rebuilding/ },
  ];
  for (const m of moments) {
    test(`killed ${m.name}: fsck passes, a re-run completes, the trees equal a clean build and a pbuild`, async () => {
      const data = join(dir, `k${m.name.replace(/\W+/g, '-')}`);
      const args = ['import', '--trees', 'bulk', '--buffer-mib', '8', '--data', data, input];
      const killed = await killAt(args, m.ms, m.when);
      if (m.stale) expect(killed.finished).toBe(false);
      const f = runSync(['fsck', '--data', data]);
      let wasStale = false;
      if (!/no key store here/.test(f.stderr)) {
        expect(f.stdout).toMatch(/: consistent/);
        expect(f.code).toBe(0);
        wasStale = /prefix trees need a rebuild \(run 'dkeyserv pbuild', or serve does it\)/.test(f.stdout);
        if (wasStale) expect(killed.stdout).toMatch(/marked stale/);
      }
      if (m.stale) expect(wasStale).toBe(true);

      const again = runSync(args);
      expect(again.code).toBe(0);
      if (wasStale) expect(again.stdout).toMatch(/prefix trees: rebuilt in bulk/);
      expect(expectFsckPasses(data)).not.toMatch(/need a rebuild/);
      expect(await storedHashes(data)).toEqual(await storedHashes(reference));
      const trees = treeDump(data);
      expect(trees).toEqual(referenceTrees);
      const copy = `${data}-pbuild`;
      cpSync(data, copy, { recursive: true });
      expect(runSync(['pbuild', '--data', copy]).code).toBe(0);
      expect(treeDump(copy)).toEqual(trees);
    });
  }

  test('a stale store: pbuild clears the mark; per-key writers leave the stale trees alone', async () => {
    const data = join(dir, 'stale-pbuild');
    const killed = await killAt(['import', '--trees', 'bulk', '--data', data, input], 0, /marked stale/);
    expect(killed.finished).toBe(false);
    // a small import into the stale store: it may not update the trees key by key, and owes the rebuild
    const small = runSync(['import', '--trees', 'per-key', '--data', data, FOUR[3]]);
    expect(small.code).toBe(0);
    expect(small.stdout).toMatch(/prefix trees: rebuilt in bulk/);
    expect(expectFsckPasses(data)).not.toMatch(/need a rebuild/);
    // and pbuild on a stale store clears the mark
    const data2 = join(dir, 'stale-pbuild-2');
    expect((await killAt(['import', '--trees', 'bulk', '--data', data2, input], 0, /marked stale/)).finished).toBe(false);
    expect(expectFsckPasses(data2)).toMatch(/need a rebuild/);
    expect(runSync(['pbuild', '--data', data2]).code).toBe(0);
    expect(expectFsckPasses(data2)).not.toMatch(/need a rebuild/);
  });

  test('serve on a store killed mid-import rebuilds the trees before recon, then syncs with a peer', async () => {
    const data = join(dir, 'serve-killed');
    const killed = await killAt(['import', '--trees', 'bulk', '--data', data, input], 500, /marked stale/);
    expect(killed.finished).toBe(false);
    expect(expectFsckPasses(data)).toMatch(/need a rebuild/);
    const [reconA, reconB] = await reservePorts(2);
    // B holds keys A has not got (debian-role-keys were last in the input: the killed import never got there)
    const b = await startReconNode({ label: 'peerB', keys: [FOUR[3], FOUR[2]], reconPort: reconB, gossipInterval: 0 });
    const a = await startReconNode({ label: 'killedA', data, reconPort: reconA, peers: [reconB], gossipInterval: 1 });
    await a.waitForLog((l) => /prefix trees rebuilt/.test(l.message), 30_000);
    const logs = a.logs();
    const rebuilt = logs.findIndex((l) => /prefix trees rebuilt/.test(l.message));
    expect(logs.findIndex((l) => /prefix trees are marked stale/.test(l.message))).toBeLessThan(rebuilt);
    expect(rebuilt).toBeLessThan(logs.findIndex((l) => /^serving HKP/.test(l.message)));
    const want = new Set(await b.hashes());
    await waitUntil(
      async () => {
        const have = new Set(await a.hashes());
        const missing = [...want].filter((h) => !have.has(h)).length;
        return missing === 0 || `${missing} of B's hashes missing on A`;
      },
      { timeoutMs: 90_000, intervalMs: 1000, what: "A holds every key of B" },
    );
    await a.stop();
    await b.stop();
    expect(expectFsckPasses(data)).not.toMatch(/need a rebuild/);
    expect(expectFsckPasses(b.data)).not.toMatch(/need a rebuild/);
  });
});
