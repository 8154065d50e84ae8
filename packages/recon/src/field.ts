/**
 * GF(p) for SKS recon (docs/recon.md §2; sample points §5), on native `bigint`.
 *
 * Elements are plain bigints in [0, p). The arithmetic functions assume reduced inputs and
 * return reduced outputs; `reduce` brings any integer into range. The modulus is fixed to
 * P_SKS: recon never uses another one, and a constant keeps every operation allocation-light.
 */

/** The SKS prime, 129 bits (SKS `rMisc.ml` order_string, conflux `P_SKS`). */
export const P_SKS = 530512889551602322505127520352579437339n;

/** Bytes of a field element on the wire: exactly 17, little-endian (docs/recon.md §2). */
export const ELEMENT_BYTES = 17;

/** Bytes of an element's source hash: the 16-byte MD5 SKS key hash (docs/recon.md §2). */
export const HASH_BYTES = 16;

const P = P_SKS;
const MASK64 = (1n << 64n) - 1n;
const TWO_128 = 1n << 128n;

/** A Buffer view of the bytes (no copy, and no new object when it already is one). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Any integer reduced into [0, p). */
export function reduce(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

/** A small integer (e.g. a sample point such as −3) as a field element. */
export function fromInt(n: number | bigint): bigint {
  return reduce(BigInt(n));
}

/** True if x is a reduced field element. */
export function isElement(x: bigint): boolean {
  return x >= 0n && x < P;
}

export function add(a: bigint, b: bigint): bigint {
  const s = a + b;
  return s >= P ? s - P : s;
}

export function sub(a: bigint, b: bigint): bigint {
  const s = a - b;
  return s < 0n ? s + P : s;
}

export function neg(a: bigint): bigint {
  return a === 0n ? 0n : P - a;
}

export function mul(a: bigint, b: bigint): bigint {
  return (a * b) % P;
}

/** Multiplicative inverse by the extended Euclidean algorithm. Throws RangeError for 0. */
export function inv(a: bigint): bigint {
  if (a === 0n) throw new RangeError('GF(p): inverse of zero');
  let r0 = P;
  let r1 = a;
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const t2 = t0 - q * t1;
    t0 = t1;
    t1 = t2;
  }
  return t0 < 0n ? t0 + P : t0;
}

/** a / b. Throws RangeError if b is 0. */
export function div(a: bigint, b: bigint): bigint {
  return mul(a, inv(b));
}

/** a^e for e ≥ 0, square-and-multiply. */
export function pow(a: bigint, e: bigint): bigint {
  if (e < 0n) throw new RangeError('GF(p): negative exponent');
  let result = 1n;
  let base = a;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % P;
    base = (base * base) % P;
    e >>= 1n;
  }
  return result;
}

/** The element of a 16-byte MD5 SKS key hash: the hash read as a little-endian integer (docs/recon.md §2). */
export function elementFromHash(hash: Uint8Array): bigint {
  if (hash.length !== HASH_BYTES) throw new RangeError(`GF(p): a key hash has ${HASH_BYTES} bytes, got ${hash.length}`);
  const b = asBuffer(hash);
  return b.readBigUInt64LE(0) | (b.readBigUInt64LE(8) << 64n);
}

/** The 16-byte key hash of an element (the first 16 bytes of its wire form). Throws if x ≥ 2^128. */
export function elementToHash(x: bigint): Buffer {
  if (x < 0n || x >= TWO_128) throw new RangeError('GF(p): element is not a 128-bit key hash');
  const out = Buffer.allocUnsafe(HASH_BYTES);
  out.writeBigUInt64LE(x & MASK64, 0);
  out.writeBigUInt64LE(x >> 64n, 8);
  return out;
}

/** Writes the 17-byte little-endian wire form of x into `out` at `offset` (docs/recon.md §2). */
export function writeElement(x: bigint, out: Uint8Array, offset = 0): void {
  if (!isElement(x)) throw new RangeError('GF(p): value out of range');
  const b = asBuffer(out);
  b.writeBigUInt64LE(x & MASK64, offset);
  b.writeBigUInt64LE((x >> 64n) & MASK64, offset + 8);
  b[offset + 16] = Number(x >> 128n);
}

/** The 17-byte little-endian wire form of x (docs/recon.md §2); a key hash becomes `d[0..15] || 00`. */
export function elementToBytes(x: bigint): Buffer {
  const out = Buffer.allocUnsafe(ELEMENT_BYTES);
  writeElement(x, out, 0);
  return out;
}

/** Reads a 17-byte little-endian element at `offset`. Throws RangeError if the value is ≥ p. */
export function elementFromBytes(bytes: Uint8Array, offset = 0): bigint {
  if (offset < 0 || offset + ELEMENT_BYTES > bytes.length) throw new RangeError('GF(p): element needs 17 bytes');
  const b = asBuffer(bytes);
  const x = b.readBigUInt64LE(offset) | (b.readBigUInt64LE(offset + 8) << 64n) | (BigInt(b[offset + 16]) << 128n);
  if (x >= P) throw new RangeError('GF(p): element value is not below p');
  return x;
}

/** Sample point i: 0, −1, 1, −2, 2, −3, … reduced mod p (docs/recon.md §5; SKS `zZp.ml` points). */
export function samplePoint(i: number): bigint {
  const magnitude = BigInt((i + 1) >> 1);
  return i % 2 === 0 ? magnitude : neg(magnitude);
}

/** The first n sample points (n = mbar + 1 = 6 for SKS). */
export function samplePoints(n: number): bigint[] {
  const points: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) points[i] = samplePoint(i);
  return points;
}
