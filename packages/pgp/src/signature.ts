/**
 * Signature packets (tag 2): v3 (RFC 4880 §5.2.2), v4 (RFC 9580 §5.2.3) and v6 (RFC 9580 §5.2.3,
 * with a salt and 4-octet subpacket area lengths).
 *
 * Parsing never interprets the material cryptographically; it only bounds every length and keeps
 * views into the packet body, so it is cheap enough to run on every signature of a keyring (third-
 * party certifications included) just to learn the issuer.
 */
import { PacketError } from './errors';
import { readMpi } from './fingerprint';

/** Signature types of RFC 9580 §5.2.1 that key import cares about. */
export const enum SigType {
  Binary = 0x00,
  Text = 0x01,
  Standalone = 0x02,
  CertGeneric = 0x10,
  CertPersona = 0x11,
  CertCasual = 0x12,
  CertPositive = 0x13,
  SubkeyBinding = 0x18,
  PrimaryKeyBinding = 0x19,
  DirectKey = 0x1f,
  KeyRevocation = 0x20,
  SubkeyRevocation = 0x28,
  CertRevocation = 0x30,
  Timestamp = 0x40,
  ThirdPartyConfirmation = 0x50,
}

/** Signature subpacket types (RFC 9580 §5.2.3.7) read by {@link parseSignature}. */
export const enum SubpacketType {
  CreationTime = 2,
  KeyExpirationTime = 9,
  Issuer = 16,
  KeyFlags = 27,
  IssuerFingerprint = 33,
}

/** Algorithm-specific fields: MPIs (RSA, DSA, ECDSA, EdDSALegacy, Elgamal) or a native octet string. */
export type SignatureMaterial =
  | { kind: 'mpi'; mpis: Buffer[] }
  | { kind: 'native'; bytes: Buffer }
  /** an algorithm this parser does not know: the remaining octets, uninterpreted */
  | { kind: 'opaque'; bytes: Buffer };

export interface Signature {
  /** 3 (2 is read as 3, RFC 4880 §5.2), 4 or 6 */
  version: number;
  sigType: number;
  pubkeyAlgo: number;
  hashAlgo: number;
  /** hashed subpacket area without its length field (empty for v3) */
  hashedSubpackets: Buffer;
  /** unhashed subpacket area without its length field (empty for v3) */
  unhashedSubpackets: Buffer;
  /** signature creation time, seconds since the epoch (0 if a v4/v6 signature lacks one) */
  created: number;
  /** issuer key ID: the v3 field, else subpacket 16 (hashed preferred over unhashed) */
  issuerKeyId?: Buffer;
  /** issuer fingerprint from subpacket 33, without its version octet */
  issuerFingerprint?: Buffer;
  /** key version octet of subpacket 33 */
  issuerFingerprintVersion?: number;
  /** key expiration time (subpacket 9, hashed): seconds after key creation, 0 = never */
  keyExpiration?: number;
  /** key flags (subpacket 27, hashed), all octets */
  keyFlags?: Buffer;
  /** the left 16 bits of the signed hash value */
  left16: Buffer;
  /** v6 salt (RFC 9580 §5.2.3), hashed before the signed data */
  salt?: Buffer;
  material: SignatureMaterial;
  /** the octets hashed after the signed data (RFC 9580 §5.2.4, RFC 4880 §5.2.4) */
  trailer: Buffer;
}

/** Public-key algorithm IDs (RFC 9580 §9.1). */
export const enum PubkeyAlgo {
  RsaEncryptSign = 1,
  RsaEncryptOnly = 2,
  RsaSignOnly = 3,
  Elgamal = 16,
  Dsa = 17,
  Ecdh = 18,
  Ecdsa = 19,
  ElgamalEncryptSign = 20,
  EdDsaLegacy = 22,
  X25519 = 25,
  X448 = 26,
  Ed25519 = 27,
  Ed448 = 28,
}

/** Native signature sizes (RFC 9580 §5.2.3.4, §5.2.3.5). */
const NATIVE_SIG_BYTES: Partial<Record<number, number>> = { [PubkeyAlgo.Ed25519]: 64, [PubkeyAlgo.Ed448]: 114 };

/** Number of MPIs in the signature of each MPI-based algorithm (RFC 9580 §5.2.3.1–§5.2.3.3). */
const SIG_MPI_COUNT: Partial<Record<number, number>> = {
  [PubkeyAlgo.RsaEncryptSign]: 1,
  [PubkeyAlgo.RsaEncryptOnly]: 1,
  [PubkeyAlgo.RsaSignOnly]: 1,
  [PubkeyAlgo.Elgamal]: 2,
  [PubkeyAlgo.Dsa]: 2,
  [PubkeyAlgo.Ecdsa]: 2,
  [PubkeyAlgo.ElgamalEncryptSign]: 2,
  [PubkeyAlgo.EdDsaLegacy]: 2,
};

/** Parse a signature packet body. Throws PacketError on anything malformed or of unknown version. */
export function parseSignature(body: Buffer): Signature {
  if (body.length < 1) throw new PacketError('truncated', 'empty signature packet');
  const version = body[0];
  if (version === 2 || version === 3) return parseV3(body);
  if (version === 4 || version === 6) return parseV4V6(body, version);
  throw new PacketError('unknown-signature-version', `unsupported signature packet version ${version}`);
}

/** RFC 4880 §5.2.2: the hashed material is exactly sigType ‖ creation time (5 octets). */
function parseV3(body: Buffer): Signature {
  // version, hashed length (5), type, time(4), issuer(8), pk algo, hash algo, left16(2)
  if (body.length < 19) throw new PacketError('truncated', 'truncated v3 signature');
  if (body[1] !== 5) throw new PacketError('bad-signature', `v3 signature hashed length ${body[1]}, expected 5`);
  const pubkeyAlgo = body[15];
  return {
    version: 3,
    sigType: body[2],
    pubkeyAlgo,
    hashAlgo: body[16],
    hashedSubpackets: body.subarray(0, 0),
    unhashedSubpackets: body.subarray(0, 0),
    created: body.readUInt32BE(3),
    issuerKeyId: body.subarray(7, 15),
    left16: body.subarray(17, 19),
    material: readMaterial(body, 19, pubkeyAlgo),
    trailer: body.subarray(2, 7),
  };
}

/** Offsets of the subpacket areas of a v4/v6 signature body (RFC 9580 §5.2.3). */
interface Areas {
  hashedStart: number;
  hashedEnd: number;
  unhashedStart: number;
  unhashedEnd: number;
}

/** RFC 9580 §5.2.3: v4 uses 2-octet area lengths, v6 4-octet ones. */
function readAreas(body: Buffer, version: number): Areas {
  const lenBytes = version === 6 ? 4 : 2;
  const readLen = (at: number) => (lenBytes === 4 ? body.readUInt32BE(at) : body.readUInt16BE(at));
  let p = 4;
  if (body.length < p + lenBytes) throw new PacketError('truncated', `truncated v${version} signature`);
  const hashedLen = readLen(p);
  p += lenBytes;
  if (hashedLen > body.length - p) throw new PacketError('truncated', 'hashed subpacket area overruns the signature');
  const hashedStart = p;
  const hashedEnd = p + hashedLen;
  p = hashedEnd;
  if (body.length < p + lenBytes) throw new PacketError('truncated', 'truncated unhashed subpacket length');
  const unhashedLen = readLen(p);
  p += lenBytes;
  if (unhashedLen > body.length - p) throw new PacketError('truncated', 'unhashed subpacket area overruns the signature');
  return { hashedStart, hashedEnd, unhashedStart: p, unhashedEnd: p + unhashedLen };
}

/** v4/v6 (RFC 9580 §5.2.3): areas, left-16, v6 salt, algorithm-specific fields. */
function parseV4V6(body: Buffer, version: number): Signature {
  const a = readAreas(body, version);
  let p = a.unhashedEnd;
  if (body.length < p + 2) throw new PacketError('truncated', 'truncated left-16 field');
  const left16 = body.subarray(p, p + 2);
  p += 2;
  let salt: Buffer | undefined;
  if (version === 6) {
    if (p >= body.length) throw new PacketError('truncated', 'truncated salt length');
    const saltLen = body[p++];
    if (saltLen > body.length - p) throw new PacketError('truncated', 'salt overruns the signature');
    salt = body.subarray(p, p + saltLen);
    p += saltLen;
  }
  const pubkeyAlgo = body[2];
  const sig: Signature = {
    version,
    sigType: body[1],
    pubkeyAlgo,
    hashAlgo: body[3],
    hashedSubpackets: body.subarray(a.hashedStart, a.hashedEnd),
    unhashedSubpackets: body.subarray(a.unhashedStart, a.unhashedEnd),
    created: 0,
    left16,
    salt,
    material: readMaterial(body, p, pubkeyAlgo),
    trailer: trailerV4V6(body, version, a.hashedEnd),
  };
  const visit = (hashed: boolean) => (type: number, at: number, end: number) => {
    const len = end - at;
    switch (type) {
      case SubpacketType.CreationTime:
        if (hashed && len === 4) sig.created = body.readUInt32BE(at);
        break;
      case SubpacketType.KeyExpirationTime:
        if (hashed && len === 4) sig.keyExpiration = body.readUInt32BE(at);
        break;
      case SubpacketType.KeyFlags:
        if (hashed) sig.keyFlags = body.subarray(at, end);
        break;
      case SubpacketType.Issuer:
        if (len === 8 && (hashed || sig.issuerKeyId === undefined)) sig.issuerKeyId = body.subarray(at, end);
        break;
      case SubpacketType.IssuerFingerprint:
        if (len >= 2 && (hashed || sig.issuerFingerprint === undefined)) {
          sig.issuerFingerprintVersion = body[at];
          sig.issuerFingerprint = body.subarray(at + 1, end);
        }
        break;
    }
  };
  walkSubpackets(body, a.hashedStart, a.hashedEnd, visit(true));
  walkSubpackets(body, a.unhashedStart, a.unhashedEnd, visit(false));
  return sig;
}

/**
 * The trailer a v4/v6 signature hashes after the signed data (RFC 9580 §5.2.4): the signature's
 * own prefix body[0, hashedEnd) (version, type, algorithms, hashed subpacket area with its length),
 * then version ‖ 0xFF ‖ 4-octet length of that prefix. go-crypto's `HashSuffix` is the same bytes
 * (policies/hockeypuck-parse.ts).
 */
export function trailerV4V6(body: Buffer, version: number, hashedEnd: number): Buffer {
  const t = Buffer.allocUnsafe(hashedEnd + 6);
  body.copy(t, 0, 0, hashedEnd);
  t[hashedEnd] = version;
  t[hashedEnd + 1] = 0xff;
  t.writeUInt32BE(hashedEnd, hashedEnd + 2);
  return t;
}

function readMaterial(body: Buffer, offset: number, pubkeyAlgo: number): SignatureMaterial {
  const native = NATIVE_SIG_BYTES[pubkeyAlgo];
  if (native !== undefined) {
    if (body.length - offset !== native) {
      throw new PacketError('bad-signature', `algorithm ${pubkeyAlgo} signature is ${body.length - offset} octets, expected ${native}`);
    }
    return { kind: 'native', bytes: body.subarray(offset) };
  }
  const count = SIG_MPI_COUNT[pubkeyAlgo];
  if (count === undefined) return { kind: 'opaque', bytes: body.subarray(offset) };
  const mpis: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const m = readMpi(body, offset);
    mpis.push(m.value);
    offset = m.next;
  }
  if (offset !== body.length) throw new PacketError('bad-signature', `${body.length - offset} stray octets after the signature MPIs`);
  return { kind: 'mpi', mpis };
}

/**
 * Walk the subpacket area body[start, end) (RFC 9580 §5.2.3.7: 1-, 2- or 5-octet length, then the
 * type octet whose top bit is the critical flag), calling `visit` with each type and the offsets
 * of its data. Hashed values win over unhashed ones; within the hashed area the last occurrence
 * wins (RFC 4880 §5.2.4.1).
 */
function walkSubpackets(body: Buffer, start: number, end: number, visit: (type: number, at: number, end: number) => void): void {
  let p = start;
  while (p < end) {
    const b0 = body[p];
    let len: number;
    if (b0 < 192) {
      len = b0;
      p += 1;
    } else if (b0 < 255) {
      if (p + 2 > end) throw new PacketError('truncated', 'truncated subpacket length');
      len = ((b0 - 192) << 8) + body[p + 1] + 192;
      p += 2;
    } else {
      if (p + 5 > end) throw new PacketError('truncated', 'truncated subpacket length');
      len = body.readUInt32BE(p + 1);
      p += 5;
    }
    if (len < 1 || len > end - p) throw new PacketError('bad-subpacket', `subpacket length ${len} does not fit its area`);
    visit(body[p] & 0x7f, p + 1, p + len);
    p += len;
  }
}

/** The signature type of a signature packet body without parsing it, or -1 for an unknown version. */
export function peekSignatureType(body: Buffer): number {
  const v = body.length > 2 ? body[0] : -1;
  return v === 2 || v === 3 ? body[2] : v === 4 || v === 6 ? body[1] : -1;
}

/**
 * Whether a signature names the given key as its issuer, read in place without parsing the rest
 * (the cheap filter that skips third-party certifications). Same rule as the parsed fields: the
 * issuer fingerprint (subpacket 33) decides if present, else the issuer key ID (subpacket 16, or
 * the v3 field). A signature naming no issuer, or too malformed to tell, answers true: the caller's
 * full parse and verification settle it.
 */
export function isIssuedBy(body: Buffer, keyId: Buffer, fingerprint: Buffer): boolean {
  const v = body.length > 0 ? body[0] : -1;
  if (v === 2 || v === 3) return body.length < 15 || sameBytes(body, 7, keyId, 8);
  if (v !== 4 && v !== 6) return true;
  let a: Areas;
  try {
    a = readAreas(body, v);
  } catch (e) {
    if (e instanceof PacketError) return true;
    throw e;
  }
  // offsets of the chosen issuer fingerprint / key ID data: hashed first, the last one within it
  let fp = -1;
  let fpEnd = -1;
  let kid = -1;
  const visit = (hashed: boolean) => (type: number, at: number, end: number) => {
    if (type === SubpacketType.IssuerFingerprint && end - at >= 2 && (hashed || fp < 0)) {
      fp = at + 1;
      fpEnd = end;
    } else if (type === SubpacketType.Issuer && end - at === 8 && (hashed || kid < 0)) kid = at;
  };
  try {
    walkSubpackets(body, a.hashedStart, a.hashedEnd, visit(true));
    walkSubpackets(body, a.unhashedStart, a.unhashedEnd, visit(false));
  } catch (e) {
    if (e instanceof PacketError) return true;
    throw e;
  }
  if (fp >= 0) return fpEnd - fp === fingerprint.length && sameBytes(body, fp, fingerprint, fingerprint.length);
  if (kid >= 0) return sameBytes(body, kid, keyId, 8);
  return true;
}

/** body[at, at + n) equals want[0, n). A plain loop: cheaper than Buffer#compare for 8–32 octets. */
function sameBytes(body: Buffer, at: number, want: Buffer, n: number): boolean {
  if (want.length < n) return false;
  for (let i = 0; i < n; i++) if (body[at + i] !== want[i]) return false;
  return true;
}
