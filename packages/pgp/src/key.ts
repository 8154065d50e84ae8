/**
 * Transferable public keys (RFC 9580 §10.1) in the grammar SKS accepts
 * (docs/sks-key-hash.md §3, SKS keyMerge.ml):
 *
 *   KEY     := pubkey SIG* (UID SIG*)* (SUBKEY SIG*)*      (no subkeys on v2/v3 keys)
 *   UID     := user-id | user-attribute
 *
 * Anything else (another packet type, a subkey before a UID, secret material) does not fit.
 */
import { KeyStructureError } from './errors';
import { keyIdentity } from './fingerprint';
import { Packet, Tag } from './packet';

export interface KeyComponent {
  /** a User ID, User Attribute or public-subkey packet */
  packet: Packet;
  /** the signatures that follow it */
  sigs: Packet[];
}

export interface PublicKey {
  primary: Packet;
  version: number;
  fingerprint: Buffer;
  keyId: Buffer;
  /** signatures directly on the primary key (direct-key sigs, key revocations) */
  directSigs: Packet[];
  /** User IDs (tag 13) and User Attributes (tag 17), in order */
  uids: KeyComponent[];
  subkeys: KeyComponent[];
}

/** Parse one key's packet list. Throws KeyStructureError if it does not fit the grammar. */
export function parseKey(packets: readonly Packet[]): PublicKey {
  if (packets.length === 0) throw new KeyStructureError('empty', 'no packets');
  const primary = packets[0];
  if (primary.tag !== Tag.PublicKey) {
    if (primary.tag === Tag.SecretKey || primary.tag === Tag.SecretSubkey) {
      throw new KeyStructureError('secret-key', 'secret key material is never accepted');
    }
    if (primary.tag === Tag.Signature) {
      throw new KeyStructureError('standalone-signature', 'a signature (such as a revocation certificate) without its key');
    }
    throw new KeyStructureError('no-primary-key', `key starts with packet type ${primary.tag}, not a public key`);
  }
  const id = keyIdentity(primary.body);
  const key: PublicKey = {
    primary,
    version: id.version,
    fingerprint: id.fingerprint,
    keyId: id.keyId,
    directSigs: [],
    uids: [],
    subkeys: [],
  };
  let i = 1;
  while (i < packets.length && packets[i].tag === Tag.Signature) key.directSigs.push(packets[i++]);
  while (i < packets.length && (packets[i].tag === Tag.UserId || packets[i].tag === Tag.UserAttribute)) {
    const c: KeyComponent = { packet: packets[i++], sigs: [] };
    while (i < packets.length && packets[i].tag === Tag.Signature) c.sigs.push(packets[i++]);
    key.uids.push(c);
  }
  while (i < packets.length && packets[i].tag === Tag.PublicSubkey && id.version >= 4) {
    const c: KeyComponent = { packet: packets[i++], sigs: [] };
    while (i < packets.length && packets[i].tag === Tag.Signature) c.sigs.push(packets[i++]);
    key.subkeys.push(c);
  }
  if (i < packets.length) {
    const t = packets[i].tag;
    const what =
      t === Tag.SecretKey || t === Tag.SecretSubkey
        ? 'secret key material'
        : t === Tag.UserId || t === Tag.UserAttribute
          ? 'a User ID after the subkeys'
          : t === Tag.PublicSubkey
            ? 'a subkey on a v3 key'
            : `packet type ${t}`;
    throw new KeyStructureError(t === Tag.SecretKey || t === Tag.SecretSubkey ? 'secret-key' : 'bad-structure', `unexpected ${what} at packet ${i}`);
  }
  return key;
}

/** The key's packets in canonical order: primary, direct sigs, UIDs with sigs, subkeys with sigs. */
export function flattenKey(key: PublicKey): Packet[] {
  const out: Packet[] = [key.primary, ...key.directSigs];
  for (const c of key.uids) out.push(c.packet, ...c.sigs);
  for (const c of key.subkeys) out.push(c.packet, ...c.sigs);
  return out;
}

/** Number of packets in a key. */
export function packetCount(key: PublicKey): number {
  let n = 1 + key.directSigs.length;
  for (const c of key.uids) n += 1 + c.sigs.length;
  for (const c of key.subkeys) n += 1 + c.sigs.length;
  return n;
}
