/** Opening the key store for a command, with the user-facing error of a bad data directory. */
import { KeyStore, StoreOpenError } from '@dkeyserv/db';
import { DEFAULT_POLICIES, KeyLimits, ReconPolicyName } from '@dkeyserv/pgp';
import { attachPrefixTrees, openPrefixTrees, PrefixTree, prefixTreesStale, rebuildPrefixTrees } from '@dkeyserv/recon';
import { QuorumError, QuorumPolicy } from '@dkeyserv/quorum';
import { openQuorum, QuorumNode } from './quorum-node';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors';
import { logger } from './logger';

/** The key store lives in DATA/db (LMDB); DATA also holds the node's other state. */

/** The store with its recon prefix trees; every writer keeps them current through the ingest hook. */
export interface OpenStore {
  store: KeyStore;
  /** one per kept recon policy (a read-only store that never had one lacks it: `pbuild`) */
  trees: Map<ReconPolicyName, PrefixTree>;
  /** quorum mode: this node's attestations (signed for every stored key version), the accepted view */
  quorum?: QuorumNode;
}

/**
 * `policies`: those configured; a new store keeps them (default: DEFAULT_POLICIES), an existing one
 * must keep exactly those (unset: whatever it keeps).
 */
export interface OpenOptions {
  readOnly?: boolean;
  mustExist?: boolean;
  bulkLoad?: boolean;
  limits?: KeyLimits;
  quorum?: QuorumPolicy;
  policies?: readonly ReconPolicyName[];
  /**
   * The config's block list (`[policy] blocked`, docs/operations.md §14): a writable open takes
   * these down and, with `liftUnlisted` (the servers), undoes the config takedowns no longer
   * listed. Unset: they are left as they are (pbuild, delete).
   */
  blocked?: readonly { fpr: Buffer; reason: string }[];
  liftUnlisted?: boolean;
  /**
   * Leave prefix trees marked stale as they are (import: it rebuilds them at its end). Otherwise
   * a writable open rebuilds them first, with a log line (docs/recon.md §5a): serve, db, recon,
   * pbuild never work on a stale tree.
   */
  keepStaleTrees?: boolean;
}

export function openStore(dataDir: string, opts: OpenOptions = {}): OpenStore {
  const path = join(dataDir, 'db');
  checkDataDir(dataDir);
  if (opts.mustExist || opts.readOnly) requireStore(dataDir);
  try {
    const exists = existsSync(join(path, 'data.mdb'));
    const policies = opts.policies ?? (exists ? undefined : DEFAULT_POLICIES);
    const store = KeyStore.open({ path, readOnly: opts.readOnly, bulkLoad: opts.bulkLoad, limits: opts.limits, logger: logger('db'), policies });
    let trees: Map<ReconPolicyName, PrefixTree>;
    let quorum: QuorumNode | undefined;
    if (!opts.readOnly) {
      trees = attachPrefixTrees(store);
      if (!opts.keepStaleTrees && prefixTreesStale(store)) {
        const log = logger('recon');
        log.info('prefix trees are marked stale (an import was interrupted or is running): rebuilding them before use');
        const t0 = Date.now();
        const counts = rebuildPrefixTrees(store, trees);
        log.info(`prefix trees rebuilt in ${((Date.now() - t0) / 1000).toFixed(2)} s: ${[...counts].map(([p, n]) => `${p} ${n}`).join(', ')} elements`);
      }
      if (opts.blocked) {
        const r = store.applyBlockList(opts.blocked, opts.liftUnlisted ?? false);
        if (r.added || r.lifted) logger('db').info(`[policy] blocked: ${r.added} keys taken down, ${r.lifted} no longer listed and restored`);
      }
      if (opts.quorum) quorum = openQuorum(store, dataDir, opts.quorum);
    } else trees = openPrefixTrees(store);
    return { store, trees, quorum };
  } catch (e) {
    if (e instanceof StoreOpenError || e instanceof QuorumError) throw new CliError(e.message);
    throw e;
  }
}

/** A data directory that exists must be a directory, and so must its `db` (docs/operations.md §2). */
export function checkDataDir(dataDir: string): void {
  for (const p of [dataDir, join(dataDir, 'db')]) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new CliError(`${p}: not a directory (--data names the data directory, which holds the key store in db/)`);
  }
}

/** Refuses a data directory without a key store: only `import` and `serve --init` create one. */
export function requireStore(dataDir: string, hint = `run 'dkeyserv import --data ${dataDir} FILE' first`): void {
  checkDataDir(dataDir);
  if (!existsSync(join(dataDir, 'db', 'data.mdb'))) throw new CliError(`${dataDir}: no key store here (${hint})`);
}

/** Open the store, run `fn` on it, and close the store however `fn` ends. */
export async function withStore<T>(dataDir: string, opts: OpenOptions, fn: (open: OpenStore) => T | Promise<T>): Promise<T> {
  const open = openStore(dataDir, opts);
  try {
    return await fn(open);
  } finally {
    await open.store.close();
  }
}
