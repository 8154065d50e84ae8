/**
 * Takedowns on a real LMDB store (docs/operations.md §14): a removed key leaves the store, its
 * indexes and hashes; the write path refuses it from then on (reason `blocked`); undo restores the
 * removed version; the config's block list is applied and lifted; fsck passes throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeKey } from '@dkeyserv/pgp';
import { checkReason, fsck, KeyRemoval, KeyStore, parseFingerprint, TakedownError } from '@dkeyserv/db';
import { roleKeys } from './role-keys';

describe('takedowns', () => {
  let dir: string;
  let store: KeyStore;
  const removals: KeyRemoval[] = [];
  const keys = roleKeys();
  const target = normalizeKey(keys[0]);
  const fpr = target.fingerprint;
  const other = normalizeKey(keys[1]).fingerprint;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-takedown-'));
    store = KeyStore.open({ path: dir, policies: ['sks', 'hockeypuck'], hooks: { onKeyRemoved: (r) => removals.push(r) } });
    expect(store.ingestMany(keys).every((r) => r.status === 'new')).toBe(true);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('delete removes the key, its indexes and hashes, and logs the removal', () => {
    const record = store.get(fpr)!;
    const seq = store.changeSeq();
    const hashesBefore = store.hashCount('sks');
    expect(store.takeDown([fpr], '  legal request 2026-17  ')).toEqual([{ fpr: fpr.toString('hex'), status: 'removed' }]);
    expect(store.get(fpr)).toBeUndefined();
    expect(store.lookup('kid64', target.keyId)).toEqual([]);
    expect(store.lookup('fpr', fpr)).toEqual([]);
    expect(store.getByHash(Buffer.from(record.hash))).toBeUndefined();
    expect(store.hashCount('sks')).toBe(hashesBefore - 1);
    expect([...store.hashes('sks')].some((h) => h.equals(Buffer.from(record.hash)))).toBe(false);
    expect(store.changeSeq()).toBe(seq + 1);
    const [, entry] = [...store.changes(seq)][0];
    expect(entry).toMatchObject({ updated: true, removed: true });
    expect(removals).toHaveLength(1);
    expect(removals[0].views.map((v) => v.policy).sort()).toEqual(['hockeypuck', 'sks']);
    expect(removals[0].views.every((v) => v.newHash === undefined)).toBe(true);
    const t = store.takedown(fpr)!;
    expect(t).toMatchObject({ reason: 'legal request 2026-17', source: 'operator' });
    expect(t.record?.hash.equals(record.hash)).toBe(true);
    expect(store.takedownByHash(Buffer.from(record.hash))?.fpr.equals(fpr)).toBe(true);
    expect(store.takedownCount()).toBe(1);
  });

  test('every write of the key is refused with reason blocked; others are not', () => {
    const [again, neighbour] = store.ingestMany([keys[0], keys[1]]);
    expect(again).toMatchObject({ status: 'rejected', reason: 'blocked' });
    expect(again.message).toBe(`key ${fpr.toString('hex').toUpperCase()} was removed from this server: legal request 2026-17`);
    expect(neighbour.status).toBe('unchanged');
    expect(store.get(fpr)).toBeUndefined();
    expect(store.takeDown([fpr], 'twice')).toEqual([{ fpr: fpr.toString('hex'), status: 'already' }]);
  });

  test('fsck passes on a store with a removed key', () => {
    const r = fsck(store);
    expect(r.problems).toEqual([]);
    expect(r.takedowns).toBe(1);
    expect(r.keys).toBe(keys.length - 1);
  });

  test('undo restores the removed version with its hashes and first-seen time', () => {
    const t = store.takedown(fpr)!;
    const [u] = store.undoTakedown([fpr]);
    expect(u).toMatchObject({ status: 'restored', result: { status: 'new' } });
    const back = store.get(fpr)!;
    expect(back.hash.equals(t.record!.hash)).toBe(true);
    expect(back.packets.equals(t.record!.packets)).toBe(true);
    expect(back.firstSeen).toBe(t.record!.firstSeen);
    expect(store.getByHash(Buffer.from(back.hash))?.record.fpr.equals(fpr)).toBe(true);
    expect(store.lookup('kid64', target.keyId)).toEqual([fpr]);
    expect(store.takedown(fpr)).toBeUndefined();
    expect(store.takedownByHash(Buffer.from(back.hash))).toBeUndefined();
    expect(store.undoTakedown([fpr])).toEqual([{ fpr: fpr.toString('hex'), status: 'not-taken-down' }]);
    expect(fsck(store).problems).toEqual([]);
  });

  test('blocking a key not stored keeps it out; undo lifts the block and lets it in', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'dks-takedown-'));
    const s2 = KeyStore.open({ path: d2 });
    try {
      expect(s2.takeDown([fpr], 'abuse')).toEqual([{ fpr: fpr.toString('hex'), status: 'blocked' }]);
      expect(s2.ingest(keys[0])).toMatchObject({ status: 'rejected', reason: 'blocked' });
      expect(fsck(s2).problems).toEqual([]);
      expect(s2.undoTakedown([fpr])[0].status).toBe('unblocked');
      expect(s2.ingest(keys[0]).status).toBe('new');
    } finally {
      await s2.close();
      rmSync(d2, { recursive: true, force: true });
    }
  });

  test('the config block list is applied and, once unlisted, lifted unless told not to (operator takedowns stay)', () => {
    store.takeDown([other], 'by the operator');
    expect(store.applyBlockList([{ fpr, reason: 'config entry' }, { fpr: other, reason: 'config too' }])).toEqual({ added: 1, lifted: 0 });
    expect(store.takedown(fpr)).toMatchObject({ source: 'config', reason: 'config entry' });
    expect(store.takedown(other)?.source).toBe('operator');
    expect(store.get(fpr)).toBeUndefined();
    expect(store.applyBlockList([{ fpr, reason: 'config entry' }])).toEqual({ added: 0, lifted: 0 });
    expect(store.applyBlockList([], false)).toEqual({ added: 0, lifted: 0 });
    expect(store.get(fpr)).toBeUndefined();
    expect(store.applyBlockList([])).toEqual({ added: 0, lifted: 1 });
    expect(store.get(fpr)).toBeDefined();
    expect(store.takedown(other)?.source).toBe('operator');
    expect(fsck(store).problems).toEqual([]);
  });

  test('fsck finds a taken-down key that is stored again behind the write path', () => {
    // (only a damaged store can hold both: the tombstone is written first, then the record put back raw)
    const d3 = mkdtempSync(join(tmpdir(), 'dks-takedown-'));
    const s3 = KeyStore.open({ path: d3 });
    try {
      s3.takeDown([fpr], 'x');
      (s3 as unknown as { takedownDb: { removeSync(k: Buffer): void } }).takedownDb.removeSync(fpr);
      s3.ingest(keys[0]);
      s3.transaction(() => (s3 as unknown as { takedownDb: { putSync(k: Buffer, v: Buffer): void } }).takedownDb.putSync(fpr, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0x78])));
      expect(fsck(s3).problems).toEqual([{ subject: fpr.toString('hex'), what: 'taken down but still stored' }]);
    } finally {
      void s3.close().then(() => rmSync(d3, { recursive: true, force: true }));
    }
  });

  test('reasons and fingerprints are checked, with one-line errors', () => {
    expect(() => checkReason('   ')).toThrow(TakedownError);
    expect(() => checkReason('two\nlines')).toThrow('one line of printable text');
    expect(() => checkReason('x'.repeat(201))).toThrow('over the limit of 200');
    expect(() => checkReason('rtl \u202e override')).toThrow(TakedownError);
    expect(parseFingerprint('0x' + fpr.toString('hex').toUpperCase()).equals(fpr)).toBe(true);
    expect(() => parseFingerprint('DEADBEEF')).toThrow('not a key fingerprint: "DEADBEEF" (expected 32, 40 or 64 hex digits)');
    expect(() => store.takeDown([fpr], '')).toThrow(TakedownError);
  });
});
