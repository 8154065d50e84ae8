/**
 * Public-key packet bodies (RFC 9580 §5.5.2, RFC 4880 §5.5.2 for v3) as node:crypto KeyObjects,
 * for verifying signatures. JWK where node:crypto takes it (RSA, Ed25519/Ed448, ECDSA over NIST
 * P-256/384/521 with an uncompressed point): importing a JWK costs a fraction of parsing DER
 * (docs/architecture.md §9), and OpenSSL checks the material the same way either way. DSA and the
 * other ECDSA curves and point forms go through a hand-built DER SubjectPublicKeyInfo (RFC 5280
 * §4.1, RFC 3279 §2.3.2, RFC 5480 §2).
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import { PacketError, PgpError } from '../errors';
import { readMpi } from '../fingerprint';
import { PubkeyAlgo } from '../signature';

/** A key this package cannot verify with: unknown algorithm or curve. */
export class UnsupportedAlgorithmError extends PgpError {}

export interface VerifyingKey {
  /** version of the key packet: a v6 key makes v6 signatures only (verify.ts) */
  version: number;
  /** public-key algorithm ID of the key packet */
  algo: number;
  key: KeyObject;
  /**
   * Octets of one signature component: the RSA modulus length, the DSA subgroup (q) length,
   * the ECDSA curve order length, or 32/57 for Ed25519/Ed448 (half of R‖S).
   */
  size: number;
}

interface Curve {
  /** for messages */
  name: string;
  /** octets of the curve order */
  size: number;
  /** the JWK `crv` (RFC 7518 §6.2.1.1), for curves node:crypto imports as JWK */
  jwk?: string;
}

/** ECDSA curves (RFC 9580 §9.2), keyed by the hex of the OID body as OpenPGP stores it. */
const ECDSA_CURVES: Partial<Record<string, Curve>> = {
  '2a8648ce3d030107': { name: 'NIST P-256', size: 32, jwk: 'P-256' }, // 1.2.840.10045.3.1.7
  '2b81040022': { name: 'NIST P-384', size: 48, jwk: 'P-384' }, // 1.3.132.0.34
  '2b81040023': { name: 'NIST P-521', size: 66, jwk: 'P-521' }, // 1.3.132.0.35
  '2b2403030208010107': { name: 'brainpoolP256r1', size: 32 }, // 1.3.36.3.3.2.8.1.1.7
  '2b240303020801010b': { name: 'brainpoolP384r1', size: 48 }, // 1.3.36.3.3.2.8.1.1.11
  '2b240303020801010d': { name: 'brainpoolP512r1', size: 64 }, // 1.3.36.3.3.2.8.1.1.13
  '2b8104000a': { name: 'secp256k1', size: 32 }, // 1.3.132.0.10
};

/** Ed25519 as EdDSALegacy names it (RFC 9580 §9.2): 1.3.6.1.4.1.11591.15.1 */
const LEGACY_ED25519_OID = '2b06010401da470f01';

const OID_EC_PUBLIC_KEY = Buffer.from('2a8648ce3d0201', 'hex'); // 1.2.840.10045.2.1
const OID_DSA = Buffer.from('2a8648ce380401', 'hex'); // 1.2.840.10040.4.1

/** Algorithms that only encrypt (RFC 9580 §9.1): no signature can be made with them. */
const ENCRYPT_ONLY = new Set<number>([PubkeyAlgo.RsaEncryptOnly, PubkeyAlgo.Elgamal, PubkeyAlgo.Ecdh, PubkeyAlgo.X25519, PubkeyAlgo.X448]);

/**
 * The verifying key of a public-key or public-subkey packet body. Returns null for encryption-only
 * algorithms; throws UnsupportedAlgorithmError for algorithms or curves node:crypto cannot verify
 * with, and PacketError for malformed key material.
 */
export function verifyingKey(body: Buffer): VerifyingKey | null {
  const { version, algo, material } = keyMaterial(body);
  if (ENCRYPT_ONLY.has(algo)) return null;
  // RFC 9580 §5.5.5.5: EdDSALegacy (and its OID) MUST NOT be used with v6 keys
  if (version === 6 && algo === PubkeyAlgo.EdDsaLegacy) throw new PacketError('bad-key-material', 'a v6 key cannot use EdDSALegacy (algorithm 22); v6 keys use Ed25519 (27)');
  const k = signingKey(algo, material);
  return { ...k, version };
}

/** A verifying key before verifyingKey adds the packet's version. */
type LoadedKey = Omit<VerifyingKey, 'version'>;

/** The KeyObject of a signing algorithm's material. */
function signingKey(algo: number, material: Buffer): LoadedKey {
  switch (algo) {
    case PubkeyAlgo.RsaEncryptSign:
    case PubkeyAlgo.RsaSignOnly:
      return rsaKey(algo, material);
    case PubkeyAlgo.Dsa:
      return dsaKey(material);
    case PubkeyAlgo.Ecdsa:
      return ecdsaKey(material);
    case PubkeyAlgo.EdDsaLegacy:
      return legacyEdDsaKey(material);
    case PubkeyAlgo.Ed25519:
      return nativeEdKey(algo, material, 32, 'Ed25519');
    case PubkeyAlgo.Ed448:
      return nativeEdKey(algo, material, 57, 'Ed448');
    default:
      throw new UnsupportedAlgorithmError('unsupported-algorithm', `public-key algorithm ${algo} cannot be verified`);
  }
}

/** Split a key packet body into its algorithm and algorithm-specific material (RFC 9580 §5.5.2). */
export function keyMaterial(body: Buffer): { version: number; algo: number; material: Buffer } {
  const version = body.length > 0 ? body[0] : -1;
  switch (version) {
    case 2:
    case 3: // version, created(4), validity days(2), algorithm
      if (body.length < 8) break;
      return { version, algo: body[7], material: body.subarray(8) };
    case 4: // version, created(4), algorithm
      if (body.length < 6) break;
      return { version, algo: body[5], material: body.subarray(6) };
    case 5:
    case 6: {
      // version, created(4), algorithm, material length(4): the octet count of exactly the rest (RFC 9580 §5.5.2.3)
      if (body.length < 10) break;
      const len = body.readUInt32BE(6);
      if (len > body.length - 10) throw new PacketError('truncated', 'key material overruns the key packet');
      if (len < body.length - 10) throw new PacketError('bad-key-material', `key material length ${len} leaves ${body.length - 10 - len} stray octets in the key packet`);
      return { version, algo: body[5], material: body.subarray(10) };
    }
    default:
      throw new PacketError('unknown-key-version', `unknown key packet version ${version}`);
  }
  throw new PacketError('truncated', 'truncated key packet');
}

function load(algo: number, make: () => KeyObject, size: number): LoadedKey {
  try {
    return { algo, key: make(), size };
  } catch (e) {
    // OpenSSL refuses the material (a point off the curve, a zero modulus, ...)
    throw new PacketError('bad-key-material', `algorithm ${algo} key rejected: ${(e as Error).message}`);
  }
}

/** RFC 9580 §5.5.5.1: MPI n, MPI e. */
function rsaKey(algo: number, m: Buffer): LoadedKey {
  const n = readMpi(m, 0);
  const e = readMpi(m, n.next);
  const modulus = stripZeros(n.value);
  if (modulus.length === 0) throw new PacketError('bad-key-material', 'RSA modulus is zero');
  return load(
    algo,
    () => createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: stripZeros(e.value).toString('base64url') }, format: 'jwk' }),
    modulus.length,
  );
}

/** RFC 9580 §5.5.5.2: MPIs p, q, g, y → Dss-Parms and the INTEGER y (RFC 3279 §2.3.2). */
function dsaKey(m: Buffer): LoadedKey {
  const p = readMpi(m, 0);
  const q = readMpi(m, p.next);
  const g = readMpi(m, q.next);
  const y = readMpi(m, g.next);
  const qLen = stripZeros(q.value).length;
  if (qLen === 0) throw new PacketError('bad-key-material', 'DSA q is zero');
  const params = der(0x30, derInteger(p.value), derInteger(q.value), derInteger(g.value));
  const spki = der(0x30, der(0x30, der(0x06, OID_DSA), params), derBitString(derInteger(y.value)));
  return load(PubkeyAlgo.Dsa, () => createPublicKey({ key: spki, format: 'der', type: 'spki' }), qLen);
}

/** The curve OID field (RFC 9580 §5.5.5.3): one length octet (not 0 or 0xFF), then the OID body. */
function readCurveOid(m: Buffer): { oid: Buffer; next: number } {
  if (m.length < 1) throw new PacketError('truncated', 'missing curve OID');
  const len = m[0];
  if (len === 0 || len === 0xff || len + 1 > m.length) throw new PacketError('bad-key-material', 'bad curve OID length');
  return { oid: m.subarray(1, 1 + len), next: 1 + len };
}

/** RFC 9580 §5.5.5.3: curve OID, MPI point (SEC1 encoding) → RFC 5480 SPKI. */
function ecdsaKey(m: Buffer): LoadedKey {
  const { oid, next } = readCurveOid(m);
  const curve = ECDSA_CURVES[oid.toString('hex')];
  if (!curve) throw new UnsupportedAlgorithmError('unsupported-curve', `ECDSA curve OID ${oid.toString('hex')} is not supported`);
  const point = readMpi(m, next).value;
  const crv = curve.jwk;
  // SEC1 uncompressed form 0x04 ‖ x ‖ y (each the field size, here the order size): x and y as JWK
  if (crv && point.length === 1 + 2 * curve.size && point[0] === 0x04) {
    const x = point.subarray(1, 1 + curve.size).toString('base64url');
    const y = point.subarray(1 + curve.size).toString('base64url');
    return load(PubkeyAlgo.Ecdsa, () => createPublicKey({ key: { kty: 'EC', crv, x, y }, format: 'jwk' }), curve.size);
  }
  const spki = der(0x30, der(0x30, der(0x06, OID_EC_PUBLIC_KEY), der(0x06, oid)), derBitString(point));
  return load(PubkeyAlgo.Ecdsa, () => createPublicKey({ key: spki, format: 'der', type: 'spki' }), curve.size);
}

/** RFC 9580 §5.5.5.5: curve OID (Ed25519 only here), MPI of 0x40 ‖ 32-octet native key. */
function legacyEdDsaKey(m: Buffer): LoadedKey {
  const { oid, next } = readCurveOid(m);
  if (oid.toString('hex') !== LEGACY_ED25519_OID) {
    throw new UnsupportedAlgorithmError('unsupported-curve', `EdDSALegacy curve OID ${oid.toString('hex')} is not supported`);
  }
  const point = readMpi(m, next).value;
  if (point.length !== 33 || point[0] !== 0x40) throw new PacketError('bad-key-material', 'EdDSALegacy point is not 0x40 ‖ 32 octets');
  return nativeEdKey(PubkeyAlgo.EdDsaLegacy, point.subarray(1), 32, 'Ed25519');
}

/** RFC 9580 §5.5.5.9/§5.5.5.10: the native key, as an OKP JWK (RFC 8037 §2). */
function nativeEdKey(algo: number, m: Buffer, len: number, crv: 'Ed25519' | 'Ed448'): LoadedKey {
  if (m.length !== len) throw new PacketError('bad-key-material', `algorithm ${algo} key is ${m.length} octets, expected ${len}`);
  const x = m.toString('base64url');
  return load(algo, () => createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' }), len);
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** A DER TLV (X.690 §8.1) with definite length. */
function der(tag: number, ...content: Buffer[]): Buffer {
  let len = 0;
  for (const c of content) len += c.length;
  let hdr: Buffer;
  if (len < 0x80) hdr = Buffer.from([tag, len]);
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    hdr = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([hdr, ...content]);
}

/** A non-negative INTEGER from big-endian magnitude octets (X.690 §8.3). */
function derInteger(magnitude: Buffer): Buffer {
  const v = stripZeros(magnitude);
  if (v.length === 0) return Buffer.from([0x02, 0x01, 0x00]);
  return v[0] & 0x80 ? der(0x02, Buffer.from([0]), v) : der(0x02, v);
}

/** A BIT STRING with no unused bits (X.690 §8.6). */
function derBitString(content: Buffer): Buffer {
  return der(0x03, Buffer.from([0]), content);
}
