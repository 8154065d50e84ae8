/** Opening the key store for a command, with the user-facing error of a bad data directory. */
import { KeyStore, StoreOpenError } from '@dkeyserv/db';
import { KeyLimits } from '@dkeyserv/pgp';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors';
import { logger } from './logger';

/** The key store lives in DATA/db (LMDB); DATA also holds the node's other state. */

export function openStore(dataDir: string, opts: { readOnly?: boolean; mustExist?: boolean; bulkLoad?: boolean; limits?: KeyLimits } = {}): KeyStore {
  const path = join(dataDir, 'db');
  if ((opts.mustExist || opts.readOnly) && !existsSync(join(path, 'data.mdb'))) {
    throw new CliError(`${dataDir}: no key store here (run 'dkeyserv import --data ${dataDir} FILE' first)`);
  }
  try {
    return KeyStore.open({ path, readOnly: opts.readOnly, bulkLoad: opts.bulkLoad, limits: opts.limits, logger: logger('db') });
  } catch (e) {
    if (e instanceof StoreOpenError) throw new CliError(e.message);
    throw e;
  }
}
