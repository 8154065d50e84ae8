/**
 * Index terms of a key: the lookup keys under which the key's fingerprint is filed.
 * Derived only from what was verified: UIDs their owner signed (certified or revoked) give e-mail
 * and word terms, subkeys likewise give key-ID and fingerprint terms, so a UID or subkey
 * that someone glued onto another person's key never makes that key show up in a search.
 */
import { keyIdentity, KeyValidity, ownerSigned, PublicKey, Tag, uidEmail, uidText, uidWords } from '@dkeyserv/pgp';

/** What a lookup asks for (`KeyStore.lookup`); fingerprints and both key-ID lengths share one stored index. */
export type IndexName = 'fpr' | 'kid64' | 'kid32' | 'email' | 'word';

/** One key-ID term: a key's (primary's or subkey's) 64-bit key ID and its fingerprint. */
export interface KeyIdTerm {
  keyId: Buffer;
  fpr: Buffer;
}

export interface KeyTerms {
  /** the primary key first, then each owner-signed subkey */
  keyIds: KeyIdTerm[];
  email: Buffer[];
  word: Buffer[];
}

export function keyTerms(key: PublicKey, validity: KeyValidity): KeyTerms {
  const keyIds: KeyIdTerm[] = [{ keyId: key.keyId, fpr: key.fingerprint }];
  const seen = new Set([key.keyId.toString('hex') + key.fingerprint.toString('hex')]);
  key.subkeys.forEach((c, i) => {
    if (!ownerSigned(validity.subkeys[i])) return;
    try {
      const id = keyIdentity(c.packet.body);
      const k = id.keyId.toString('hex') + id.fingerprint.toString('hex');
      if (seen.has(k)) return;
      seen.add(k);
      keyIds.push({ keyId: id.keyId, fpr: id.fingerprint });
    } catch {
      // an unreadable subkey packet is stored (SKS does) but never indexed
    }
  });
  const emails = new Set<string>();
  const words = new Set<string>();
  key.uids.forEach((c, i) => {
    if (c.packet.tag !== Tag.UserId || !ownerSigned(validity.uids[i])) return;
    const text = uidText(c.packet.body);
    const email = uidEmail(text);
    if (email) emails.add(email);
    for (const w of uidWords(text)) words.add(w);
  });
  return {
    keyIds,
    email: [...emails].map((e) => Buffer.from(e, 'utf8')),
    word: [...words].map((w) => Buffer.from(w, 'utf8')),
  };
}
