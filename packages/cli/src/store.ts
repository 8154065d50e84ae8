/** Opening the key store for a command, with the user-facing error of a bad data directory. */
import { KeyStore, StoreOpenError } from '@dkeyserv/db';
import { KeyLimits } from '@dkeyserv/pgp';
import { attachPrefixTree, PrefixTree } from '@dkeyserv/recon';
import { QuorumError, QuorumPolicy } from '@dkeyserv/quorum';
import { openQuorum, QuorumNode } from './quorum-node';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors';
import { logger } from './logger';

/** The key store lives in DATA/db (LMDB); DATA also holds the node's other state. */

/** The store with its recon prefix tree; every writer keeps the tree current through the ingest hook. */
export interface OpenStore {
  store: KeyStore;
  /** absent only in a read-only store that never had one (before `pbuild`) */
  tree?: PrefixTree;
  /** quorum mode: this node's attestations (signed for every stored key version), the accepted view */
  quorum?: QuorumNode;
}

export function openStore(dataDir: string, opts: { readOnly?: boolean; mustExist?: boolean; bulkLoad?: boolean; limits?: KeyLimits; quorum?: QuorumPolicy } = {}): OpenStore {
  const path = join(dataDir, 'db');
  if ((opts.mustExist || opts.readOnly) && !existsSync(join(path, 'data.mdb'))) {
    throw new CliError(`${dataDir}: no key store here (run 'dkeyserv import --data ${dataDir} FILE' first)`);
  }
  try {
    const store = KeyStore.open({ path, readOnly: opts.readOnly, bulkLoad: opts.bulkLoad, limits: opts.limits, logger: logger('db') });
    let tree: PrefixTree | undefined;
    let quorum: QuorumNode | undefined;
    if (!opts.readOnly) {
      tree = attachPrefixTree(store);
      if (opts.quorum) quorum = openQuorum(store, dataDir, opts.quorum);
    } else {
      const db = store.openDatabase('ptree');
      tree = db && new PrefixTree(db);
    }
    return { store, tree, quorum };
  } catch (e) {
    if (e instanceof StoreOpenError || e instanceof QuorumError) throw new CliError(e.message);
    throw e;
  }
}
