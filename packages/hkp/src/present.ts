/**
 * What is served of a stored key (issue: "Keys or UIDs without any valid self-signature are not
 * served"). The store keeps every packet (SKS hashes need them); HKP serves the primary key, its
 * direct signatures, the UIDs/User Attributes and subkeys the owner signed — a valid
 * certification or binding, or a valid self-revocation, so clients learn of revocations — each
 * with all its signatures. A key with no such UID is not served at all
 * (gpg rejects keys without a User ID, docs/hkp.md §5, §9).
 */
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { flattenKey, hasServedUserId, joinPackets, ownerSigned, PublicKey } from '@dkeyserv/pgp';

/** The servable form of a stored key, or undefined if nothing of it may be served. */
export function presentKey(store: KeyStore, record: KeyRecord): PublicKey | undefined {
  const key = store.parseRecord(record);
  if (!hasServedUserId(key, record.validity)) return undefined;
  return {
    ...key,
    uids: key.uids.filter((_, i) => ownerSigned(record.validity.uids[i])),
    subkeys: key.subkeys.filter((_, i) => ownerSigned(record.validity.subkeys[i])),
  };
}

/** Served bytes of a stored key, or undefined (see presentKey). */
export function presentedBytes(store: KeyStore, record: KeyRecord): Buffer | undefined {
  const key = presentKey(store, record);
  return key ? joinPackets(flattenKey(key)) : undefined;
}
