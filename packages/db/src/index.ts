/**
 * @dkeyserv/db — the dkeyserv key database on LMDB.
 *
 * Keys by primary fingerprint, lookup indexes (fingerprints, 64/32-bit key IDs, e-mail, UID
 * words), the SKS hash set and a change log, written by one path: `ingest`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { splitKeyring, isKeyringError } from '@dkeyserv/pgp';
 * import { KeyStore, fsck } from '@dkeyserv/db';
 * const store = KeyStore.open({ path: './data' });
 * for (const entry of splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))) {
 *   if (!isKeyringError(entry)) console.log(store.ingest(entry.packets));
 * }
 * console.log(store.count(), fsck(store).problemCount);
 * await store.close();
 * ```
 */
export * from './errors';
export * from './logger';
export * from './record';
export * from './terms';
export * from './prepare';
export * from './prepare-pool';
export * from './store';
export * from './fsck';
