import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { encodePacket, flattenKey, keyIdentity, normalizeKey } from '@dkeyserv/pgp';
import { fsck, KeyChange, KeyStore, StoredFormatError, StoreOpenError } from '@dkeyserv/db';
import { roleKeys } from './role-keys';

/**
 * Test-only access to a store's databases, to damage them on purpose: its LMDB environment opened
 * directly with the lmdb package, with the named databases as the store lays them out
 * (`keys`, `idx-keyid`, `idx-<email|word>`, `hash:<policy>`, `meta`), while the store is closed.
 * The store itself hands out no writable database.
 */
function openRaw(path: string) {
  const env = open({ path, maxDbs: 32, compression: false });
  return {
    keys: () => env.openDB<Buffer, Buffer>({ name: 'keys', keyEncoding: 'binary', encoding: 'binary' }),
    keyIdIndex: () => env.openDB<Buffer, Buffer>({ name: 'idx-keyid', keyEncoding: 'binary', encoding: 'binary' }),
    index: (name: string) => env.openDB<Buffer, Buffer>({ name: `idx-${name}`, keyEncoding: 'binary', encoding: 'binary', dupSort: true }),
    hashIndex: (policy: string) => env.openDB<Buffer, Buffer>({ name: `hash:${policy}`, keyEncoding: 'binary', encoding: 'binary' }),
    meta: () => env.openDB<unknown, string>({ name: 'meta' }),
    close: () => env.close(),
  };
}

/** The LMDB key of a primary key's own entry in `idx-keyid` (packages/db/src/keyid-index.ts). */
function primaryKeyIdEntry(keyId: Buffer, fpr: Buffer): Buffer {
  return Buffer.concat([keyId.subarray(4), keyId.subarray(0, 4), Buffer.from([fpr.length]), fpr]);
}

describe('KeyStore on real LMDB', () => {
  let dir: string;
  let store: KeyStore;
  const changes: KeyChange[] = [];
  let clock = 1_000_000;

  const openStore = () => KeyStore.open({ path: dir, hooks: { onKeyChanged: (c) => changes.push(c) }, now: () => clock });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-db-'));
    store = openStore();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const keys = roleKeys();

  test('ingest stores every key with its indexes, once', () => {
    const results = store.ingestMany(keys);
    expect(results.every((r) => r.status === 'new')).toBe(true);
    expect(store.count()).toBe(keys.length);
    expect(changes).toHaveLength(keys.length);
    expect(changes.every((c) => c.oldHash === undefined)).toBe(true);
    expect(store.ingestMany(keys).every((r) => r.status === 'unchanged')).toBe(true);
    expect([...store.changes()]).toHaveLength(keys.length);
    expect([...store.changes()].every(([, e]) => !e.updated && e.time === clock && store.get(e.fpr) !== undefined)).toBe(true);
  });

  test('lookups by fingerprint, key IDs, e-mail and word find the key', () => {
    const key = normalizeKey(keys[0]);
    const fpr = key.fingerprint;
    expect(store.get(fpr)?.fpr.equals(fpr)).toBe(true);
    expect(store.lookup('kid64', key.keyId)).toEqual([fpr]);
    expect(store.lookup('kid32', key.keyId.subarray(4))).toEqual([fpr]);
    expect(store.lookup('fpr', fpr)).toEqual([fpr]);
    expect(store.lookup('fpr', Buffer.alloc(20, 7))).toEqual([]);
    expect(store.lookup('kid64', Buffer.alloc(8, 7))).toEqual([]);
    for (const sub of key.subkeys) {
      const id = keyIdentity(sub.packet.body);
      expect(store.lookup('fpr', id.fingerprint)).toEqual([fpr]);
      expect(store.lookup('kid64', id.keyId)).toEqual([fpr]);
      expect(store.lookup('kid32', id.keyId.subarray(4)).some((f) => f.equals(fpr))).toBe(true);
    }
    const rec = store.get(fpr)!;
    expect(store.getByHash(rec.hash)?.record.fpr.equals(fpr)).toBe(true);
    const uid = key.uids.find((c, i) => c.packet.tag === 13 && rec.validity.uids[i].valid)!;
    const email = /<([^>]+)>/.exec(uid.packet.body.toString())![1].toLowerCase();
    expect(store.lookup('email', Buffer.from(email)).some((f) => f.equals(fpr))).toBe(true);
    const word = email.split('@')[0].split(/[^a-z0-9]/)[0];
    if (word.length >= 2) expect(store.lookup('word', Buffer.from(word)).some((f) => f.equals(fpr))).toBe(true);
    const [h0, h1] = [...store.hashes()];
    expect(Buffer.compare(h0, h1)).toBeLessThan(0);
  });

  test('an update merges, replaces the hash and logs old → new', () => {
    clock += 1000;
    const key = normalizeKey(keys[0]);
    const before = store.get(key.fingerprint)!;
    // a third-party-looking signature the store has not seen: merged in, changes the hash
    const extra = encodePacket(2, Buffer.concat([Buffer.from([4, 0x10, 1, 8, 0, 0, 0, 0, 0, 0]), Buffer.from('x')]));
    const incoming = [key.primary, key.uids[0].packet, extra];
    const r = store.ingest(incoming);
    expect(r.status).toBe('updated');
    expect(r.oldHash).toBe(before.hash.toString('hex'));
    const after = store.get(key.fingerprint)!;
    expect(after.hash.equals(before.hash)).toBe(false);
    expect(after.firstSeen).toBe(before.firstSeen);
    expect(after.modified).toBe(clock);
    expect(store.getByHash(before.hash)).toBeUndefined();
    expect(normalizeKey(flattenKey(store.parseRecord(after))).uids[0].sigs.some((s) => s.body.equals(extra.body))).toBe(true);
    const last = changes[changes.length - 1];
    expect(last.oldHash?.equals(before.hash)).toBe(true);
    const [[seq, entry]] = store.recentChanges();
    expect(seq).toBe(store.changeSeq());
    expect(entry).toEqual({ time: clock, fpr: key.fingerprint, updated: true });
    expect(fsck(store).problemCount).toBe(0);
  });

  test('rejections carry a reason and write nothing', () => {
    const n = store.count();
    const r = store.ingest([encodePacket(5, Buffer.from([4, 0, 0, 0, 0, 22]))]);
    expect(r).toMatchObject({ status: 'rejected', reason: 'secret-key' });
    expect(store.count()).toBe(n);
  });

  test('the read-only contents fsck reads agree with the store', () => {
    const stored = [...store.storedRecords()];
    expect(stored).toHaveLength(store.count());
    expect(stored.every((s) => 'record' in s && s.fpr.equals(s.record.fpr))).toBe(true);
    const entries = [...store.hashIndexEntries('sks')];
    expect(entries.map((e) => e.hash)).toEqual([...store.hashes('sks')]);
    for (const { hash, fpr } of entries) expect(store.hashIndexOwner('sks', hash)?.equals(fpr)).toBe(true);
    const keyIds = [...store.indexEntries('keyid')];
    expect(keyIds.length).toBeGreaterThanOrEqual(store.count());
    for (const { key } of keyIds) {
      const keyId = Buffer.concat([key.subarray(4, 8), key.subarray(0, 4)]);
      const primary = key.subarray(9, 9 + key[8]);
      expect(store.lookup('kid64', keyId).some((f) => f.equals(primary))).toBe(true);
      expect(store.hasIndexEntry('keyid', { key, value: Buffer.alloc(0) })).toBe(true);
    }
    expect(() => [...store.hashIndexEntries('hockeypuck')]).toThrow(StoreOpenError);
  });

  test('fsck finds a missing index entry, a stray one and a stale hash', async () => {
    await store.close();
    const raw = openRaw(dir);
    const key = normalizeKey(keys[1]);
    expect(raw.keyIdIndex().removeSync(primaryKeyIdEntry(key.keyId, key.fingerprint))).toBe(true);
    raw.index('email').putSync(Buffer.from('nobody@example.org'), key.fingerprint);
    raw.hashIndex('sks').putSync(Buffer.alloc(16, 0xab), key.fingerprint);
    await raw.close();
    store = openStore();
    const report = fsck(store);
    const text = report.problems.map((p) => p.what).join('\n');
    expect(text).toMatch(/missing keyid index entry [0-9a-f]{16} \(primary key\)/);
    expect(text).toMatch(/stray email index entry/);
    expect(text).toMatch(/hash index entry is stale/);
  });

  test('fsck reports a record whose bytes do not decode; get throws a typed error', async () => {
    await store.close();
    const raw = openRaw(dir);
    const fpr = normalizeKey(keys[2]).fingerprint;
    const good = raw.keys().get(fpr)!;
    raw.keys().putSync(fpr, good.subarray(0, 20));
    await raw.close();
    store = openStore();
    expect(() => store.get(fpr)).toThrow(StoredFormatError);
    const text = fsck(store).problems.map((p) => `${p.subject}: ${p.what}`).join('\n');
    expect(text).toMatch(new RegExp(`${fpr.toString('hex')}: stored record does not decode: .*truncated`));
    await store.close();
    const raw2 = openRaw(dir);
    raw2.keys().putSync(fpr, good);
    await raw2.close();
    store = openStore();
    expect(store.get(fpr)?.packets.length).toBeGreaterThan(0);
  });

  test('a store of another schema version is refused with what to do', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'dks-db-'));
    await KeyStore.open({ path: d2 }).close();
    const raw = openRaw(d2);
    raw.meta().putSync('schema', 2);
    await raw.close();
    expect(() => KeyStore.open({ path: d2 })).toThrow(/schema 2 is not supported \(expected 3\): dump it/);
    rmSync(d2, { recursive: true, force: true });
  });

  test('a store keeps the recon policies it was created with; asking for others is refused', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'dks-db-'));
    const s2 = KeyStore.open({ path: d2, policies: ['sks', 'hockeypuck'] });
    await s2.close();
    const s3 = KeyStore.open({ path: d2 });
    expect(s3.policies).toEqual(['sks', 'hockeypuck']);
    await s3.close();
    expect(() => KeyStore.open({ path: d2, policies: ['sks'] })).toThrow(/keeps recon policies sks, hockeypuck, not sks/);
    expect(() => KeyStore.open({ path: d2, policies: ['hockeypuck', 'sks'] })).not.toThrow();
    rmSync(d2, { recursive: true, force: true });
  });
});
