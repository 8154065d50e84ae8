/**
 * The stored lookup indexes and the entries a key puts in them (docs/architecture.md §7):
 * `idx-keyid` (key IDs and fingerprints, keyid-index.ts) with every term in its LMDB key, and
 * `idx-email`, `idx-word`: term → key references (duplicate values). The store writes, and
 * fsck expects, exactly {@link indexEntriesOf}.
 *
 * A key reference is the first {@link KEY_REF_BYTES} bytes of the primary fingerprint, which the
 * keys database resolves by a range scan: 96 bits, so a key that shares them with another could
 * only be made with about 2^96 attempts (and would then be found too, never lost).
 */
import { StoredFormatError } from './errors';
import { keyIdEntry, parseKeyIdEntry } from './keyid-index';
import { KeyTerms } from './terms';

export type StoredIndex = 'keyid' | 'email' | 'word';

export const STORED_INDEXES: readonly StoredIndex[] = ['keyid', 'email', 'word'];

/** An entry as stored: LMDB key and value. */
export interface IndexEntry {
  key: Buffer;
  value: Buffer;
}

const EMPTY = Buffer.alloc(0);

export const KEY_REF_BYTES = 12;

/** How the email, word and hash indexes refer to the key with this primary fingerprint. */
export function keyRef(fpr: Buffer): Buffer {
  return fpr.subarray(0, KEY_REF_BYTES);
}

/** The entries of a key with primary fingerprint `primary` and these terms, per stored index. */
export function indexEntriesOf(terms: KeyTerms, primary: Buffer): Record<StoredIndex, IndexEntry[]> {
  return {
    keyid: terms.keyIds.map((t) => ({ key: keyIdEntry(t, primary), value: EMPTY })),
    email: terms.email.map((key) => ({ key, value: keyRef(primary) })),
    word: terms.word.map((key) => ({ key, value: keyRef(primary) })),
  };
}

/** The primary fingerprint (keyid) or key reference a stored entry files its term under; throws StoredFormatError if damaged. */
export function entryOwner(index: StoredIndex, e: IndexEntry): Buffer {
  if (index === 'keyid') return parseKeyIdEntry(e.key).primary;
  if (e.value.length === 0) throw new StoredFormatError(`${index} index entry ${e.key.toString('hex')} has no fingerprint`);
  return e.value;
}

/** A stored entry in words, for fsck's reports. */
export function describeEntry(index: StoredIndex, e: IndexEntry): string {
  if (index !== 'keyid') return `${index} index entry '${e.key.toString('utf8')}'`;
  try {
    const { keyId, subkey } = parseKeyIdEntry(e.key);
    return `keyid index entry ${keyId.toString('hex')} (${subkey ? `subkey ${subkey.toString('hex')}` : 'primary key'})`;
  } catch {
    return `keyid index entry ${e.key.toString('hex')}`;
  }
}
