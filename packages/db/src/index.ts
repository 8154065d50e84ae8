/**
 * @dkeyserv/db — the dkeyserv key database on LMDB.
 *
 * The public face (everything else in `src/` is internal):
 * - `KeyStore`: keys by primary fingerprint, lookup indexes (fingerprints, 64/32-bit key IDs,
 *   e-mail, UID words), one hash index per kept recon policy and a change log, written by one
 *   path: `ingest` / `ingestMany` / `commit` (docs/architecture.md §3);
 * - `KeyStoreHooks`, `KeyChange`: work other packages do inside the write transaction
 *   (docs/architecture.md §4);
 * - `prepareKey`, `PreparePool`: the database-free half of ingest, on worker threads for imports;
 *   `prepareMerged` with a `KeyPreparer` does it for uploads and recon (docs/operations.md §13);
 * - `fsck` over the read-only `KeyStoreContents` (docs/operations.md §9);
 * - takedowns: `KeyStore.takeDown` / `undoTakedown` / `applyBlockList`, the tombstones
 *   (`Takedown`), `parseFingerprint`, `checkReason` (docs/operations.md §14);
 * - `Logger`, `silentLogger`, and the errors (`DbError`, `StoreOpenError`).
 * - `PartnerStatus`: a recon partner's status, which recon reports and hkp shows.
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
export { DbError, StoredFormatError, StoreOpenError } from './errors';
export { silentLogger, type Logger } from './logger';
export type { ChangeLogEntry, KeyRecord, StoredView } from './record';
export type { IndexName } from './terms';
export type { PartnerStatus } from './partner-status';
export { KeyStore } from './store';
export type { IngestResult, IngestStatus, KeyChange, KeyRemoval, KeyStoreContents, KeyStoreHooks, KeyStoreOptions, TakedownResult, UndoResult, ViewChange } from './store';
export { checkReason, MAX_REASON_CHARS, parseFingerprint, TakedownError, takedownMessage, type Takedown, type TakedownSource } from './takedown';
export { isRejection, prepareKey, type PreparedKey, type PrepareOptions, type Rejection } from './prepare';
export { PreparePool } from './prepare-pool';
export { inlinePreparer, prepareMerged, type KeyPreparer } from './prepare-merged';
export { fsck, type FsckProblem, type FsckReport } from './fsck';
