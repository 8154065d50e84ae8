/**
 * Verify one signature with node:crypto (RFC 9580 §5.2.4): hash the signed data, reject cheaply on
 * the left-16 bits, then run the public-key operation.
 *
 * - RSA (RFC 9580 §5.2.3.1): PKCS#1 v1.5 (RFC 8017 §8.2.2), the signature left-padded to the
 *   modulus length.
 * - DSA and ECDSA (§5.2.3.2, §5.2.3.3): r ‖ s in IEEE P1363 form, each left-padded to the subgroup
 *   or curve order size; OpenSSL truncates the digest to the order.
 * - EdDSA, legacy and native (§5.2.3.4, §5.2.3.5): the digest is the message EdDSA signs.
 *
 * Everything but the public-key operation is done by {@link prepareVerification}; the operation
 * itself runs either inline or on libuv's thread pool (node:crypto's callback form), so callers can
 * spread many checks over several cores.
 */
import { constants, createHash, KeyObject, verify as cryptoVerify } from 'node:crypto';
import { PubkeyAlgo, Signature } from '../signature';
import { hashInfo } from './hash';
import { VerifyingKey } from './pubkey';

export type VerifyResult = 'valid' | 'invalid' | 'unsupported';

/** The public-key operation left once the cheap checks passed: crypto.verify's arguments. */
export interface PublicKeyOperation {
  /** OpenSSL digest name, or null for EdDSA (which signs `data` itself) */
  algorithm: string | null;
  data: Buffer;
  /** the signature's digest of the signed data: with `algorithm`, it alone decides the verdict */
  digest: Buffer;
  key: KeyObject | { key: KeyObject; padding: number } | { key: KeyObject; dsaEncoding: 'ieee-p1363' };
  signature: Buffer;
}

/** Signature algorithms this module can check. */
const VERIFIABLE = new Set<number>([
  PubkeyAlgo.RsaEncryptSign,
  PubkeyAlgo.RsaSignOnly,
  PubkeyAlgo.Dsa,
  PubkeyAlgo.Ecdsa,
  PubkeyAlgo.EdDsaLegacy,
  PubkeyAlgo.Ed25519,
  PubkeyAlgo.Ed448,
]);

/** The shortest digest each native EdDSA algorithm may sign (RFC 9580 §5.2.3.4, §5.2.3.5). */
const MIN_DIGEST_BYTES: Partial<Record<number, number>> = { [PubkeyAlgo.Ed25519]: 32, [PubkeyAlgo.Ed448]: 64 };

/** Whether the signature's hash and public-key algorithms are ones this module can check. */
export function isVerifiable(sig: Signature): boolean {
  return VERIFIABLE.has(sig.pubkeyAlgo) && hashInfo(sig.hashAlgo) !== undefined;
}

/** RSA (Encrypt or Sign) and RSA Sign-Only keys make the same signatures. */
function family(algo: number): number {
  return algo === PubkeyAlgo.RsaSignOnly ? PubkeyAlgo.RsaEncryptSign : algo;
}

/**
 * Everything short of the public-key operation: algorithm support, key/signature algorithm match,
 * v6 salt size, the hash and its left-16 bits, the encoding of the signature values. Returns the
 * verdict when one of those decides it, else the operation to run. `signedData` comes from
 * signedData() in hashed-data.ts, trailer included. Never throws.
 */
export function prepareVerification(signer: VerifyingKey, sig: Signature, signedData: readonly Buffer[]): VerifyResult | PublicKeyOperation {
  const h = hashInfo(sig.hashAlgo);
  if (!h || !VERIFIABLE.has(sig.pubkeyAlgo)) return 'unsupported';
  if (family(sig.pubkeyAlgo) !== family(signer.algo)) return 'invalid';
  // RFC 9580 §5.2: a v6 key makes v6 signatures, and only v6 keys make them
  if ((signer.version === 6) !== (sig.version === 6)) return 'invalid';
  // RFC 9580 §5.2.3: the salt size is fixed by the hash algorithm
  if (sig.version === 6 && (h.v6Salt === undefined || sig.salt?.length !== h.v6Salt)) return 'invalid';
  // RFC 9580 §5.2.3.4, §5.2.3.5: Ed25519 needs a digest of 256 bits or more, Ed448 of 512
  if (h.bytes < (MIN_DIGEST_BYTES[sig.pubkeyAlgo] ?? 0)) return 'invalid';
  const data = Buffer.concat(signedData as Buffer[]);
  const digest = createHash(h.name).update(data).digest();
  if (digest[0] !== sig.left16[0] || digest[1] !== sig.left16[1]) return 'invalid';
  const m = sig.material;
  switch (family(sig.pubkeyAlgo)) {
    case PubkeyAlgo.RsaEncryptSign: {
      const s = m.kind === 'mpi' ? leftPad(m.mpis[0], signer.size) : undefined;
      return s ? { algorithm: h.name, data, digest, key: { key: signer.key, padding: constants.RSA_PKCS1_PADDING }, signature: s } : 'invalid';
    }
    case PubkeyAlgo.Dsa:
    case PubkeyAlgo.Ecdsa: {
      const rs = mpiPair(m, signer.size);
      return rs ? { algorithm: h.name, data, digest, key: { key: signer.key, dsaEncoding: 'ieee-p1363' }, signature: rs } : 'invalid';
    }
    case PubkeyAlgo.EdDsaLegacy: {
      const rs = mpiPair(m, 32);
      return rs ? { algorithm: null, data: digest, digest, key: signer.key, signature: rs } : 'invalid';
    }
    default: // Ed25519, Ed448: native signature octets
      return m.kind === 'native' ? { algorithm: null, data: digest, digest, key: signer.key, signature: m.bytes } : 'invalid';
  }
}

/** Run a public-key operation inline. False when OpenSSL rejects the signature in any way. */
export function runOperation(op: PublicKeyOperation): boolean {
  try {
    return cryptoVerify(op.algorithm, op.data, op.key, op.signature);
  } catch {
    // OpenSSL refuses the encoding (s ≥ n, r = 0, ...)
    return false;
  }
}

/** Run a public-key operation on libuv's thread pool. Never rejects. */
export function runOperationAsync(op: PublicKeyOperation): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      cryptoVerify(op.algorithm, op.data, op.key, op.signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/**
 * Verify `sig` by `signer` over `signedData` (signedData() in hashed-data.ts, trailer included).
 * Never throws: malformed material is 'invalid', an unknown algorithm 'unsupported'.
 */
export function verifySignature(signer: VerifyingKey, sig: Signature, signedData: readonly Buffer[]): VerifyResult {
  const op = prepareVerification(signer, sig, signedData);
  if (typeof op === 'string') return op;
  return runOperation(op) ? 'valid' : 'invalid';
}

/** Two MPIs r, s as r ‖ s, each left-padded to `size` octets; undefined if either is too long. */
function mpiPair(m: Signature['material'], size: number): Buffer | undefined {
  if (m.kind !== 'mpi' || m.mpis.length !== 2) return undefined;
  const r = leftPad(m.mpis[0], size);
  const s = leftPad(m.mpis[1], size);
  return r && s ? Buffer.concat([r, s]) : undefined;
}

/** `v` without leading zeros, left-padded with zeros to `size` octets; undefined if it does not fit. */
function leftPad(v: Buffer, size: number): Buffer | undefined {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  const n = v.length - i;
  if (n > size) return undefined;
  if (n === size && i === 0) return v;
  const out = Buffer.alloc(size);
  v.copy(out, size - n, i);
  return out;
}
