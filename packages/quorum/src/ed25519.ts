/**
 * Raw Ed25519 public keys (RFC 8032: 32 bytes) and their text form.
 *
 * A node id is the raw public key. Its text form — printed by `dkeyserv node-id`, written in
 * policy files and proofs — is standard base64 with padding (RFC 4648 §4, 44 characters), the
 * form OpenSSH and minisign users know. Parsing is strict: only the canonical encoding of exactly
 * 32 bytes is accepted, so one key has one spelling.
 */
import { createPublicKey, KeyObject, verify } from 'node:crypto';

export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** DER SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410 §4); the raw key follows. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A KeyObject for a raw 32-byte public key (costs ~0.2 ms: build once per member). */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_KEY_BYTES) throw new RangeError(`an Ed25519 public key has ${ED25519_KEY_BYTES} bytes, not ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The raw 32 bytes of an Ed25519 KeyObject (public or private). */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

export function verifyEd25519(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  return signature.length === ED25519_SIGNATURE_BYTES && verify(null, message, key, signature);
}

/** The text form of a node id: base64 of the 32 raw bytes. */
export function formatNodeId(raw: Uint8Array): string {
  return Buffer.from(raw).toString('base64');
}

/** Parse a node id's text form; undefined unless it is the canonical base64 of 32 bytes. */
export function parseNodeId(text: string): Buffer | undefined {
  const raw = Buffer.from(text, 'base64');
  return raw.length === ED25519_KEY_BYTES && raw.toString('base64') === text ? raw : undefined;
}
