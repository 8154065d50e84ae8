/**
 * The proof bundle for clients (docs/quorum.md §11): the attestations of one key version, checkable
 * offline against a policy file, so no client has to trust the server it asked
 * (`GET /pks/lookup?op=x-quorum`, `dkeyserv verify-quorum`).
 *
 * JSON form:
 *
 * ```json
 * {
 *   "policy": { "name": "example-keyservers", "version": 3, "hash": "<base64 SHA-256>" },
 *   "fingerprint": "<lowercase hex>",
 *   "keyHash": "<lowercase hex SKS hash>",
 *   "packetsSha256": "<base64>",
 *   "attestations": ["<base64 of statement ‖ signature>", …]
 * }
 * ```
 *
 * Fingerprint and SKS hash are in hex, the form users and every other dkeyserv interface give
 * them in (gpg, op=get, hashquery); every other byte string is base64. The policy's name and
 * version are for people: only its hash is checked.
 *
 * The key bytes checked are the stored version's packets — all of them, not the subset HKP serves
 * (UIDs without an owner's signature are withheld there but are part of the SKS hash).
 */
import { parseKey, PgpError, splitPackets } from '@dkeyserv/pgp';
import { MalformedError } from './errors';
import { keyVersionDigests } from './key-digest';
import { QuorumPolicy } from './policy';
import { Attestation, decodeAttestation, encodeAttestation, verifyAttestation } from './statement';
import { KeyVersion } from './store';

export interface QuorumProof {
  policy: { name: string; version: number; hash: Buffer };
  fingerprint: Buffer;
  keyHash: Buffer;
  packetsSha256: Buffer;
  attestations: Attestation[];
}

export interface QuorumProofJson {
  policy: { name: string; version: number; hash: string };
  fingerprint: string;
  keyHash: string;
  packetsSha256: string;
  attestations: string[];
}

export type ProofFailure = 'other-policy' | 'malformed-key' | 'key-mismatch' | 'bad-attestation' | 'too-few-members';

export interface ProofVerdict {
  ok: boolean;
  /** names of the distinct members whose attestations verified, in policy order */
  members: string[];
  reason?: ProofFailure;
  /** one line for people, with `reason` */
  message?: string;
}

/** The proof for an accepted (or pending) version from the attestation store. */
export function makeProof(policy: QuorumPolicy, version: KeyVersion): QuorumProof {
  return {
    policy: { name: policy.name, version: policy.version, hash: policy.hash },
    fingerprint: version.fingerprint,
    keyHash: version.keyHash,
    packetsSha256: version.packetsSha256,
    attestations: version.attestations,
  };
}

export function proofToJson(proof: QuorumProof): QuorumProofJson {
  return {
    policy: { name: proof.policy.name, version: proof.policy.version, hash: proof.policy.hash.toString('base64') },
    fingerprint: proof.fingerprint.toString('hex'),
    keyHash: proof.keyHash.toString('hex'),
    packetsSha256: proof.packetsSha256.toString('base64'),
    attestations: proof.attestations.map((a) => encodeAttestation(a).toString('base64')),
  };
}

const HEX = /^(?:[0-9a-f]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function field(o: Record<string, unknown>, name: string, what: string): unknown {
  if (!(name in o)) throw new MalformedError(`proof: ${what}${name} is missing`);
  return o[name];
}

function bytes(v: unknown, form: 'hex' | 'base64', what: string, lengths?: readonly number[]): Buffer {
  if (typeof v !== 'string' || !(form === 'hex' ? HEX : BASE64).test(v)) throw new MalformedError(`proof: ${what} must be ${form}`);
  const b = Buffer.from(v, form);
  if (lengths && !lengths.includes(b.length)) throw new MalformedError(`proof: ${what} has ${b.length} bytes, expected ${lengths.join(' or ')}`);
  return b;
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedError(`proof: ${what} must be an object`);
  return v as Record<string, unknown>;
}

/** A proof from its parsed JSON (strict; throws MalformedError naming the field). */
export function parseProof(json: unknown): QuorumProof {
  const o = object(json, 'the proof');
  const p = object(field(o, 'policy', ''), 'policy');
  const name = field(p, 'name', 'policy.');
  const version = field(p, 'version', 'policy.');
  if (typeof name !== 'string') throw new MalformedError('proof: policy.name must be a string');
  if (!Number.isSafeInteger(version)) throw new MalformedError('proof: policy.version must be a whole number');
  const list = field(o, 'attestations', '');
  if (!Array.isArray(list)) throw new MalformedError('proof: attestations must be a list');
  return {
    policy: { name, version: version as number, hash: bytes(field(p, 'hash', 'policy.'), 'base64', 'policy.hash', [32]) },
    fingerprint: bytes(field(o, 'fingerprint', ''), 'hex', 'fingerprint', [20, 32]),
    keyHash: bytes(field(o, 'keyHash', ''), 'hex', 'keyHash', [16]),
    packetsSha256: bytes(field(o, 'packetsSha256', ''), 'base64', 'packetsSha256', [32]),
    attestations: list.map((a, i) => {
      const wire = bytes(a, 'base64', `attestations[${i}]`);
      try {
        return decodeAttestation(wire);
      } catch (e) {
        throw e instanceof MalformedError ? new MalformedError(`proof: attestations[${i}]: ${e.message}`) : e;
      }
    }),
  };
}

function fail(reason: ProofFailure, message: string): ProofVerdict {
  return { ok: false, members: [], reason, message };
}

/**
 * Check that `keyBytes` (one key's packets) is the version `proof` names and that at least k
 * distinct members of `policy` attested exactly that version under that policy. Every
 * attestation in the proof must verify: a proof carrying a forged or foreign one is rejected.
 */
export function verifyProof(keyBytes: Buffer, proof: QuorumProof, policy: QuorumPolicy): ProofVerdict {
  if (!proof.policy.hash.equals(policy.hash)) return fail('other-policy', `the proof is for policy ${proof.policy.name} v${proof.policy.version}, not ${policy}`);
  let fingerprint: Buffer;
  let digests;
  try {
    const packets = splitPackets(keyBytes);
    fingerprint = parseKey(packets).fingerprint;
    digests = keyVersionDigests(packets);
  } catch (e) {
    if (e instanceof PgpError) return fail('malformed-key', `the key does not parse: ${e.message}`);
    throw e;
  }
  if (!fingerprint.equals(proof.fingerprint)) return fail('key-mismatch', `the key is ${fingerprint.toString('hex')}, the proof is for ${proof.fingerprint.toString('hex')}`);
  if (!digests.keyHash.equals(proof.keyHash)) return fail('key-mismatch', `the key's SKS hash is ${digests.keyHash.toString('hex')}, the proof is for ${proof.keyHash.toString('hex')}`);
  if (!digests.packetsSha256.equals(proof.packetsSha256)) return fail('key-mismatch', "the key's SHA-256 differs from the proof's");
  const signers = new Set<string>();
  for (const [i, att] of proof.attestations.entries()) {
    const v = verifyAttestation(att, policy);
    if (!v.ok) return fail('bad-attestation', `attestation ${i}: ${v.reason}`);
    const f = v.fields;
    if (!f.fingerprint.equals(proof.fingerprint) || !f.keyHash.equals(proof.keyHash) || !f.packetsSha256.equals(proof.packetsSha256)) {
      return fail('bad-attestation', `attestation ${i} (${v.member.name}) is about another key version`);
    }
    signers.add(f.signer.toString('hex'));
  }
  const members = policy.members.filter((m) => signers.has(m.key.toString('hex'))).map((m) => m.name);
  if (members.length < policy.k) return { ok: false, members, reason: 'too-few-members', message: `${members.length} of ${policy.n} members attested this version; ${policy.k} are needed` };
  return { ok: true, members };
}
