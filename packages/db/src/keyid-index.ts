/**
 * The one stored index of key IDs and fingerprints, `idx-keyid` (docs/architecture.md §7): an
 * entry per (key ID, primary key, component) with everything in its LMDB key and an empty value:
 *
 * ```
 * key ID bytes 4..8 | key ID bytes 0..4 | u8 length of the primary fingerprint | primary fingerprint | subkey fingerprint (subkeys only)
 * ```
 *
 * A 32-bit key ID (the low half of the 64-bit one) is thus a 4-byte prefix and a 64-bit key ID an
 * 8-byte prefix: both are range scans. A fingerprint lookup asks the keys database for a primary
 * key and scans the fingerprint's key ID for subkeys (a v4 key ID is the last 8 bytes of the
 * fingerprint, a v6 one the first 8; a v3 key ID comes from the RSA modulus, so a v3 subkey is
 * found by its key IDs only).
 */
import { StoredFormatError } from './errors';
import { KeyIdTerm } from './terms';

/** The LMDB key of one entry: the key ID of `term`, filed under primary key `primary`. */
export function keyIdEntry(term: KeyIdTerm, primary: Buffer): Buffer {
  const sub = term.fpr.equals(primary) ? undefined : term.fpr;
  return Buffer.concat([keyIdPrefix(term.keyId), Buffer.from([primary.length]), primary, ...(sub ? [sub] : [])]);
}

export interface KeyIdEntry {
  keyId: Buffer;
  primary: Buffer;
  /** the subkey's fingerprint; absent for the primary key's own entry */
  subkey?: Buffer;
}

/** Decode an entry's LMDB key; throws StoredFormatError on damaged bytes. */
export function parseKeyIdEntry(key: Buffer): KeyIdEntry {
  const n = key.length >= 9 ? key[8] : -1;
  if (n < 1 || key.length < 9 + n) throw new StoredFormatError(`key-ID index entry ${key.toString('hex')} is malformed`);
  const keyId = Buffer.concat([key.subarray(4, 8), key.subarray(0, 4)]);
  const primary = Buffer.from(key.subarray(9, 9 + n));
  return key.length > 9 + n ? { keyId, primary, subkey: Buffer.from(key.subarray(9 + n)) } : { keyId, primary };
}

/** The range-scan prefix of a 64-bit key ID (8 bytes) or a 32-bit one (4 bytes, its low half). */
export function keyIdPrefix(keyId: Buffer): Buffer {
  if (keyId.length === 4) return keyId;
  return Buffer.concat([keyId.subarray(4, 8), keyId.subarray(0, 4)]);
}

/** The 64-bit key ID a fingerprint implies (v4: its last 8 bytes, v6: its first 8), if any. */
export function keyIdOfFingerprint(fpr: Buffer): Buffer | undefined {
  if (fpr.length === 20) return fpr.subarray(12);
  if (fpr.length === 32) return fpr.subarray(0, 8);
  return undefined;
}
