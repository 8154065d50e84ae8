import { createHash } from 'node:crypto';
import * as Z from '../src/field';
import { D, JUST_ONE_KEY, P_DECIMAL, P_HEX, POINTS_HEX } from './vectors';

const md5 = (s: string) => createHash('md5').update(s).digest();

describe('GF(p) constants', () => {
  it('p is the SKS prime (docs/recon.md §2)', () => {
    expect(Z.P_SKS.toString()).toBe(P_DECIMAL);
    expect(Z.P_SKS.toString(16)).toBe(P_HEX);
    expect(Z.P_SKS.toString(2)).toHaveLength(129);
    expect(Z.P_SKS > 1n << 128n).toBe(true);
  });

  it('sample points are 0, −1, 1, −2, 2, −3 reduced mod p (docs/recon.md §5)', () => {
    expect(Z.samplePoints(6).map((x) => x.toString(16))).toEqual(POINTS_HEX);
    expect(Z.samplePoints(13)).toEqual([0, -1, 1, -2, 2, -3, 3, -4, 4, -5, 5, -6, 6].map((i) => Z.fromInt(i)));
    expect(Z.samplePoints(0)).toEqual([]);
  });
});

describe('GF(p) arithmetic', () => {
  const a = D[0].zz;
  const b = D[1].zz;
  const pm1 = Z.P_SKS - 1n;

  it('add/sub/neg wrap around p', () => {
    expect(Z.add(pm1, 1n)).toBe(0n);
    expect(Z.add(pm1, pm1)).toBe(Z.P_SKS - 2n);
    expect(Z.sub(0n, 1n)).toBe(pm1);
    expect(Z.sub(1n, 3n)).toBe(Z.P_SKS - 2n);
    expect(Z.neg(0n)).toBe(0n);
    expect(Z.neg(2n)).toBe(Z.P_SKS - 2n);
    expect(Z.add(a, Z.neg(a))).toBe(0n);
    expect(Z.sub(Z.add(a, b), b)).toBe(a);
  });

  it('mul/inv/div/pow agree', () => {
    expect(Z.mul(pm1, pm1)).toBe(1n);
    expect(Z.mul(a, Z.inv(a))).toBe(1n);
    expect(Z.inv(1n)).toBe(1n);
    expect(Z.inv(pm1)).toBe(pm1);
    expect(Z.inv(2n)).toBe((Z.P_SKS + 1n) / 2n);
    expect(Z.div(Z.mul(a, b), b)).toBe(a);
    expect(Z.pow(a, Z.P_SKS - 2n)).toBe(Z.inv(a)); // Fermat
    expect(Z.pow(a, Z.P_SKS - 1n)).toBe(1n);
    expect(Z.pow(a, 0n)).toBe(1n);
    expect(Z.pow(3n, 5n)).toBe(243n);
  });

  it('inverse of zero throws', () => {
    expect(() => Z.inv(0n)).toThrow(RangeError);
    expect(() => Z.div(1n, 0n)).toThrow(RangeError);
  });

  it('reduce/fromInt take any integer into [0, p)', () => {
    expect(Z.fromInt(-1)).toBe(pm1);
    expect(Z.reduce(Z.P_SKS * 3n + 5n)).toBe(5n);
    expect(Z.reduce(-Z.P_SKS * 2n - 5n)).toBe(Z.P_SKS - 5n);
    expect(Z.isElement(pm1)).toBe(true);
    expect(Z.isElement(Z.P_SKS)).toBe(false);
  });

  it('conflux TestJustOneKey: svalues of {x} are point − x', () => {
    const sv = Z.samplePoints(6).map((k) => Z.sub(k, JUST_ONE_KEY.element));
    expect(sv).toEqual(JUST_ONE_KEY.svalues);
  });

  it('conflux: adding then removing 200 elements returns every svalue to 1', () => {
    const points = Z.samplePoints(6);
    const sv = points.map(() => 1n);
    const xs = Array.from({ length: 200 }, (_, i) => 65536n + BigInt(i));
    for (const x of xs) points.forEach((k, i) => (sv[i] = Z.mul(sv[i], Z.sub(k, x))));
    expect(sv.some((v) => v !== 1n)).toBe(true);
    for (const x of xs) points.forEach((k, i) => (sv[i] = Z.div(sv[i], Z.sub(k, x))));
    expect(sv).toEqual(points.map(() => 1n));
  });
});

describe('conversions (docs/recon.md §2)', () => {
  it('MD5 key hash ↔ element is little-endian', () => {
    for (const d of D) {
      const hash = Buffer.from(d.md5, 'hex');
      expect(hash).toEqual(md5(String(d.i)));
      expect(Z.elementFromHash(hash)).toBe(d.zz);
      expect(Z.elementToHash(d.zz).toString('hex')).toBe(d.md5);
    }
  });

  it('the wire form is the hash followed by 00', () => {
    for (const d of D) {
      expect(Z.elementToBytes(d.zz).toString('hex')).toBe(`${d.md5}00`);
      expect(Z.elementFromBytes(Buffer.from(`${d.md5}00`, 'hex'))).toBe(d.zz);
    }
  });

  it('conflux byte order: 65536 is 00 00 01 then zeros', () => {
    expect(Z.elementToBytes(65536n).toString('hex')).toBe('0000010000000000000000000000000000');
    expect(Z.elementToBytes(Z.P_SKS - 1n)).toHaveLength(17);
    expect(Z.elementFromBytes(Z.elementToBytes(Z.P_SKS - 1n))).toBe(Z.P_SKS - 1n);
  });

  it('reads at an offset and rejects values ≥ p or short input', () => {
    const buf = Buffer.concat([Buffer.from('ffff', 'hex'), Z.elementToBytes(D[2].zz)]);
    expect(Z.elementFromBytes(buf, 2)).toBe(D[2].zz);
    const pBytes = Buffer.alloc(17);
    pBytes.writeBigUInt64LE(Z.P_SKS & ((1n << 64n) - 1n), 0);
    pBytes.writeBigUInt64LE((Z.P_SKS >> 64n) & ((1n << 64n) - 1n), 8);
    pBytes[16] = Number(Z.P_SKS >> 128n);
    expect(() => Z.elementFromBytes(pBytes)).toThrow(RangeError);
    expect(() => Z.elementFromBytes(Buffer.alloc(17, 0xff))).toThrow(RangeError);
    expect(() => Z.elementFromBytes(Buffer.alloc(16))).toThrow(RangeError);
    expect(() => Z.elementToBytes(Z.P_SKS)).toThrow(RangeError);
  });

  it('elementToHash refuses values that are not 128-bit', () => {
    expect(() => Z.elementToHash(1n << 128n)).toThrow(RangeError);
    expect(() => Z.elementFromHash(Buffer.alloc(17))).toThrow(RangeError);
  });
});
