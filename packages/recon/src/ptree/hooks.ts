/**
 * Keeping the prefix trees equal to the key store (docs/architecture.md §4, docs/recon.md §5): one
 * tree per kept recon policy (docs/recon-policies.md), holding that policy's view hashes; the
 * store calls these hooks inside the write transaction of every key change; `pbuild` rebuilds the
 * trees from the store.
 *
 * Bulk imports (docs/recon.md §5a): the store's mark `ptree-stale` says the trees are out of date.
 * While it is set the hooks leave the trees alone (a writer cannot make a stale tree worse), and
 * {@link rebuildPrefixTrees} rebuilds every tree and clears the mark in one transaction.
 */
import type { KeyStore, KeyStoreHooks, ViewChange } from '@dkeyserv/db';
import type { ReconPolicyName } from '@dkeyserv/pgp';
import { PrefixTree, PTreeParams, SKS_PTREE_PARAMS } from './prefix-tree';

/** The store mark (`KeyStore.hasMark`) saying every prefix tree must be rebuilt before use. */
export const PTREE_STALE_MARK = 'ptree-stale';

/** Whether the store's prefix trees are marked out of date (a bulk import ran or was killed). */
export function prefixTreesStale(store: KeyStore): boolean {
  return store.hasMark(PTREE_STALE_MARK);
}

/**
 * Mark the trees out of date (inside the caller's write transaction: a bulk import does it in
 * the transaction of its first keys). From then on the hooks skip the trees.
 */
export function markPrefixTreesStale(store: KeyStore): void {
  store.setMark(PTREE_STALE_MARK, true);
}

/** The LMDB database of a policy's tree. */
function treeDatabase(policy: ReconPolicyName): string {
  return `ptree:${policy}`;
}

/** Each kept policy's prefix tree, kept current by the store's ingest hook from now on. */
export function attachPrefixTrees(store: KeyStore, params: PTreeParams = SKS_PTREE_PARAMS): Map<ReconPolicyName, PrefixTree> {
  const trees = new Map<ReconPolicyName, PrefixTree>();
  for (const policy of store.policies) {
    const db = store.openDatabase(treeDatabase(policy));
    if (!db) throw new Error('cannot attach a prefix tree to a read-only store');
    trees.set(policy, new PrefixTree(db, params));
  }
  store.addHooks(prefixTreeHooks(trees, store));
  return trees;
}

/** The trees of a read-only store (those it has; a store that never had one gives none). */
export function openPrefixTrees(store: KeyStore, params: PTreeParams = SKS_PTREE_PARAMS): Map<ReconPolicyName, PrefixTree> {
  const trees = new Map<ReconPolicyName, PrefixTree>();
  for (const policy of store.policies) {
    const db = store.openDatabase(treeDatabase(policy));
    if (db) trees.set(policy, new PrefixTree(db, params));
  }
  return trees;
}

/**
 * The ingest hook; with `store`, it skips the trees while the store marks them stale. A key taken
 * down (docs/operations.md §14) leaves every tree: its hashes are never offered in recon again.
 */
export function prefixTreeHooks(trees: ReadonlyMap<ReconPolicyName, PrefixTree>, store?: KeyStore): KeyStoreHooks {
  const apply = (views: readonly ViewChange[]) => {
    if (store?.hasMark(PTREE_STALE_MARK)) return;
    for (const v of views) {
      const tree = trees.get(v.policy);
      if (!tree || (v.oldHash && v.newHash && v.oldHash.equals(v.newHash))) continue;
      if (v.oldHash) tree.remove(v.oldHash);
      if (v.newHash) tree.insert(v.newHash);
    }
  };
  return {
    onKeyChanged: (change) => apply(change.views),
    onKeyRemoved: (removal) => apply(removal.views),
  };
}

/** Rebuild a policy's tree from every hash the store holds for it (pbuild), in one transaction. */
export function rebuildPrefixTree(store: KeyStore, tree: PrefixTree, policy: ReconPolicyName): number {
  const hashes = [...store.hashes(policy)];
  return store.transaction(() => tree.rebuild(hashes));
}

/**
 * Rebuild every policy's tree from the store's hashes and clear the stale mark, all in one write
 * transaction (the hashes are read inside it, so no other writer can slip in between). Returns
 * the elements per policy.
 */
export function rebuildPrefixTrees(store: KeyStore, trees: ReadonlyMap<ReconPolicyName, PrefixTree>): Map<ReconPolicyName, number> {
  return store.transaction(() => {
    const counts = new Map<ReconPolicyName, number>();
    for (const [policy, tree] of trees) counts.set(policy, tree.rebuild([...store.hashes(policy)]));
    if (trees.size === store.policies.length) store.setMark(PTREE_STALE_MARK, false);
    return counts;
  });
}

/**
 * fsck for a policy's tree: its invariants hold and its element set is exactly the store's hash
 * set of that policy.
 */
export function checkPrefixTree(store: KeyStore, tree: PrefixTree, policy: ReconPolicyName): string[] {
  let elements = 0;
  const stray: string[] = [];
  const problems = tree.check((h) => {
    elements++;
    if (!store.getByHash(h, policy) && stray.length < 100) stray.push(`element ${h.toString('hex')} is in the ${policy} prefix tree but no key has that ${policy} hash`);
  });
  problems.push(...stray);
  const keys = store.hashCount(policy);
  if (elements !== keys) problems.push(`the ${policy} prefix tree holds ${elements} elements, the store ${keys} ${policy} hashes`);
  return problems;
}
