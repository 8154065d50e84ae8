/**
 * Index terms of a key: the lookup keys under which the key's fingerprint is filed.
 * Derived only from what was verified: UIDs their owner signed (certified or revoked) give e-mail
 * and word terms, subkeys likewise give key-ID and fingerprint terms, so a UID or subkey
 * that someone glued onto another person's key never makes that key show up in a search.
 */
import { keyIdentity, KeyValidity, ownerSigned, PublicKey, Tag, uidEmail, uidText, uidWords } from '@dkeyserv/pgp';

export type IndexName = 'fpr' | 'kid64' | 'kid32' | 'email' | 'word';

export const INDEX_NAMES: readonly IndexName[] = ['fpr', 'kid64', 'kid32', 'email', 'word'];

export type KeyTerms = Record<IndexName, Buffer[]>;

export function keyTerms(key: PublicKey, validity: KeyValidity): KeyTerms {
  const terms: KeyTerms = { fpr: [], kid64: [], kid32: [], email: [], word: [] };
  const addKey = (fpr: Buffer, keyId: Buffer) => {
    terms.fpr.push(fpr);
    terms.kid64.push(keyId);
    terms.kid32.push(keyId.subarray(4, 8));
  };
  addKey(key.fingerprint, key.keyId);
  key.subkeys.forEach((c, i) => {
    if (!ownerSigned(validity.subkeys[i])) return;
    try {
      const id = keyIdentity(c.packet.body);
      addKey(id.fingerprint, id.keyId);
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
  terms.email = [...emails].map((e) => Buffer.from(e, 'utf8'));
  terms.word = [...words].map((w) => Buffer.from(w, 'utf8'));
  terms.fpr = uniq(terms.fpr);
  terms.kid64 = uniq(terms.kid64);
  terms.kid32 = uniq(terms.kid32);
  return terms;
}

function uniq(list: Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return list.filter((b) => {
    const k = b.toString('hex');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
