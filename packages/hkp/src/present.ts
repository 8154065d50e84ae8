/**
 * What is served of a stored key (issue: "Keys or UIDs without any valid self-signature are not
 * served"). The store keeps every packet (SKS hashes need them); HKP serves the primary key, its
 * direct signatures, the UIDs/User Attributes and subkeys the owner signed — a valid
 * certification or binding, or a valid self-revocation, so clients learn of revocations — each
 * with all its signatures. A key with no such UID is not served at all
 * (gpg rejects keys without a User ID, spec/landscape.md §1.11).
 */
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { flattenKey, joinPackets, ownerSigned, Packet, PublicKey } from '@dkeyserv/pgp';

export interface Presented {
  key: PublicKey;
  /** the packets served */
  packets: Packet[];
  /** UIDs and subkeys withheld, with why */
  withheld: string[];
}

/** The servable form of a stored key, or undefined if nothing of it may be served. */
export function presentKey(store: KeyStore, record: KeyRecord): Presented | undefined {
  const key = store.parseRecord(record);
  const withheld: string[] = [];
  const uids = key.uids.filter((c, i) => {
    if (ownerSigned(record.validity.uids[i])) return true;
    withheld.push(`${c.packet.tag === 13 ? 'User ID' : 'User Attribute'} ${c.packet.tag === 13 ? JSON.stringify(c.packet.body.toString('utf8')) : `#${i}`}: no valid self-signature`);
    return false;
  });
  if (!uids.some((c) => c.packet.tag === 13)) return undefined;
  const subkeys = key.subkeys.filter((c, i) => {
    if (ownerSigned(record.validity.subkeys[i])) return true;
    withheld.push(`subkey #${i}: no valid binding signature`);
    return false;
  });
  const served: PublicKey = { ...key, uids, subkeys };
  return { key: served, packets: flattenKey(served), withheld };
}

/** Served bytes of a stored key, or undefined (see presentKey). */
export function presentedBytes(store: KeyStore, record: KeyRecord): Buffer | undefined {
  const p = presentKey(store, record);
  return p ? joinPackets(p.packets) : undefined;
}
