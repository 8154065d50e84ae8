/**
 * The prefix tree on real LMDB: the svalue vectors of vectors.ts, split/join invariants under
 * random inserts and removes, and the store hook keeping the tree equal to the key store.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from '@dkeyserv/db';
import { encodePacket, isKeyringError, splitKeyring } from '@dkeyserv/pgp';
import { attachPrefixTrees, Bitstring, checkPrefixTree, markPrefixTreesStale, openPrefixTrees, PrefixTree, prefixTreesStale, rebuildPrefixTree, rebuildPrefixTrees, ZZp } from '../src/index';
import { JUST_ONE_KEY, SV_A } from './vectors';

const md5 = (s: string) => createHash('md5').update(s).digest();

describe('prefix tree', () => {
  let dir: string;
  let store: KeyStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-ptree-'));
    store = KeyStore.open({ path: dir });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const freshTree = (name: string) => new PrefixTree(store.openDatabase(name)!);

  test('root svalues of one element (conflux TestJustOneKey)', () => {
    const tree = freshTree('t1');
    store.transaction(() => tree.insert(ZZp.elementToHash(JUST_ONE_KEY.element)));
    expect(tree.node(Bitstring.EMPTY)!.svalues).toEqual(JUST_ONE_KEY.svalues);
  });

  test('root svalues of {d1..d5} (vectors.ts)', () => {
    const tree = freshTree('t2');
    store.transaction(() => ['1', '2', '3', '4', '5'].forEach((i) => tree.insert(md5(i))));
    expect(tree.node(Bitstring.EMPTY)!.svalues).toEqual(SV_A);
  });

  test('random inserts and removes keep every invariant; removing all returns to an empty leaf', () => {
    const tree = freshTree('t3');
    const hashes = Array.from({ length: 3000 }, (_, i) => md5(`e${i}`));
    store.transaction(() => hashes.forEach((h) => expect(tree.insert(h)).toBe(true)));
    expect(store.transaction(() => tree.insert(hashes[0]))).toBe(false);
    const seen = new Set<string>();
    expect(tree.check((h) => seen.add(h.toString('hex')))).toEqual([]);
    expect(seen.size).toBe(3000);
    expect(tree.node(Bitstring.EMPTY)!.leaf).toBe(false);
    // every leaf holds at most 50
    const leaves = (p: Bitstring): number[] => {
      const n = tree.node(p)!;
      return n.leaf ? [n.hashes.length] : p.children().flatMap(leaves);
    };
    expect(Math.max(...leaves(Bitstring.EMPTY))).toBeLessThanOrEqual(50);
    store.transaction(() => hashes.slice(0, 2990).forEach((h) => expect(tree.remove(h)).toBe(true)));
    expect(tree.check(() => {})).toEqual([]);
    expect(tree.node(Bitstring.EMPTY)!.leaf).toBe(true);
    store.transaction(() => hashes.slice(2990).forEach((h) => tree.remove(h)));
    const root = tree.node(Bitstring.EMPTY)!;
    expect(root.size).toBe(0);
    expect(root.svalues.every((s) => s === 1n)).toBe(true);
    expect(store.transaction(() => tree.remove(hashes[0]))).toBe(false);
  });

  test('a bulk rebuild gives the tree incremental inserts give', () => {
    const a = freshTree('t4');
    const b = freshTree('t5');
    const hashes = Array.from({ length: 2000 }, (_, i) => md5(`r${i}`));
    store.transaction(() => hashes.forEach((h) => a.insert(h)));
    expect(store.transaction(() => b.rebuild([...hashes, hashes[0]]))).toBe(2000);
    expect(b.check(() => {})).toEqual([]);
    const shape = (t: PrefixTree, p: Bitstring): string => {
      const n = t.node(p)!;
      return `${p.toString()}:${n.size}:${n.leaf}:${n.svalues.join(',')}` + (n.leaf ? '' : p.children().map((c) => shape(t, c)).join('|'));
    };
    expect(shape(b, Bitstring.EMPTY)).toBe(shape(a, Bitstring.EMPTY));
  });

  test('the ingest hook keeps the tree equal to the store; pbuild rebuilds the same tree', () => {
    const tree = attachPrefixTrees(store).get('sks')!;
    const keys = [...splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))].map((e) => (isKeyringError(e) ? [] : e.packets));
    store.ingestMany(keys);
    expect(checkPrefixTree(store, tree, 'sks')).toEqual([]);
    // an update replaces the old hash by the new one
    const k = keys[0];
    const extra = encodePacket(2, Buffer.concat([Buffer.from([4, 0x10, 1, 8, 0, 0, 0, 0, 0, 0]), Buffer.from('y')]));
    expect(store.ingest([k[0], k[1], extra]).status).toBe('updated');
    expect(checkPrefixTree(store, tree, 'sks')).toEqual([]);
    const root = tree.node(Bitstring.EMPTY)!;
    expect(rebuildPrefixTree(store, tree, 'sks')).toBe(store.count());
    expect(tree.node(Bitstring.EMPTY)!.svalues).toEqual(root.svalues);
    // a tree that lost an element is caught
    store.transaction(() => tree.remove(store.hashes().next().value as Buffer));
    expect(checkPrefixTree(store, tree, 'sks').join('\n')).toMatch(/sks prefix tree holds \d+ elements, the store \d+ sks hashes/);
  });

  test('while the store marks the trees stale the hook leaves them alone; rebuildPrefixTrees rebuilds and clears the mark in one transaction', () => {
    // (the previous test attached the hooks to this store)
    const trees = openPrefixTrees(store);
    const tree = trees.get('sks')!;
    rebuildPrefixTrees(store, trees);
    expect(checkPrefixTree(store, tree, 'sks')).toEqual([]);
    const before = tree.node(Bitstring.EMPTY)!;
    const keys = [...splitKeyring(readFileSync('/usr/share/keyrings/debian-nonupload.gpg'))].map((e) => (isKeyringError(e) ? [] : e.packets)).slice(0, 5);
    // the mark joins the transaction of the first keys (as in a bulk import)
    store.transaction(() => {
      markPrefixTreesStale(store);
      expect(store.ingestMany(keys).every((r) => r.status === 'new')).toBe(true);
    });
    expect(prefixTreesStale(store)).toBe(true);
    expect(tree.node(Bitstring.EMPTY)!.size).toBe(before.size);
    // an aborted transaction takes the mark with it
    const other = KeyStore.open({ path: join(dir, 'other') });
    try {
      expect(() =>
        other.transaction(() => {
          markPrefixTreesStale(other);
          throw new Error('killed');
        }),
      ).toThrow('killed');
      expect(prefixTreesStale(other)).toBe(false);
    } finally {
      void other.close();
    }
    const counts = rebuildPrefixTrees(store, trees);
    expect(counts.get('sks')).toBe(store.count());
    expect(prefixTreesStale(store)).toBe(false);
    expect(checkPrefixTree(store, tree, 'sks')).toEqual([]);
    expect(tree.node(Bitstring.EMPTY)!.size).toBe(before.size + 5);
  });
});
