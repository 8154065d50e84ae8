import { factorCheck, findRoots, interpolate, reconcile, solveRational } from '../src/decode';
import { DecodeError, LowMBarError } from '../src/errors';
import * as Z from '../src/field';
import * as Poly from '../src/poly';
import {
  AB_DEN,
  AB_NUM,
  CANNED_INTERPOLATION,
  CANNED_RECONCILE,
  D,
  EVALUATION_AT_MINUS_7,
  FACTOR_CHECK,
  LOW_MBAR,
  SV_A,
  SV_B,
} from './vectors';

const POINTS = Z.samplePoints(6);
const ascending = (xs: Iterable<bigint>) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Root svalues of a set: Π (point − x) (docs/recon.md §5). */
function svalues(set: Iterable<bigint>, points: readonly bigint[] = POINTS): bigint[] {
  const sv = points.map(() => 1n);
  for (const x of set) points.forEach((k, i) => (sv[i] = Z.mul(sv[i], Z.sub(k, x))));
  return sv;
}

const ratio = (remote: readonly bigint[], local: readonly bigint[]) => remote.map((r, i) => Z.div(r, local[i]));

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random 128-bit element (an MD5-like hash), never a sample point in practice. */
function randomElement(rnd: () => number): bigint {
  let x = 0n;
  for (let i = 0; i < 4; i++) x = (x << 32n) | BigInt(Math.floor(rnd() * 4294967296));
  return x;
}

const [d1, d2, d3, d4, d5, d6] = D.map((d) => d.zz);
const A = [d1, d2, d3, d4, d5];
const B = [d1, d2, d3, d6];

describe('vectors.ts: A = {d1..d5} vs B = {d1, d2, d3, d6}', () => {
  it('root svalues are the products of (point − x)', () => {
    expect(svalues(A)).toEqual(SV_A);
    expect(svalues(B)).toEqual(SV_B);
  });

  it('interpolation with d = +1 gives the stated num and den', () => {
    const rf = interpolate(ratio(SV_A, SV_B), POINTS, 1);
    expect(rf.num).toEqual(AB_NUM);
    expect(rf.den).toEqual(AB_DEN);
    expect(AB_NUM).toEqual(Poly.fromRoots([d4, d5]));
    expect(AB_DEN).toEqual(Poly.fromRoots([d6]));
  });

  it('reconcile: roots {d4, d5} only in A (remote) and {d6} only in B (local)', () => {
    expect(reconcile(ratio(SV_A, SV_B), POINTS, 1)).toEqual({ remoteOnly: ascending([d4, d5]), localOnly: [d6] });
  });

  it('the other direction swaps the roles', () => {
    expect(reconcile(ratio(SV_B, SV_A), POINTS, -1)).toEqual({ remoteOnly: [d6], localOnly: ascending([d4, d5]) });
  });

  it('equal sets decode to nothing', () => {
    expect(reconcile(ratio(SV_A, SV_A), POINTS, 0)).toEqual({ remoteOnly: [], localOnly: [] });
  });
});

describe('conflux decode vectors (p = P_SKS)', () => {
  it('TestCannedInterpolation: 13 samples, d = −11', () => {
    const points = Z.samplePoints(13);
    const rf = solveRational(CANNED_INTERPOLATION.values, points, CANNED_INTERPOLATION.d);
    // The coefficients first written down for this vector (a few, abbreviated) …
    expect(rf.num).toEqual([201510631159794911579036209221877731351n, 1n]);
    expect(rf.den).toHaveLength(13);
    expect(rf.den[0]).toBe(471406228141421561633415986254867829648n);
    expect(rf.den[1]).toBe(295519390096665634601203803035473291375n);
    expect(rf.den[11]).toBe(129168611341530605578585909520009112853n);
    expect(rf.den[12]).toBe(1n);
    // … and in full, as in decode_test.go.
    expect(rf.num).toEqual(CANNED_INTERPOLATION.num);
    expect(rf.den).toEqual(CANNED_INTERPOLATION.den);
  });

  it('TestCannedInterpolation with TestPolyNomNomNom as the check point (z = −7)', () => {
    const values = [...CANNED_INTERPOLATION.values, EVALUATION_AT_MINUS_7.ratio];
    const rf = interpolate(values, Z.samplePoints(14), CANNED_INTERPOLATION.d);
    expect(rf).toEqual({ num: CANNED_INTERPOLATION.num, den: CANNED_INTERPOLATION.den });
    values[13] = Z.add(values[13], 1n);
    expect(() => interpolate(values, Z.samplePoints(14), CANNED_INTERPOLATION.d)).toThrow(LowMBarError);
  });

  it('TestCannedReconcile: 21 samples, d = 10 − 5', () => {
    const result = reconcile(CANNED_RECONCILE.values, Z.samplePoints(21), CANNED_RECONCILE.d);
    expect(result.remoteOnly).toEqual(CANNED_RECONCILE.set1);
    expect(result.localOnly).toEqual(CANNED_RECONCILE.set2);
  });

  it('TestLowMBar: 8 samples, d = 3 → LowMBarError', () => {
    expect(() => reconcile(LOW_MBAR.values, Z.samplePoints(8), LOW_MBAR.d)).toThrow(LowMBarError);
  });

  it('TestFactorCheck: z² + 117…812·z + 239…658 passes', () => {
    expect(factorCheck(FACTOR_CHECK)).toBe(true);
  });
});

describe('interpolate and reconcile edge cases', () => {
  it('|d| > mbar is low mbar (as SKS maps Interpolation_failure)', () => {
    const err = (() => {
      try {
        reconcile(ratio(SV_A, SV_B), POINTS, 6);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LowMBarError);
    expect((err as LowMBarError).reason).toBe('degree-difference');
    expect(() => reconcile(ratio(SV_A, SV_B), POINTS, -6)).toThrow(LowMBarError);
  });

  it('a wrong size difference fails the check point', () => {
    expect(() => reconcile(ratio(SV_A, SV_B), POINTS, 3)).toThrow(LowMBarError);
  });

  it('mismatched or too few inputs are programming errors', () => {
    expect(() => interpolate([1n], [0n], 0)).toThrow(RangeError);
    expect(() => interpolate([1n, 1n], [0n], 0)).toThrow(RangeError);
  });

  it('decodes the full capacity: 5 differences, and 4 when 5 + d is odd', () => {
    const rnd = prng(7);
    const common = Array.from({ length: 40 }, () => randomElement(rnd));
    for (const [onlyRemote, onlyLocal] of [[5, 0], [0, 5], [3, 2], [2, 3], [4, 1], [2, 2], [4, 0], [1, 3]]) {
      const r = Array.from({ length: onlyRemote }, () => randomElement(rnd));
      const l = Array.from({ length: onlyLocal }, () => randomElement(rnd));
      const values = ratio(svalues([...common, ...r]), svalues([...common, ...l]));
      expect(reconcile(values, POINTS, onlyRemote - onlyLocal)).toEqual({ remoteOnly: ascending(r), localOnly: ascending(l) });
    }
  });

  it('3 + 2 with an even parity split is beyond capacity: 2 + 2 + 1 = 5 fits, 3 + 3 does not', () => {
    const rnd = prng(8);
    const r = Array.from({ length: 3 }, () => randomElement(rnd));
    const l = Array.from({ length: 3 }, () => randomElement(rnd));
    expect(() => reconcile(ratio(svalues(r), svalues(l)), POINTS, 0)).toThrow(LowMBarError);
  });
});

describe('factorCheck and findRoots', () => {
  // A quadratic non-residue n makes z² − n irreducible.
  const nonResidue = (() => {
    for (let n = 2n; ; n++) if (Z.pow(n, (Z.P_SKS - 1n) / 2n) === Z.P_SKS - 1n) return n;
  })();
  const irreducible = [Z.neg(nonResidue), 0n, 1n];

  it('rejects polynomials that do not split into distinct linear factors', () => {
    expect(factorCheck(irreducible)).toBe(false);
    expect(factorCheck(Poly.fromRoots([d1, d1]))).toBe(false); // repeated root
    expect(factorCheck(Poly.mul(Poly.fromRoots([d1, d2]), irreducible))).toBe(false);
    expect(factorCheck(Poly.fromRoots([d1, d2, d3]))).toBe(true);
    expect(factorCheck([5n, 1n])).toBe(true);
    expect(factorCheck([1n])).toBe(true);
  });

  it('finds all roots of a split polynomial, with crypto or injected randomness', () => {
    const roots = ascending([d1, d2, d3, d4, d5, d6, 0n, Z.P_SKS - 1n]);
    const f = Poly.scale(Poly.fromRoots(roots), 12345n);
    expect(findRoots(f)).toEqual(roots);
    let a = 0n;
    expect(findRoots(f, { random: () => a++ })).toEqual(roots);
    expect(findRoots([7n])).toEqual([]);
    expect(findRoots([Z.neg(d1), 1n])).toEqual([d1]);
  });

  it('terminates with DecodeError when there is nothing to split', () => {
    expect(() => findRoots(irreducible, { maxAttempts: 20 })).toThrow(DecodeError);
    expect(() => findRoots(Poly.fromRoots([d1, d1]), { maxAttempts: 20 })).toThrow(DecodeError);
    // A shift a with d1 + a, d2 + a, d3 + a all squares (or all not) never splits: bounded, not an endless loop.
    const isSquare = (x: bigint) => Z.pow(x, (Z.P_SKS - 1n) / 2n) === 1n;
    let a = 0n;
    while (!(isSquare(Z.add(d1, a)) === isSquare(Z.add(d2, a)) && isSquare(Z.add(d2, a)) === isSquare(Z.add(d3, a)))) a++;
    expect(() => findRoots(Poly.fromRoots([d1, d2, d3]), { random: () => a, maxAttempts: 3 })).toThrow(/no split of a degree-3 factor in 3 attempts/);
    // (z − d1)·(irreducible quadratic): the linear factor splits off, the quadratic has no roots.
    expect(() => findRoots(Poly.mul(Poly.fromRoots([d1]), irreducible))).toThrow(DecodeError);
  });
});

describe('randomized: svalues → reconcile recovers exactly the differences', () => {
  it('up to 5 differences on sets of up to ~60 elements', () => {
    const rnd = prng(20261122);
    for (let trial = 0; trial < 300; trial++) {
      const common = Array.from({ length: Math.floor(rnd() * 56) }, () => randomElement(rnd));
      const diffs = Math.floor(rnd() * 6);
      const nRemote = Math.floor(rnd() * (diffs + 1));
      const remoteOnly = Array.from({ length: nRemote }, () => randomElement(rnd));
      const localOnly = Array.from({ length: diffs - nRemote }, () => randomElement(rnd));
      const remote = [...common, ...remoteOnly];
      const local = [...common, ...localOnly];
      const values = ratio(svalues(remote), svalues(local));
      expect(reconcile(values, POINTS, remote.length - local.length)).toEqual({
        remoteOnly: ascending(remoteOnly),
        localOnly: ascending(localOnly),
      });
    }
  });

  it('more than mbar differences throws LowMBarError and never returns a wrong answer', () => {
    const rnd = prng(42);
    for (let trial = 0; trial < 200; trial++) {
      const common = Array.from({ length: Math.floor(rnd() * 50) }, () => randomElement(rnd));
      const diffs = 6 + Math.floor(rnd() * 10);
      const nRemote = Math.floor(rnd() * (diffs + 1));
      const remoteOnly = Array.from({ length: nRemote }, () => randomElement(rnd));
      const localOnly = Array.from({ length: diffs - nRemote }, () => randomElement(rnd));
      const values = ratio(svalues([...common, ...remoteOnly]), svalues([...common, ...localOnly]));
      let result;
      try {
        result = reconcile(values, POINTS, nRemote - (diffs - nRemote));
      } catch (err) {
        expect(err).toBeInstanceOf(LowMBarError);
        continue;
      }
      // Only acceptable if it is exactly right (impossible beyond capacity, but check the claim).
      expect(result).toEqual({ remoteOnly: ascending(remoteOnly), localOnly: ascending(localOnly) });
    }
  });

  it('decodes 5 differences fast', () => {
    const rnd = prng(5);
    const cases = Array.from({ length: 100 }, () => {
      const r = Array.from({ length: 3 }, () => randomElement(rnd));
      const l = Array.from({ length: 2 }, () => randomElement(rnd));
      return ratio(svalues(r), svalues(l));
    });
    const t0 = process.hrtime.bigint();
    for (const values of cases) expect(reconcile(values, POINTS, 1).remoteOnly).toHaveLength(3);
    const msPerDecode = Number(process.hrtime.bigint() - t0) / 1e6 / cases.length;
    expect(msPerDecode).toBeLessThan(20);
  });
});
