/**
 * Keeping the prefix tree equal to the key store (DESIGN.md §2): the store calls these hooks
 * inside the write transaction of every key change; `pbuild` rebuilds the tree from the store.
 */
import type { KeyStore, KeyStoreHooks } from '@dkeyserv/db';
import { PrefixTree, PTreeParams, SKS_PTREE_PARAMS } from './prefix-tree';

/** The store's prefix tree, kept current by its ingest hook from now on. */
export function attachPrefixTree(store: KeyStore, params: PTreeParams = SKS_PTREE_PARAMS): PrefixTree {
  const db = store.openDatabase('ptree');
  if (!db) throw new Error('cannot attach a prefix tree to a read-only store');
  const tree = new PrefixTree(db, params);
  store.addHooks(prefixTreeHooks(tree));
  return tree;
}

export function prefixTreeHooks(tree: PrefixTree): KeyStoreHooks {
  return {
    onKeyChanged(change) {
      if (change.oldHash) tree.remove(change.oldHash);
      tree.insert(change.newHash);
    },
  };
}

/** Rebuild the tree from every hash in the store (pbuild), in one transaction. */
export function rebuildPrefixTree(store: KeyStore, tree: PrefixTree): number {
  const hashes = [...store.hashes()];
  return store.transaction(() => tree.rebuild(hashes));
}

/**
 * fsck for the tree: its invariants hold and its element set is exactly the store's hash set.
 */
export function checkPrefixTree(store: KeyStore, tree: PrefixTree): string[] {
  let elements = 0;
  const stray: string[] = [];
  const problems = tree.check((h) => {
    elements++;
    if (!store.getByHash(h) && stray.length < 100) stray.push(`element ${h.toString('hex')} is in the prefix tree but no key has that hash`);
  });
  problems.push(...stray);
  const keys = store.count();
  if (elements !== keys) problems.push(`prefix tree holds ${elements} elements, the store ${keys} keys`);
  return problems;
}
