/**
 * Preparing keys for `KeyStore.commit` off the event loop (docs/operations.md §13): the uploads
 * and recovered recon keys of a serving process go to a KeyPreparer (a PreparePool of worker
 * threads), and the main thread does only what is linear and cheap.
 *
 * A key the store already holds is merged with its stored version first (parse and merge, no
 * cryptography), and the merge is what gets prepared: `commit` then finds its work done and
 * checks no signature again (store.ts, `write`).
 */
import { flattenKey, joinPackets, keyIdentity, mergeKeys, Packet, PgpError, samePacket } from '@dkeyserv/pgp';
import { PreparedKey, prepareKeyBytes, normalizeForStore, PrepareOptions, Rejection } from './prepare';
import type { KeyStore } from './store';

/** What prepares keys (each one key's packet bytes): a PreparePool, or inline. */
export interface KeyPreparer {
  prepare(keys: readonly Buffer[]): Promise<(PreparedKey | Rejection)[]>;
}

/** A KeyPreparer on the calling thread (tests, tools): the same answers, on the event loop. */
export function inlinePreparer(opts: PrepareOptions): KeyPreparer {
  return { prepare: async (keys) => keys.map((k) => prepareKeyBytes(k, opts)) };
}

/** Prepare `list` (one key's packets each) with `preparer`, each merged with its stored version. */
export function prepareMerged(store: KeyStore, preparer: KeyPreparer, list: readonly (readonly Packet[])[]): Promise<(PreparedKey | Rejection)[]> {
  return preparer.prepare(list.map((packets) => mergedBytes(store, packets)));
}

/** The key's bytes merged with its stored version, or as they are (no stored version, or unreadable: the preparer says why). */
function mergedBytes(store: KeyStore, packets: readonly Packet[]): Buffer {
  try {
    const stored = packets.length > 0 ? store.get(keyIdentity(packets[0].body).fingerprint) : undefined;
    if (stored) {
      const old = store.parseRecord(stored);
      const key = normalizeForStore(packets, store.prepareOptions);
      // a version adding nothing merges to the stored one: prepare it alone, commit finds it unchanged
      const merged = samePacket(old.primary, key.primary) ? mergeKeys(old, key) : old;
      if (merged !== old) return joinPackets(flattenKey(merged));
    }
  } catch (e) {
    if (!(e instanceof PgpError)) throw e;
  }
  return joinPackets(packets as Packet[]);
}
