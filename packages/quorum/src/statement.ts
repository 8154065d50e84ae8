/**
 * The attestation statement (docs/quorum.md §4): "member `signer`, under policy `policyHash`, validated
 * this version of key `fingerprint` at `timestamp`", signed with Ed25519.
 *
 * Canonical encoding (big-endian, every field present, lengths explicit):
 *
 * | field          | encoding                                         |
 * |----------------|--------------------------------------------------|
 * | domain tag     | u8 18 ‖ `dkeyserv/attest/v1`                     |
 * | signer         | 32 bytes: the member's raw Ed25519 public key    |
 * | fingerprint    | u8 length (20: v4, 32: v5/v6) ‖ the fingerprint  |
 * | keyHash        | 16 bytes: SKS key hash (MD5)                     |
 * | packetsSha256  | 32 bytes: key-digest.ts                          |
 * | policyHash     | 32 bytes: policy.ts                              |
 * | timestamp      | u64: ms since the epoch                          |
 *
 * The signature is over these bytes as they are; the domain tag keeps them from being mistaken for
 * any other signed message. An attestation travels as statement ‖ signature (64 bytes), which
 * is self-delimiting; its id, the element of the attestation set that peers reconcile, is the
 * first 16 bytes of SHA-256 over those bytes (the recon engine works on 16-byte elements).
 */
import { createHash } from 'node:crypto';
import { ByteReader, ByteWriter } from './encoding';
import { ED25519_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './ed25519';
import { MalformedError } from './errors';
import { NodeIdentity } from './identity';
import { PolicyMember, QuorumPolicy } from './policy';

export const ATTEST_DOMAIN = 'dkeyserv/attest/v1';
/** fingerprint lengths a statement may carry: v4 (SHA-1) and v5/v6 (SHA-256); v3's MD5 never */
export const FINGERPRINT_LENGTHS: readonly number[] = [20, 32];
export const KEY_HASH_BYTES = 16;
export const SHA256_BYTES = 32;
export const ATTESTATION_ID_BYTES = 16;

const DOMAIN = Buffer.from(ATTEST_DOMAIN);

export interface StatementFields {
  /** the attesting member's node id */
  signer: Buffer;
  /** primary key fingerprint */
  fingerprint: Buffer;
  /** SKS key hash of the version */
  keyHash: Buffer;
  /** SHA-256 of the version's packets (key-digest.ts) */
  packetsSha256: Buffer;
  policyHash: Buffer;
  /** ms since the epoch */
  timestamp: number;
}

/** The fields a signer fills in: everything but its own id. */
export type UnsignedStatement = Omit<StatementFields, 'signer'>;

export interface Attestation {
  /** the canonical statement bytes */
  statement: Buffer;
  /** Ed25519 signature of `signer` over `statement` */
  signature: Buffer;
}

/** Why an attestation does not count: dropped and counted by the store. */
export type DropReason = 'malformed' | 'other-policy' | 'not-a-member' | 'bad-signature';

export type Verification = { ok: true; fields: StatementFields; member: PolicyMember } | { ok: false; reason: DropReason };

function checkLength(b: Uint8Array, n: number, field: string) {
  if (b.length !== n) throw new MalformedError(`statement: ${field} has ${b.length} bytes, expected ${n}`);
}

export function encodeStatement(f: StatementFields): Buffer {
  checkLength(f.signer, ED25519_KEY_BYTES, 'signer');
  if (!FINGERPRINT_LENGTHS.includes(f.fingerprint.length)) throw new MalformedError(`statement: a fingerprint of ${f.fingerprint.length} bytes cannot be attested`);
  checkLength(f.keyHash, KEY_HASH_BYTES, 'keyHash');
  checkLength(f.packetsSha256, SHA256_BYTES, 'packetsSha256');
  checkLength(f.policyHash, SHA256_BYTES, 'policyHash');
  if (!Number.isSafeInteger(f.timestamp) || f.timestamp < 0) throw new MalformedError(`statement: timestamp ${f.timestamp} is not a whole number of ms ≥ 0`);
  return new ByteWriter()
    .bytes8(DOMAIN)
    .fixed(f.signer)
    .bytes8(f.fingerprint)
    .fixed(f.keyHash)
    .fixed(f.packetsSha256)
    .fixed(f.policyHash)
    .u64(f.timestamp)
    .finish();
}

function readStatement(r: ByteReader): StatementFields {
  const domain = r.bytes8('domain tag', [DOMAIN.length]);
  if (!domain.equals(DOMAIN)) throw new MalformedError('statement: not a dkeyserv/attest/v1 statement');
  return {
    signer: r.fixed(ED25519_KEY_BYTES, 'signer'),
    fingerprint: r.bytes8('fingerprint', FINGERPRINT_LENGTHS),
    keyHash: r.fixed(KEY_HASH_BYTES, 'keyHash'),
    packetsSha256: r.fixed(SHA256_BYTES, 'packetsSha256'),
    policyHash: r.fixed(SHA256_BYTES, 'policyHash'),
    timestamp: r.u64('timestamp'),
  };
}

/** Decode statement bytes strictly (throws MalformedError): exact lengths, nothing after. */
export function decodeStatement(bytes: Buffer): StatementFields {
  const r = new ByteReader(bytes, 'statement');
  const f = readStatement(r);
  r.end();
  return f;
}

/** Sign a statement as `identity` (the signer field is the identity's node id). */
export function signStatement(identity: NodeIdentity, fields: UnsignedStatement): Attestation {
  const statement = encodeStatement({ ...fields, signer: identity.id });
  return { statement, signature: identity.sign(statement) };
}

/** Check an attestation against a policy: cheap checks first, the signature last. */
export function verifyAttestation(att: Attestation, policy: QuorumPolicy): Verification {
  let fields: StatementFields;
  try {
    fields = decodeStatement(att.statement);
  } catch (e) {
    if (e instanceof MalformedError) return { ok: false, reason: 'malformed' };
    throw e;
  }
  if (att.signature.length !== ED25519_SIGNATURE_BYTES) return { ok: false, reason: 'malformed' };
  if (!fields.policyHash.equals(policy.hash)) return { ok: false, reason: 'other-policy' };
  const member = policy.member(fields.signer);
  if (!member) return { ok: false, reason: 'not-a-member' };
  if (!policy.verifySignature(fields.signer, att.statement, att.signature)) return { ok: false, reason: 'bad-signature' };
  return { ok: true, fields, member };
}

/** statement ‖ signature: the wire and storage form. */
export function encodeAttestation(att: Attestation): Buffer {
  return Buffer.concat([att.statement, att.signature]);
}

/** Decode statement ‖ signature strictly (throws MalformedError). */
export function decodeAttestation(bytes: Buffer): Attestation {
  const r = new ByteReader(bytes, 'attestation');
  readStatement(r);
  const statement = Buffer.from(bytes.subarray(0, r.offset));
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  r.end();
  return { statement, signature };
}

/**
 * The attestation's 16-byte id, its element in the attestation set: SHA-256 of the statement
 * alone. A signer can make many valid signatures of one statement (Ed25519 signing is
 * deterministic only by convention); they all say the same, so they are one element and the
 * set still converges between peers that keep different ones.
 */
export function attestationId(att: Attestation): Buffer {
  return createHash('sha256').update(att.statement).digest().subarray(0, ATTESTATION_ID_BYTES);
}
