/** Opening the key store for a command, with the user-facing error of a bad data directory. */
import { KeyStore, StoreOpenError } from '@dkeyserv/db';
import { KeyLimits } from '@dkeyserv/pgp';
import { attachPrefixTree, PrefixTree } from '@dkeyserv/recon';
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
}

export function openStore(dataDir: string, opts: { readOnly?: boolean; mustExist?: boolean; bulkLoad?: boolean; limits?: KeyLimits } = {}): OpenStore {
  const path = join(dataDir, 'db');
  if ((opts.mustExist || opts.readOnly) && !existsSync(join(path, 'data.mdb'))) {
    throw new CliError(`${dataDir}: no key store here (run 'dkeyserv import --data ${dataDir} FILE' first)`);
  }
  try {
    const store = KeyStore.open({ path, readOnly: opts.readOnly, bulkLoad: opts.bulkLoad, limits: opts.limits, logger: logger('db') });
    let tree: PrefixTree | undefined;
    if (!opts.readOnly) tree = attachPrefixTree(store);
    else {
      const db = store.openDatabase('ptree');
      tree = db && new PrefixTree(db);
    }
    return { store, tree };
  } catch (e) {
    if (e instanceof StoreOpenError) throw new CliError(e.message);
    throw e;
  }
}
