/**
 * Decoding a ReconRqstPoly (docs/recon.md §8): rational-function interpolation of the
 * svalue ratios, the split check, and root finding. Pure functions over GF(p).
 *
 * `values[i]` = remote svalue / local svalue at `points[i]`, and d = remote size − local size.
 * The numerator's roots are the elements only the remote side has; the denominator's roots
 * are the elements only the local side has.
 */
import { randomFillSync } from 'node:crypto';
import * as Z from './field';
import * as Poly from './poly';
import type { Polynomial } from './poly';
import { DecodeError, LowMBarError } from './errors';

/** num/den, both monic and coprime. */
export interface RationalFunction {
  readonly num: bigint[];
  readonly den: bigint[];
}

/** The two halves of a decoded difference. */
export interface ReconcileResult {
  /** Roots of the numerator: elements the remote side (requester) has and the local side lacks. */
  readonly remoteOnly: bigint[];
  /** Roots of the denominator: elements the local side (responder) has and the remote side lacks. */
  readonly localOnly: bigint[];
}

export interface FindRootsOptions {
  /** Source of the Cantor–Zassenhaus shifts `a` (any bigint; reduced mod p). Default: node:crypto. */
  readonly random?: () => bigint;
  /** Splitting attempts per factor before giving up. Default 64 (each succeeds with probability ≥ 1/2). */
  readonly maxAttempts?: number;
}

function checkInputs(values: readonly bigint[], points: readonly bigint[], min: number): void {
  if (values.length !== points.length) throw new RangeError('decode: values and points differ in length');
  if (values.length < min) throw new RangeError(`decode: needs at least ${min} sample values`);
}

/**
 * docs/recon.md §8 step 2 on *all* given samples (mbar = values.length): solves A(k_j) = v_j·B(k_j) for
 * monic A, B of degrees ma, mb with ma − mb = d, then reduces A/B by their gcd.
 * This is SKS/conflux `interpolate`; the check point belongs to the caller (`interpolate` below).
 */
export function solveRational(values: readonly bigint[], points: readonly bigint[], d: number): RationalFunction {
  checkInputs(values, points, 1);
  const mbar = values.length;
  if (!Number.isInteger(d) || Math.abs(d) > mbar) {
    throw new LowMBarError('degree-difference', `size difference ${d} exceeds mbar ${mbar}`);
  }
  const m = (mbar + d) % 2 === 0 ? mbar : mbar - 1;
  const ma = (m + d) / 2;
  const mb = (m - d) / 2;

  // Row j: Σ a_i k^i − v Σ b_i k^i = v k^mb − k^ma; columns a_0..a_{ma−1}, b_0..b_{mb−1}, rhs.
  const rows: bigint[][] = new Array(m);
  for (let j = 0; j < m; j++) {
    const k = points[j];
    const v = values[j];
    const negV = Z.neg(v);
    const row: bigint[] = new Array(m + 1);
    let kPow = 1n;
    for (let i = 0; i < Math.max(ma, mb); i++) {
      if (i < ma) row[i] = kPow;
      if (i < mb) row[ma + i] = Z.mul(negV, kPow);
      kPow = Z.mul(kPow, k);
    }
    row[m] = Z.sub(Z.mul(v, Z.pow(k, BigInt(mb))), Z.pow(k, BigInt(ma)));
    rows[j] = row;
  }
  const x = solveLinear(rows, m);

  const a = x.slice(0, ma);
  a.push(1n);
  const b = x.slice(ma, m);
  b.push(1n);
  const g = Poly.gcd(a, b);
  return { num: Poly.divmod(a, g).quotient, den: Poly.divmod(b, g).quotient };
}

/**
 * Gauss–Jordan elimination mod p on an n × (n+1) augmented matrix (destroyed). Singular
 * systems are fine: free unknowns are set to 0, and any solution reduces to the same A/B
 * (docs/recon.md §8 step 2). Throws LowMBarError if the system has no solution.
 */
function solveLinear(rows: bigint[][], n: number): bigint[] {
  const pivotColumn: number[] = [];
  let r = 0;
  for (let col = 0; col < n && r < n; col++) {
    let pivot = r;
    while (pivot < n && rows[pivot][col] === 0n) pivot++;
    if (pivot === n) continue;
    if (pivot !== r) [rows[pivot], rows[r]] = [rows[r], rows[pivot]];
    const row = rows[r];
    const scaleBy = Z.inv(row[col]);
    for (let c = col; c <= n; c++) row[c] = Z.mul(row[c], scaleBy);
    for (let i = 0; i < n; i++) {
      const other = rows[i];
      const f = other[col];
      if (i === r || f === 0n) continue;
      for (let c = col; c <= n; c++) other[c] = Z.sub(other[c], Z.mul(f, row[c]));
    }
    pivotColumn.push(col);
    r++;
  }
  for (let i = r; i < n; i++) {
    if (rows[i][n] !== 0n) throw new LowMBarError('no-solution', 'interpolation system has no solution');
  }
  const x: bigint[] = new Array(n).fill(0n);
  for (let i = 0; i < r; i++) x[pivotColumn[i]] = rows[i][n];
  return x;
}

/**
 * docs/recon.md §8 steps 2–3: interpolates with the first values.length − 1 samples (mbar = 5
 * for SKS's six) and verifies the result at the last one. Throws LowMBarError.
 */
export function interpolate(values: readonly bigint[], points: readonly bigint[], d: number): RationalFunction {
  checkInputs(values, points, 2);
  const last = values.length - 1;
  const rf = solveRational(values.slice(0, last), points.slice(0, last), d);
  const k = points[last];
  const denAt = Poly.evaluate(rf.den, k);
  if (denAt === 0n || Poly.evaluate(rf.num, k) !== Z.mul(values[last], denAt)) {
    throw new LowMBarError('check-point', 'interpolated function does not match the check point');
  }
  return rf;
}

/**
 * SKS `factor_check`: f of degree ≥ 2 passes only if z^p − z ≡ 0 (mod f), i.e. f is a product
 * of distinct linear factors. (conflux accepts any constant remainder; docs/recon.md §8 step 4.)
 */
export function factorCheck(f: Polynomial): boolean {
  if (f.length <= 2) return true;
  const zp = Poly.zPowModF(f);
  // For deg f ≥ 2, z mod f = z, so the check is z^p mod f == z.
  return zp.length === 2 && zp[0] === 0n && zp[1] === 1n;
}

const HALF_P = (Z.P_SKS - 1n) / 2n;
/** p ≡ 3 (mod 4), so a square s has the root s^((p+1)/4). */
const SQRT_EXP = (Z.P_SKS + 1n) / 4n;
const INV2 = Z.inv(2n);
const Z_POLY: Polynomial = [0n, 1n];

function cryptoRandomElement(): bigint {
  const buf = Buffer.allocUnsafe(24);
  randomFillSync(buf);
  return Z.reduce(buf.readBigUInt64LE(0) | (buf.readBigUInt64LE(8) << 64n) | (buf.readBigUInt64LE(16) << 128n));
}

/** The two distinct roots of the monic z² + bz + c, or undefined if it has none (a square or irreducible). */
function quadraticRoots(f: Polynomial): [bigint, bigint] | undefined {
  const c = f[0] ?? 0n;
  const b = f[1];
  const disc = Z.sub(Z.mul(b, b), Z.mul(4n, c));
  if (disc === 0n) return undefined;
  const s = Z.pow(disc, SQRT_EXP);
  if (Z.mul(s, s) !== disc) return undefined;
  return [Z.mul(Z.sub(s, b), INV2), Z.mul(Z.sub(Z.neg(b), s), INV2)];
}

/**
 * The roots of f, which must be a product of distinct linear factors (check with `factorCheck`).
 * Degree 2 is solved with the quadratic formula; higher degrees by Cantor–Zassenhaus
 * equal-degree splitting: gcd(f, (z + a)^((p−1)/2) − 1) separates the roots r with r + a a
 * square from the others. Bounded: throws DecodeError('root-finding') if a factor will not split
 * within `maxAttempts` random shifts (f has a repeated or a non-linear factor). Sorted ascending.
 */
export function findRoots(f: Polynomial, options: FindRootsOptions = {}): bigint[] {
  if (f.length === 0) throw new RangeError('findRoots: the zero polynomial');
  return rootsOf([Poly.monic(f)], options);
}

/** Splits the monic factors in `pending` down to their roots, sorted ascending. */
function rootsOf(pending: Polynomial[], options: FindRootsOptions): bigint[] {
  const roots: bigint[] = [];
  while (pending.length > 0) splitOnce(pending.pop()!, pending, roots, options);
  return roots.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Takes the roots of g of degree ≤ 2, or pushes a nontrivial factorisation of g onto `pending`. */
function splitOnce(g: Polynomial, pending: Polynomial[], roots: bigint[], options: FindRootsOptions): void {
  const n = g.length - 1;
  if (n === 0) return;
  if (n === 1) {
    roots.push(Z.neg(g[0]));
    return;
  }
  if (n === 2) {
    const pair = quadraticRoots(g);
    if (!pair) throw new DecodeError('root-finding', 'a quadratic factor has no two distinct roots');
    roots.push(...pair);
    return;
  }
  const random = options.random ?? cryptoRandomElement;
  const maxAttempts = options.maxAttempts ?? 64;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (splitWith(g, Poly.powLinearMod(Z.reduce(random()), HALF_P, g), pending)) return;
  }
  throw new DecodeError('root-finding', `no split of a degree-${n} factor in ${maxAttempts} attempts`);
}

/** Pushes gcd(g, h − 1) and its cofactor if that splits g nontrivially. */
function splitWith(g: Polynomial, h: Polynomial, pending: Polynomial[]): boolean {
  const factor = Poly.gcd(g, Poly.sub(h, [1n]));
  if (factor.length <= 1 || factor.length >= g.length) return false;
  pending.push(factor, Poly.divmod(g, factor).quotient);
  return true;
}

/**
 * SKS's strict split check (z^p ≡ z mod f) fused with the first root-finding step, for speed:
 * z^p = z·(z^((p−1)/2))², and z^((p−1)/2) is also the Cantor–Zassenhaus split with a = 0.
 * For degree 2 the check is the discriminant being a non-zero square. Throws LowMBarError.
 */
function checkedRoots(f: Polynomial, options: FindRootsOptions | undefined): bigint[] {
  const n = f.length - 1;
  try {
    if (n <= 2) return findRoots(f, options);
    const h = Poly.zPowModF(f, HALF_P);
    if (!Poly.equals(Poly.mulMod(Poly.mulMod(h, h, f), Z_POLY, f), Z_POLY)) {
      throw new DecodeError('factor-check', 'interpolated polynomial does not split into distinct roots');
    }
    const pending: Polynomial[] = [];
    if (!splitWith(f, h, pending)) pending.push(f);
    return rootsOf(pending, options ?? {});
  } catch (err) {
    if (err instanceof DecodeError && !(err instanceof LowMBarError)) {
      throw new LowMBarError(n <= 2 ? 'factor-check' : err.reason, err.message);
    }
    throw err;
  }
}

/**
 * Decodes a ReconRqstPoly (docs/recon.md §8): interpolation, check point, SKS's strict split check
 * (the same condition as `factorCheck`, computed together with the roots), roots.
 * Throws LowMBarError for every failure, including |d| > mbar (as SKS does), so a caller can
 * map it straight to SyncFail. Both result lists are sorted ascending.
 */
export function reconcile(
  values: readonly bigint[],
  points: readonly bigint[],
  d: number,
  options?: FindRootsOptions,
): ReconcileResult {
  const { num, den } = interpolate(values, points, d);
  return { remoteOnly: checkedRoots(num, options), localOnly: checkedRoots(den, options) };
}
