/**
 * The view of a stored key that indexes and web pages show: everything a person or gpg's index
 * parser wants to know, computed from the stored record without any cryptography (validity was
 * recorded at ingest).
 */
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { keyIdentity, ownerSigned, publicKeyInfo, Tag } from '@dkeyserv/pgp';

export interface UidView {
  /** UID text (UTF-8), or "[User Attribute]" */
  text: string;
  isAttribute: boolean;
  /** has a valid self-certification */
  valid: boolean;
  revoked: boolean;
  /** the owner certified or revoked it: served and indexed */
  served: boolean;
  /** creation of the newest valid self-certification, seconds since the epoch */
  created?: number;
  /** signatures on this UID (self and third-party) */
  signatures: number;
}

export interface SubkeyView {
  fingerprint: string;
  keyId: string;
  algo: number;
  bits: number;
  created: number;
  /** absolute expiry, seconds since the epoch */
  expires?: number;
  valid: boolean;
  revoked: boolean;
  /** the owner bound or revoked it: served and indexed */
  served: boolean;
}

export interface KeyView {
  /** upper-case hex */
  fingerprint: string;
  keyId: string;
  version: number;
  algo: number;
  bits: number;
  created: number;
  /** absolute expiry from the newest valid self-signature, seconds since the epoch */
  expires?: number;
  revoked: boolean;
  expired: boolean;
  uids: UidView[];
  subkeys: SubkeyView[];
  /** SKS key hash, lower-case hex */
  hash: string;
  /** ms since the epoch */
  firstSeen: number;
  modified: number;
  /** false when the owner signed no UID: nothing of the key is served */
  servable: boolean;
}

export const ALGO_NAMES: Record<number, string> = {
  1: 'RSA',
  2: 'RSA-E',
  3: 'RSA-S',
  16: 'Elgamal',
  17: 'DSA',
  18: 'ECDH',
  19: 'ECDSA',
  20: 'Elgamal',
  22: 'EdDSA',
  25: 'X25519',
  26: 'X448',
  27: 'Ed25519',
  28: 'Ed448',
};

export function keyView(store: KeyStore, record: KeyRecord, now = Date.now() / 1000): KeyView {
  const key = store.parseRecord(record);
  const info = publicKeyInfo(key.primary.body);
  const v = record.validity;
  // key expiration comes from the newest valid UID self-signature (RFC 9580 §5.2.3.13)
  let newest: { created: number; keyExpires?: number } | undefined;
  for (const u of v.uids) if (u.valid && u.created !== undefined && (!newest || u.created > newest.created)) newest = { created: u.created, keyExpires: u.keyExpires };
  const expires = newest?.keyExpires ? info.created + newest.keyExpires : info.v3ValidDays ? info.created + info.v3ValidDays * 86400 : undefined;
  const uids: UidView[] = key.uids.map((c, i) => ({
    text: c.packet.tag === Tag.UserId ? c.packet.body.toString('utf8') : '[User Attribute]',
    isAttribute: c.packet.tag !== Tag.UserId,
    valid: v.uids[i]?.valid ?? false,
    revoked: v.uids[i]?.revoked ?? false,
    served: ownerSigned(v.uids[i]),
    created: v.uids[i]?.created,
    signatures: c.sigs.length,
  }));
  const subkeys: SubkeyView[] = key.subkeys.map((c, i) => {
    const si = publicKeyInfo(c.packet.body);
    let fpr = '';
    let kid = '';
    try {
      const id = keyIdentity(c.packet.body);
      fpr = id.fingerprint.toString('hex').toUpperCase();
      kid = id.keyId.toString('hex').toUpperCase();
    } catch {
      // unreadable subkey packet: shown without identity
    }
    const ke = v.subkeys[i]?.keyExpires;
    return { fingerprint: fpr, keyId: kid, algo: si.algo, bits: si.bits, created: si.created, expires: ke ? si.created + ke : undefined, valid: v.subkeys[i]?.valid ?? false, revoked: v.subkeys[i]?.revoked ?? false, served: ownerSigned(v.subkeys[i]) };
  });
  return {
    fingerprint: key.fingerprint.toString('hex').toUpperCase(),
    keyId: key.keyId.toString('hex').toUpperCase(),
    version: key.version,
    algo: info.algo,
    bits: info.bits,
    created: info.created,
    expires,
    revoked: v.revoked,
    expired: expires !== undefined && expires < now,
    uids,
    subkeys,
    hash: Buffer.from(record.hash).toString('hex'),
    firstSeen: record.firstSeen,
    modified: record.modified,
    servable: uids.some((u) => u.served && !u.isAttribute),
  };
}
