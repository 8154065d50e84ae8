/**
 * Cheap limits checked before any signature is verified (docs/operations.md §13): sizes and counts
 * read off the packets in linear time, so that a key built to be expensive is refused before the
 * expensive work. A key over a limit is refused whole (LimitError with a reason), never stored
 * trimmed: a trimmed key would have another SKS hash than its peers' copy, and recon would fetch
 * it again every session (docs/sks-key-hash.md §4).
 *
 * Only the primary key's material is bounded: it is the one key this server verifies with, once
 * per checked self-signature. Subkey material is stored but never used here.
 */
import { LimitError, PgpError } from './errors';
import { readMpi } from './fingerprint';
import { KeyComponent, PublicKey } from './key';
import { Tag } from './packet';
import { PubkeyAlgo } from './signature';
import { keyMaterial } from './verify/pubkey';

export interface KeyShapeLimits {
  /** most bytes in a User ID packet (GnuPG refuses more than 2 KiB when parsing) */
  maxUserIdBytes: number;
  /** most signatures on one component: the primary (direct), a User ID or attribute, a subkey */
  maxSigsPerComponent: number;
  /** most bytes in the primary key packet (GnuPG: 256 KiB); it is hashed into every self-signature */
  maxKeyPacketBytes: number;
  /** largest RSA modulus of the primary key, bits (OpenSSL verifies up to 16384) */
  maxRsaBits: number;
  /** largest DSA prime p of the primary key, bits (FIPS 186 and GnuPG stop at 3072; each check costs more with p) */
  maxDsaBits: number;
}

export const DEFAULT_KEY_SHAPE_LIMITS: KeyShapeLimits = {
  maxUserIdBytes: 2048,
  maxSigsPerComponent: 5000,
  maxKeyPacketBytes: 256 * 1024,
  maxRsaBits: 16384,
  maxDsaBits: 4096,
};

/**
 * The largest RSA public exponent accepted: 2^32+1. Real keys use 65537 (a few old ones 3, 17,
 * 41 or 32-bit values); a big exponent only makes each verification slower (a 3070-bit one about
 * a hundred times), so nobody needs more.
 */
export const MAX_RSA_EXPONENT = 2n ** 32n + 1n;

/** Throws LimitError if `key` is over one of `limits`. Linear in the key's size. */
export function checkKeyShape(key: PublicKey, limits: KeyShapeLimits = DEFAULT_KEY_SHAPE_LIMITS): void {
  if (key.primary.body.length > limits.maxKeyPacketBytes) {
    throw new LimitError('key-packet-too-large', `the primary key packet has ${key.primary.body.length} bytes, over the limit of ${limits.maxKeyPacketBytes}`);
  }
  checkSigCount('the primary key', key.directSigs.length, limits);
  key.uids.forEach((c, i) => {
    if (c.packet.tag === Tag.UserId && c.packet.body.length > limits.maxUserIdBytes) {
      throw new LimitError('user-id-too-long', `User ID ${i + 1} has ${c.packet.body.length} bytes, over the limit of ${limits.maxUserIdBytes}`);
    }
    checkSigCount(componentName('User ID', i, c), c.sigs.length, limits);
  });
  key.subkeys.forEach((c, i) => checkSigCount(componentName('subkey', i, c), c.sigs.length, limits));
  checkMaterial(key.primary.body, limits);
}

function componentName(kind: string, i: number, c: KeyComponent): string {
  return c.packet.tag === Tag.UserAttribute ? `User Attribute ${i + 1}` : `${kind} ${i + 1}`;
}

function checkSigCount(what: string, n: number, limits: KeyShapeLimits) {
  if (n > limits.maxSigsPerComponent) {
    throw new LimitError('too-many-signatures', `${what} has ${n} signatures, over the limit of ${limits.maxSigsPerComponent}`);
  }
}

/** RSA modulus and exponent, DSA p of a key packet body; malformed material is left to verification. */
function checkMaterial(body: Buffer, limits: KeyShapeLimits) {
  let algo: number;
  let m: Buffer;
  try {
    ({ algo, material: m } = keyMaterial(body));
  } catch (e) {
    if (e instanceof PgpError) return;
    throw e;
  }
  if (algo === PubkeyAlgo.RsaEncryptSign || algo === PubkeyAlgo.RsaSignOnly || algo === PubkeyAlgo.RsaEncryptOnly) {
    const n = mpiBits(m, 0);
    if (n === undefined) return;
    if (n.bits > limits.maxRsaBits) throw new LimitError('rsa-modulus-too-large', `the RSA modulus has ${n.bits} bits, over the limit of ${limits.maxRsaBits}`);
    const e = mpiBits(m, n.next);
    if (e === undefined) return;
    if (e.bits > 33 || BigInt('0x' + (e.value.toString('hex') || '0')) > MAX_RSA_EXPONENT) {
      throw new LimitError('rsa-exponent-too-large', `the RSA public exponent has ${e.bits} bits, over the limit of 2^32+1`);
    }
  } else if (algo === PubkeyAlgo.Dsa) {
    const p = mpiBits(m, 0);
    if (p !== undefined && p.bits > limits.maxDsaBits) throw new LimitError('dsa-prime-too-large', `the DSA prime p has ${p.bits} bits, over the limit of ${limits.maxDsaBits}`);
  }
}

/** An MPI's value and its real bit length (leading zeros not counted), or undefined if truncated. */
function mpiBits(m: Buffer, offset: number): { value: Buffer; bits: number; next: number } | undefined {
  let mpi;
  try {
    mpi = readMpi(m, offset);
  } catch (e) {
    if (e instanceof PgpError) return undefined;
    throw e;
  }
  let i = 0;
  const v = mpi.value;
  while (i < v.length && v[i] === 0) i++;
  const value = v.subarray(i);
  const bits = value.length === 0 ? 0 : (value.length - 1) * 8 + (32 - Math.clz32(value[0]));
  return { value, bits, next: mpi.next };
}
