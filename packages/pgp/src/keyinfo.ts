/**
 * What a public-key packet says about itself (RFC 9580 §5.5.2): version, creation time,
 * algorithm and size, as HKP indexes show them (docs/hkp.md §4: the `pub:` line's algo and bits).
 */
import { readMpi } from './fingerprint';

export interface PublicKeyInfo {
  version: number;
  /** seconds since the epoch */
  created: number;
  /** public-key algorithm ID (RFC 9580 §9.1) */
  algo: number;
  /** key size in bits: modulus or prime size, curve size; 0 if unknown */
  bits: number;
  /** v3 keys: validity period in days (0: none) */
  v3ValidDays?: number;
}

/** Curve OIDs (hex of the DER body) and their sizes in bits. */
const CURVE_BITS: Record<string, number> = {
  '2a8648ce3d030107': 256, // NIST P-256
  '2b81040022': 384, // NIST P-384
  '2b81040023': 521, // NIST P-521
  '2b8104000a': 256, // secp256k1
  '2b2403030208010107': 256, // brainpoolP256r1
  '2b240303020801010b': 384, // brainpoolP384r1
  '2b240303020801010d': 512, // brainpoolP512r1
  '2b06010401da470f01': 256, // Ed25519 (legacy EdDSA)
  '2b060104019755010501': 256, // Curve25519 (legacy ECDH)
  '2b6570': 256, // X25519 / Ed25519 as OIDs
  '2b6571': 448,
};

const NATIVE_BITS: Record<number, number> = { 25: 256, 26: 448, 27: 256, 28: 448 };

/** Describe a key packet body; never throws (unknown or malformed fields give 0). */
export function publicKeyInfo(body: Buffer): PublicKeyInfo {
  const version = body.length > 0 ? body[0] : 0;
  const created = body.length >= 5 ? body.readUInt32BE(1) : 0;
  const info: PublicKeyInfo = { version, created, algo: 0, bits: 0 };
  try {
    let at: number;
    if (version === 2 || version === 3) {
      info.v3ValidDays = body.readUInt16BE(5);
      at = 7;
    } else if (version === 4) at = 5;
    else if (version === 5 || version === 6) at = 5; // the 4-octet material length follows the algorithm
    else return info;
    info.algo = body[at];
    const material = version >= 5 ? at + 5 : at + 1;
    info.bits = keyBits(info.algo, body, material);
  } catch {
    // truncated material: size unknown
  }
  return info;
}

function keyBits(algo: number, body: Buffer, at: number): number {
  switch (algo) {
    case 1:
    case 2:
    case 3:
    case 16:
    case 17:
    case 20:
      return mpiBits(body, at);
    case 18:
    case 19:
    case 22: {
      const len = body[at];
      return CURVE_BITS[body.subarray(at + 1, at + 1 + len).toString('hex')] ?? 0;
    }
    default:
      return NATIVE_BITS[algo] ?? 0;
  }
}

function mpiBits(body: Buffer, at: number): number {
  readMpi(body, at); // bounds check
  return body.readUInt16BE(at);
}
