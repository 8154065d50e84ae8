/**
 * What Hockeypuck's OpenPGP library (ProtonMail go-crypto, as vendored by Hockeypuck 2.3.3 and
 * 2.4-beta2) accepts when it parses a key or signature packet, re-stated from its packet parsers
 * (openpgp/packet/public_key.go, public_key_v3.go, signature.go, signature_v3.go,
 * internal/algorithm/hash.go, internal/ecc/curve_info.go). Hockeypuck drops whatever these parsers
 * refuse, so they decide which packets of a key it can store at all.
 *
 * Only rules confirmed in that source are modelled. Where go-crypto re-serialises a parsed key for
 * hashing (it never hashes the packet bytes it read), {@link GoKey.hashBody} is that re-serialisation.
 *
 * Hockeypuck 2.4-beta2's go-crypto adds the post-quantum algorithms of RFC 9980 (ids 30–36); their
 * material is checked by length only here (go-crypto hands it to circl, whose decoders check lengths).
 */
import { createHash } from 'node:crypto';
import { verifyingKey } from '../verify/pubkey';
import { PgpError } from '../errors';
import { trailerV4V6 } from '../signature';

export type GoVariant = '2.3' | '2.4';

/** A key packet as go-crypto parsed it. */
export interface GoKey {
  /** 3 for v2/v3 keys (go-crypto's PublicKeyV3), else 4 or 6 */
  version: number;
  algo: number;
  /** the key bytes go-crypto hashes (its re-serialisation of what it parsed, without header) */
  hashBody: Buffer;
  /** fingerprint and key ID as Hockeypuck computes them (lower-case hex) */
  fingerprint: string;
  keyId: string;
  /** bit length of the DSA subgroup order q (DSA keys only) */
  dsaQBits?: number;
}

/** A signature packet as go-crypto parsed it (packet.Signature or packet.SignatureV3). */
export interface GoSig {
  /** 3 (v2/v3, go-crypto's SignatureV3), 4 or 6 */
  version: number;
  sigType: number;
  pubkeyAlgo: number;
  hashAlgo: number;
  /** node:crypto digest name of hashAlgo */
  hashName: string;
  hashTag: Buffer;
  /** creation time (seconds since the epoch) */
  created: number;
  /** v6 salt, hashed first */
  salt?: Buffer;
  /** the octets hashed after the signed data (go-crypto's HashSuffix, or the v3 type ‖ time) */
  suffix: Buffer;
  /** issuer key ID as Hockeypuck stores it (hex); a v4/v6 signature without one is refused */
  issuerKeyId?: string;
  /** issuer fingerprint (hex), from subpacket 33 */
  issuerFingerprint?: string;
  /** reason for revocation from the hashed area, mapped as go-crypto maps it (unknown codes → 200) */
  revocationReason?: number;
  /** a hashed key-flags subpacket has the "sign" flag */
  flagSign: boolean;
  /** the embedded primary-key binding signature (subpacket 32) */
  embedded?: GoSig;
  /** algorithm-specific fields: raw MPI value octets (as read, leading zeros kept) or native octets */
  mpis?: Buffer[];
  native?: Buffer;
}

export type GoResult<T> = { ok: T } | { error: string };

class GoParseError extends Error {}

function fail(message: string): never {
  throw new GoParseError(message);
}

// ---------------------------------------------------------------------------------------------
// hash algorithms (internal/algorithm/hash.go): HashById holds SHA-2 and SHA-3 only; v4 signatures
// may also use SHA-1, v3 signatures SHA-1 and MD5. RIPEMD-160 (3) is never accepted.

const HASH_NAMES: Record<number, string> = {
  1: 'md5',
  2: 'sha1',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
  12: 'sha3-256',
  14: 'sha3-512',
};
const HASH_BY_ID = new Set([8, 9, 10, 11, 12, 14]);
/** RFC 9580 salt sizes, as go-crypto's SaltLengthForHash has them */
const V6_SALT: Record<number, number> = { 8: 16, 11: 16, 12: 16, 9: 24, 10: 32, 14: 32 };

function hashAllowed(id: number, sigVersion: number): boolean {
  if (HASH_BY_ID.has(id)) return true;
  if (sigVersion === 3) return id === 1 || id === 2;
  return sigVersion === 4 && id === 2;
}

/** The name of a hash id that go-crypto knows for some signature version. */
export function goHashName(id: number): string | undefined {
  return HASH_NAMES[id];
}

// ---------------------------------------------------------------------------------------------
// a cursor that fails like io.ReadFull on short input

class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}
  take(n: number, what: string): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) fail(`unexpected EOF reading ${what}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  byte(what: string): number {
    return this.take(1, what)[0];
  }
  /** encoding.MPI: 2-octet bit count, then ceil(bits/8) octets, kept as read */
  mpi(what: string): Buffer {
    const hdr = this.take(2, what);
    const bits = hdr.readUInt16BE(0);
    return this.take((bits + 7) >> 3, what);
  }
  /** encoding.OID: 1 length octet (0 and 0xFF reserved), then the OID body */
  oid(what: string): Buffer {
    const len = this.byte(what);
    if (len === 0 || len === 0xff) fail(`${what}: reserved for future extensions`);
    return this.take(len, what);
  }
}

// ---------------------------------------------------------------------------------------------
// keys

/** Curves go-crypto knows (ecc.Curves), by OID body hex, with the roles its curve type implements. */
interface GoCurve {
  name: string;
  ecdsa: boolean;
  ecdh: boolean;
  eddsa: boolean;
  /** octets of a field element (generic curves), or the required point encoding length */
  pointLen: number;
  /** GenName is Curve25519 (refused for v6 ECDH keys) */
  legacy25519?: boolean;
}

const GO_CURVES: Record<string, GoCurve> = {
  '2a8648ce3d030107': { name: 'P256', ecdsa: true, ecdh: true, eddsa: false, pointLen: 32 },
  '2b81040022': { name: 'P384', ecdsa: true, ecdh: true, eddsa: false, pointLen: 48 },
  '2b81040023': { name: 'P521', ecdsa: true, ecdh: true, eddsa: false, pointLen: 66 },
  '2b8104000a': { name: 'SecP256k1', ecdsa: true, ecdh: true, eddsa: false, pointLen: 32 },
  '2b060104019755010501': { name: 'Curve25519', ecdsa: false, ecdh: true, eddsa: false, pointLen: 33, legacy25519: true },
  '2b656f': { name: 'Curve448', ecdsa: false, ecdh: true, eddsa: false, pointLen: 57 },
  '2b06010401da470f01': { name: 'Curve25519', ecdsa: false, ecdh: false, eddsa: true, pointLen: 33, legacy25519: true },
  '2b6571': { name: 'Curve448', ecdsa: false, ecdh: false, eddsa: true, pointLen: 58 },
  '2b2403030208010107': { name: 'BrainpoolP256', ecdsa: true, ecdh: true, eddsa: false, pointLen: 32 },
  '2b240303020801010b': { name: 'BrainpoolP384', ecdsa: true, ecdh: true, eddsa: false, pointLen: 48 },
  '2b240303020801010d': { name: 'BrainpoolP512', ecdsa: true, ecdh: true, eddsa: false, pointLen: 64 },
};

/** CipherById of internal/algorithm/cipher.go: 3DES, CAST5, AES-128/192/256 */
const KDF_CIPHERS = new Set([2, 3, 7, 8, 9]);

/** Post-quantum key material sizes (RFC 9980; go-crypto 2.4-beta2 reads exactly these). */
const PQ_KEY: Record<number, { bytes: number; minVersion: number; v4?: boolean }> = {
  30: { bytes: 32 + 1952, minVersion: 6 }, // ML-DSA-65 + Ed25519
  31: { bytes: 57 + 2592, minVersion: 6 }, // ML-DSA-87 + Ed448
  32: { bytes: 32, minVersion: 6 }, // SLH-DSA-SHAKE-128s
  33: { bytes: 32, minVersion: 6 }, // SLH-DSA-SHAKE-128f
  34: { bytes: 64, minVersion: 6 }, // SLH-DSA-SHAKE-256s
  35: { bytes: 32 + 1184, minVersion: 6, v4: true }, // ML-KEM-768 + X25519 (v4 allowed too)
  36: { bytes: 56 + 1568, minVersion: 6 }, // ML-KEM-1024 + X448
};

/** Native key octets of X25519, X448, Ed25519 and Ed448 (RFC 9580 §5.5.5.7–10). */
const NATIVE_KEY_SIZES: Record<number, [number, string]> = { 25: [32, 'X25519'], 26: [56, 'X448'], 27: [32, 'Ed25519'], 28: [57, 'Ed448'] };

/** Parse a key packet body as go-crypto does (public_key.go / public_key_v3.go). */
export function parseGoKey(body: Buffer, variant: GoVariant): GoResult<GoKey> {
  try {
    return { ok: parseKeyOrThrow(body, variant) };
  } catch (e) {
    if (e instanceof GoParseError) return { error: e.message };
    throw e;
  }
}

function parseKeyOrThrow(body: Buffer, variant: GoVariant): GoKey {
  const r = new Reader(body);
  const version = r.byte('key version');
  if (version < 4) return parseV3Key(body, version);
  r.take(5, 'key header');
  if (version !== 4 && version !== 5 && version !== 6) fail(`unsupported feature: public key version ${version}`);
  // go-crypto is built without the v5 tag: V5Disabled
  if (version === 5) fail('unsupported feature: support for parsing v5 entities is disabled');
  if (version === 6) r.take(4, 'key material length');
  const materialStart = r.pos;
  const algo = body[5];
  let dsaQBits: number | undefined;
  switch (algo) {
    case 1:
    case 2:
    case 3: {
      r.mpi('RSA n');
      const e = r.mpi('RSA e');
      if (e.length > 3) fail('unsupported feature: large public exponent');
      break;
    }
    case 17: {
      r.mpi('DSA p');
      const q = r.mpi('DSA q');
      r.mpi('DSA g');
      r.mpi('DSA y');
      dsaQBits = bitLength(q);
      break;
    }
    case 16:
      r.mpi('ElGamal p');
      r.mpi('ElGamal g');
      r.mpi('ElGamal y');
      break;
    case 19: {
      const oid = r.oid('ECDSA curve');
      const curve = GO_CURVES[oid.toString('hex')];
      if (!curve) fail(`unsupported feature: unknown oid: ${oid.toString('hex')}`);
      const p = r.mpi('ECDSA point');
      if (!curve.ecdsa) fail(`unsupported feature: unsupported oid: ${oid.toString('hex')}`);
      // elliptic.Unmarshal: uncompressed form only, coordinates below p, point on the curve
      if (p.length !== 1 + 2 * curve.pointLen || p[0] !== 4 || !onCurve(body)) fail('ecdsa: failed to parse EC point');
      break;
    }
    case 18: {
      const oid = r.oid('ECDH curve');
      const curve = GO_CURVES[oid.toString('hex')];
      if (!curve) fail(`unsupported feature: unknown oid: ${oid.toString('hex')}`);
      if (version === 6 && curve.legacy25519) fail('cannot read v6 key with deprecated OID: Curve25519Legacy');
      const p = r.mpi('ECDH point');
      const kdf = r.oid('ECDH KDF');
      if (!curve.ecdh) fail(`unsupported feature: unsupported oid: ${oid.toString('hex')}`);
      if (kdf.length < 3) fail(`unsupported feature: unsupported ECDH KDF length: ${kdf.length}`);
      if (kdf[0] !== 1) fail(`unsupported feature: unsupported KDF reserved field: ${kdf[0]}`);
      if (!HASH_BY_ID.has(kdf[1])) fail(`unsupported feature: unsupported ECDH KDF hash: ${kdf[1]}`);
      if (!KDF_CIPHERS.has(kdf[2])) fail(`unsupported feature: unsupported ECDH KDF cipher: ${kdf[2]}`);
      // generic curves take the point as it is; Curve25519 and X448 check its length only
      if ((curve.legacy25519 || curve.name === 'Curve448') && p.length !== curve.pointLen) fail('ecdh: failed to parse EC point');
      break;
    }
    case 22: {
      if (version === 6) fail('cannot generate v6 key with deprecated algorithm: EdDSALegacy');
      const oid = r.oid('EdDSA curve');
      const curve = GO_CURVES[oid.toString('hex')];
      if (!curve) fail(`unsupported feature: unknown oid: ${oid.toString('hex')}`);
      if (!curve.eddsa) fail(`unsupported feature: unsupported oid: ${oid.toString('hex')}`);
      const p = r.mpi('EdDSA point');
      if (p.length === 0) fail('empty EdDSA public key');
      if (p[0] !== 0x40) fail(`unsupported feature: unsupported EdDSA compression: ${p[0]}`);
      if (p.length !== curve.pointLen) fail('eddsa: failed to parse EC point');
      break;
    }
    case 25:
    case 26:
    case 27:
    case 28: {
      const [len, name] = NATIVE_KEY_SIZES[algo];
      r.take(len, `${name} key`);
      break;
    }
    default: {
      const pq = variant === '2.4' ? PQ_KEY[algo] : undefined;
      if (!pq) fail(`unsupported feature: public key type: ${algo}`);
      if (version < pq.minVersion && !(pq.v4 && version === 4)) fail(`algorithm ${algo} may not be used with v${version} keys`);
      r.take(pq.bytes, `algorithm ${algo} key`);
    }
  }
  const material = body.subarray(materialStart, r.pos);
  let hashBody: Buffer;
  if (version === 6) {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(material.length, 0);
    hashBody = Buffer.concat([body.subarray(0, 6), count, material]);
    if (hashBody.equals(body)) hashBody = body;
  } else hashBody = r.pos === body.length ? body : body.subarray(0, r.pos);
  let fingerprint: Buffer;
  let keyId: Buffer;
  if (version === 6) {
    const hdr = Buffer.alloc(5);
    hdr[0] = 0x9b;
    hdr.writeUInt32BE(hashBody.length, 1);
    fingerprint = createHash('sha256').update(hdr).update(hashBody).digest();
    keyId = fingerprint.subarray(0, 8);
  } else {
    fingerprint = createHash('sha1')
      .update(Buffer.from([0x99, (hashBody.length >> 8) & 0xff, hashBody.length & 0xff]))
      .update(hashBody)
      .digest();
    keyId = fingerprint.subarray(12, 20);
  }
  return { version, algo, hashBody, fingerprint: fingerprint.toString('hex'), keyId: keyId.toString('hex'), dsaQBits };
}

/** PublicKeyV3 (versions 2 and 3): RSA only; hashed back as a version-3 packet. */
function parseV3Key(body: Buffer, version: number): GoKey {
  const r = new Reader(body);
  r.take(8, 'v3 key header');
  if (version < 2) fail('unsupported feature: public key version');
  const algo = body[7];
  if (algo !== 1 && algo !== 2 && algo !== 3) fail(`unsupported feature: public key type: ${algo}`);
  const n = r.mpi('RSA n');
  const e = r.mpi('RSA e');
  if (n.length < 8) fail('v3 public key modulus is too short');
  if (e.length > 3) fail('unsupported feature: large public exponent');
  const hashBody = Buffer.from(body.subarray(0, r.pos));
  hashBody[0] = 3;
  return {
    version: 3,
    algo,
    hashBody,
    fingerprint: createHash('md5').update(n).update(e).digest('hex'),
    keyId: n.subarray(n.length - 8).toString('hex'),
  };
}

/** Whether an ECDSA key's point decodes on its curve (OpenSSL checks that when importing it). */
function onCurve(body: Buffer): boolean {
  try {
    verifyingKey(body);
    return true;
  } catch (e) {
    if (e instanceof PgpError) return false;
    throw e;
  }
}

function bitLength(v: Buffer): number {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  if (i === v.length) return 0;
  return (v.length - i - 1) * 8 + (32 - Math.clz32(v[i]));
}

// ---------------------------------------------------------------------------------------------
// signatures

/** Public-key algorithms of signatures go-crypto parses. */
const SIG_ALGOS_23 = new Set([1, 3, 17, 19, 22, 27, 28]);
const SIG_ALGOS_24 = new Set([1, 3, 17, 19, 22, 27, 28, 30, 31, 32, 33, 34]);
/** Post-quantum signature sizes (RFC 9980): [Ed part, PQ part] */
const PQ_SIG: Record<number, number> = {
  30: 64 + 3309,
  31: 114 + 4627,
  32: 7856,
  33: 17088,
  34: 29792,
};

/** Parse a signature packet body as go-crypto does, plus Hockeypuck's own check (an issuer key ID). */
export function parseGoSignature(body: Buffer, variant: GoVariant): GoResult<GoSig> {
  try {
    if (body.length < 1) fail('unexpected EOF reading signature version');
    const sig = body[0] < 4 ? parseV3Sig(body) : parseV4V6Sig(body, variant);
    // Hockeypuck's setSignature refuses a v4/v6 signature that names no issuer key ID
    if (sig.version !== 3 && sig.issuerKeyId === undefined) fail('missing issuer key ID');
    return { ok: sig };
  } catch (e) {
    if (e instanceof GoParseError) return { error: e.message };
    throw e;
  }
}

function parseV3Sig(body: Buffer): GoSig {
  const r = new Reader(body);
  const version = r.byte('signature version');
  if (version < 2 || version > 3) fail(`unsupported feature: signature packet version ${version}`);
  const hashedLen = r.byte('v3 hashed length');
  if (hashedLen !== 5) fail(`unsupported feature: invalid hashed material length ${hashedLen}`);
  const hashed = r.take(5, 'v3 hashed material');
  const issuer = r.take(8, 'v3 issuer');
  const [pubkeyAlgo, hashAlgo] = r.take(2, 'v3 algorithms');
  if (pubkeyAlgo !== 1 && pubkeyAlgo !== 3 && pubkeyAlgo !== 17) fail(`unsupported feature: public key algorithm ${pubkeyAlgo}`);
  if (!hashAllowed(hashAlgo, 3)) fail(`unsupported feature: hash function ${hashAlgo}`);
  const hashTag = r.take(2, 'hash tag');
  const mpis = pubkeyAlgo === 17 ? [r.mpi('DSA r'), r.mpi('DSA s')] : [r.mpi('RSA signature')];
  return {
    version: 3,
    sigType: hashed[0],
    pubkeyAlgo,
    hashAlgo,
    hashName: HASH_NAMES[hashAlgo],
    hashTag,
    created: hashed.readUInt32BE(1),
    suffix: hashed,
    issuerKeyId: issuer.toString('hex'),
    flagSign: false,
    mpis,
  };
}

/** Signature.parse of go-crypto (v4, v6; v5 is disabled in the build). */
function parseV4V6Sig(body: Buffer, variant: GoVariant): GoSig {
  const r = new Reader(body);
  const version = r.byte('signature version');
  if (version !== 4 && version !== 5 && version !== 6) fail(`unsupported feature: signature packet version ${version}`);
  if (version === 5) fail('unsupported feature: support for parsing v5 entities is disabled');
  const hdr = r.take(version === 6 ? 7 : 5, 'signature header');
  const sigType = hdr[0];
  const pubkeyAlgo = hdr[1];
  const hashAlgo = hdr[2];
  if (!(variant === '2.4' ? SIG_ALGOS_24 : SIG_ALGOS_23).has(pubkeyAlgo)) fail(`unsupported feature: public key algorithm ${pubkeyAlgo}`);
  if (!hashAllowed(hashAlgo, version)) fail(`unsupported feature: hash function ${hashAlgo}`);
  const hashedLen = version === 6 ? hdr.readUInt32BE(3) : hdr.readUInt16BE(3);
  const hashed = r.take(hashedLen, 'hashed subpackets');
  const hashedEnd = r.pos;
  const sig: GoSig = {
    version,
    sigType,
    pubkeyAlgo,
    hashAlgo,
    hashName: HASH_NAMES[hashAlgo],
    hashTag: Buffer.alloc(0),
    created: 0,
    // go-crypto's HashSuffix: version ‖ type ‖ algorithms ‖ hashed length ‖ hashed area ‖ version ‖ 0xFF ‖ 4-octet length
    suffix: trailerV4V6(body, version, hashedEnd),
    flagSign: false,
  };
  const state = { created: false };
  parseSubpackets(sig, hashed, true, variant, state);
  const unhashedLen = version === 6 ? r.take(4, 'unhashed length').readUInt32BE(0) : r.take(2, 'unhashed length').readUInt16BE(0);
  parseSubpackets(sig, r.take(unhashedLen, 'unhashed subpackets'), false, variant, state);
  sig.hashTag = r.take(2, 'hash tag');
  if (version === 6) {
    const saltLen = r.byte('salt length');
    const want = V6_SALT[hashAlgo];
    if (want === undefined) fail('unsupported feature: hash function not supported for V6 signatures');
    if (saltLen !== want) fail('unexpected salt size for the given hash algorithm');
    sig.salt = r.take(want, 'salt');
  }
  switch (pubkeyAlgo) {
    case 1:
    case 3:
      sig.mpis = [r.mpi('RSA signature')];
      break;
    case 17:
    case 19:
    case 22:
      sig.mpis = [r.mpi('signature r'), r.mpi('signature s')];
      break;
    case 27:
      sig.native = r.take(64, 'Ed25519 signature');
      break;
    case 28:
      sig.native = r.take(114, 'Ed448 signature');
      break;
    default:
      // post-quantum (2.4 only): fixed-size octet strings
      sig.native = r.take(PQ_SIG[pubkeyAlgo], `algorithm ${pubkeyAlgo} signature`);
  }
  return sig;
}

/**
 * parseSignatureSubpacket of go-crypto, for the fields Hockeypuck uses and every rule that makes
 * the whole signature unreadable. The unhashed area is read only for issuer, issuer fingerprint
 * and embedded signature; the hashed area must hold a creation time.
 */
function parseSubpackets(sig: GoSig, area: Buffer, hashed: boolean, variant: GoVariant, state: { created: boolean }): void {
  let p = 0;
  while (p < area.length) {
    let len: number;
    const b0 = area[p];
    if (b0 < 192) {
      len = b0;
      p += 1;
    } else if (b0 < 255) {
      if (p + 2 > area.length) fail('signature subpacket truncated');
      len = ((b0 - 192) << 8) + area[p + 1] + 192;
      p += 2;
    } else {
      if (p + 5 > area.length) fail('signature subpacket truncated');
      len = area.readUInt32BE(p + 1);
      p += 5;
    }
    if (len > area.length - p) fail('signature subpacket truncated');
    if (len === 0) fail('zero length signature subpacket');
    const type = area[p] & 0x7f;
    const critical = (area[p] & 0x80) !== 0;
    const data = area.subarray(p + 1, p + len);
    p += len;
    if (!hashed && type !== 16 && type !== 33 && type !== 32) continue;
    switch (type) {
      case 2: // creation time
        if (data.length !== 4) fail('signature creation time not four bytes');
        state.created = true;
        sig.created = data.readUInt32BE(0);
        break;
      case 3: // signature expiration
        if (data.length !== 4) fail('expiration subpacket with bad length');
        break;
      case 4: // exportable
        if (data.length === 0 || data[0] === 0) fail('unsupported feature: signature with non-exportable certification');
        break;
      case 5: // trust
        if (data.length !== 2) fail('trust subpacket with bad length');
        break;
      case 6: // regular expression
        if (data.length === 0) fail('regexp subpacket with bad length');
        if (data[data.length - 1] !== 0) fail('expected regular expression to be null-terminated');
        break;
      case 9: // key expiration
        if (data.length !== 4) fail('key expiration subpacket with bad length');
        break;
      case 16: // issuer key ID
        if (sig.version > 4 && hashed) fail('issuer subpacket found in v6 key');
        if (data.length !== 8) fail('issuer subpacket with bad length');
        if (sig.version <= 4) sig.issuerKeyId = data.toString('hex');
        break;
      case 20: {
        // notation
        if (data.length < 8) fail('notation data subpacket with bad length');
        const nameLen = data.readUInt16BE(4);
        const valueLen = data.readUInt16BE(6);
        if (data.length !== nameLen + valueLen + 8) fail('notation data subpacket with bad length');
        break;
      }
      case 25: // primary user ID
        if (data.length !== 1) fail('primary user id subpacket with bad length');
        break;
      case 27: // key flags
        if (data.length > 0 && (data[0] & 0x02) !== 0) sig.flagSign = true;
        break;
      case 29: // reason for revocation
        if (data.length === 0) fail('empty revocation reason subpacket');
        sig.revocationReason = data[0] < 4 || data[0] === 32 ? data[0] : 200;
        break;
      case 32: {
        // embedded signature: a full signature parse, which must be a primary-key binding
        if (sig.embedded) fail('Cannot have multiple embedded signatures');
        const embedded = parseV4V6Sig(data, variant);
        if (embedded.sigType !== 0x19) fail(`cross-signature has unexpected type ${embedded.sigType}`);
        sig.embedded = embedded;
        break;
      }
      case 33: {
        // issuer fingerprint
        if (data.length === 0) fail('empty issuer fingerprint subpacket');
        const v = data[0];
        const l = data.length - 1;
        if ((v >= 5 && l !== 32) || (v < 5 && l !== 20)) fail('bad fingerprint length');
        sig.issuerFingerprint = data.subarray(1).toString('hex');
        sig.issuerKeyId = (v >= 5 ? data.subarray(1, 9) : data.subarray(13, 21)).toString('hex');
        break;
      }
      case 35: {
        // intended recipient
        if (data.length < 1) fail('invalid intended recipient fingerprint length');
        const v = data[0];
        const l = data.length - 1;
        if ((v >= 5 && l !== 32) || (v < 5 && l !== 20)) fail('invalid fingerprint length');
        break;
      }
      case 39: // preferred AEAD cipher suites
        if (data.length % 2 !== 0) fail('invalid aead cipher suite length');
        break;
      case 11:
      case 21:
      case 22:
      case 23:
      case 24:
      case 26:
      case 28:
      case 30:
        break; // read without any check that can fail
      default:
        if (critical) fail(`unsupported feature: unknown critical signature subpacket type ${type}`);
    }
  }
  if (!state.created) fail('no creation time in signature');
}
