/**
 * Polynomials over GF(p) (docs/recon.md §8), as arrays of coefficients in ascending degree.
 *
 * Every function returns a normalised polynomial: coefficients reduced mod p and no trailing
 * zeros, so the zero polynomial is `[]` and `f.length - 1` is the true degree. Inputs are
 * expected normalised too (`fromCoefficients` makes them so). Results are fresh arrays.
 */
import * as Z from './field';

const P = Z.P_SKS;

/** A polynomial: `f[i]` is the coefficient of z^i. */
export type Polynomial = readonly bigint[];

/** Reduces and trims arbitrary integer coefficients (ascending degree). */
export function fromCoefficients(coefficients: ReadonlyArray<bigint | number>): bigint[] {
  return trim(coefficients.map((c) => Z.reduce(BigInt(c))));
}

/** Drops trailing zero coefficients in place. */
function trim(c: bigint[]): bigint[] {
  let n = c.length;
  while (n > 0 && c[n - 1] === 0n) n--;
  c.length = n;
  return c;
}

/** Degree as conflux and SKS report it: the zero polynomial has degree 0. */
export function degree(f: Polynomial): number {
  return f.length === 0 ? 0 : f.length - 1;
}

export function isZero(f: Polynomial): boolean {
  return f.length === 0;
}

export function equals(a: Polynomial, b: Polynomial): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** f(x) by Horner's rule. */
export function evaluate(f: Polynomial, x: bigint): bigint {
  let acc = 0n;
  for (let i = f.length - 1; i >= 0; i--) acc = (acc * x + f[i]) % P;
  return acc;
}

export function add(a: Polynomial, b: Polynomial): bigint[] {
  const out: bigint[] = new Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = Z.add(a[i] ?? 0n, b[i] ?? 0n);
  return trim(out);
}

export function sub(a: Polynomial, b: Polynomial): bigint[] {
  const out: bigint[] = new Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = Z.sub(a[i] ?? 0n, b[i] ?? 0n);
  return trim(out);
}

/** c·f for a field element c. */
export function scale(f: Polynomial, c: bigint): bigint[] {
  return trim(f.map((x) => Z.mul(x, c)));
}

export function mul(a: Polynomial, b: Polynomial): bigint[] {
  if (a.length === 0 || b.length === 0) return [];
  const out: bigint[] = new Array(a.length + b.length - 1).fill(0n);
  // Sums stay unreduced (at most min(deg)+1 products of 258 bits) and are reduced once.
  for (let i = 0; i < a.length; i++) {
    const ai = a[i];
    if (ai === 0n) continue;
    for (let j = 0; j < b.length; j++) out[i + j] += ai * b[j];
  }
  for (let k = 0; k < out.length; k++) out[k] %= P;
  return trim(out);
}

/** f scaled so that its leading coefficient is 1 (the zero polynomial stays zero). */
export function monic(f: Polynomial): bigint[] {
  if (f.length === 0 || f[f.length - 1] === 1n) return f.slice();
  return scale(f, Z.inv(f[f.length - 1]));
}

/** Long division: a = quotient·b + remainder with deg(remainder) < deg(b). Throws for b = 0. */
export function divmod(a: Polynomial, b: Polynomial): { quotient: bigint[]; remainder: bigint[] } {
  if (b.length === 0) throw new RangeError('polynomial division by zero');
  const n = b.length - 1;
  const r = a.slice();
  if (r.length <= n) return { quotient: [], remainder: r };
  const leadInv = Z.inv(b[n]);
  const q: bigint[] = new Array(r.length - n).fill(0n);
  for (let i = r.length - 1; i >= n; i--) {
    if (r[i] === 0n) continue;
    const c = Z.mul(r[i], leadInv);
    q[i - n] = c;
    for (let j = 0; j <= n; j++) r[i - n + j] = Z.sub(r[i - n + j], Z.mul(c, b[j]));
  }
  r.length = n;
  return { quotient: trim(q), remainder: trim(r) };
}

/** a mod b. */
export function mod(a: Polynomial, b: Polynomial): bigint[] {
  return divmod(a, b).remainder;
}

/** The monic greatest common divisor (zero only if both inputs are zero). */
export function gcd(a: Polynomial, b: Polynomial): bigint[] {
  let x: Polynomial = a;
  let y: Polynomial = b;
  while (y.length !== 0) {
    const r = mod(x, y);
    x = y;
    y = r;
  }
  return monic(x);
}

/** Π (z − r) over the given roots: the characteristic polynomial of a set (docs/recon.md §5, svalues). */
export function fromRoots(roots: Iterable<bigint>): bigint[] {
  let f: bigint[] = [1n];
  for (const r of roots) {
    const next: bigint[] = new Array(f.length + 1);
    const negR = Z.neg(r);
    next[f.length] = f[f.length - 1];
    for (let i = f.length - 1; i > 0; i--) next[i] = (f[i - 1] + negR * f[i]) % P;
    next[0] = (negR * f[0]) % P;
    f = next;
  }
  return trim(f);
}

/**
 * Reduces s (unreduced, possibly negative coefficients) modulo the monic f of degree n ≥ 1,
 * in place. Coefficients are normalised only where a quotient digit is taken and at the end.
 */
function reduceModMonic(s: bigint[], f: Polynomial, n: number): bigint[] {
  for (let i = s.length - 1; i >= n; i--) {
    let c = s[i] % P;
    if (c === 0n) continue;
    if (c < 0n) c += P;
    const base = i - n;
    for (let j = 0; j < n; j++) s[base + j] -= c * f[j];
  }
  if (s.length > n) s.length = n;
  for (let k = 0; k < s.length; k++) {
    const v = s[k] % P;
    s[k] = v < 0n ? v + P : v;
  }
  return trim(s);
}

/** a·b mod f. */
export function mulMod(a: Polynomial, b: Polynomial, f: Polynomial): bigint[] {
  const m = monic(f);
  if (m.length === 0) throw new RangeError('polynomial reduction modulo zero');
  if (m.length === 1) return [];
  return reduceModMonic(mul(a, b), m, m.length - 1);
}

/** r² mod the monic m of degree n, with the cross terms counted once and doubled. */
function squareMod(r: Polynomial, m: Polynomial, n: number): bigint[] {
  if (r.length === 0) return [];
  const s: bigint[] = new Array(2 * r.length - 1).fill(0n);
  for (let i = 0; i < r.length; i++) {
    const ri = r[i];
    if (ri === 0n) continue;
    s[2 * i] += ri * ri;
    const twice = ri << 1n;
    for (let j = i + 1; j < r.length; j++) s[i + j] += twice * r[j];
  }
  return reduceModMonic(s, m, n);
}

/** r·(z + a) mod the monic m of degree n: a shift and a scaled add, then one reduction step. */
function mulLinearMod(r: Polynomial, a: bigint, m: Polynomial, n: number): bigint[] {
  if (r.length === 0) return [];
  const s: bigint[] = new Array(r.length + 1);
  s[0] = a * r[0];
  for (let i = 1; i < r.length; i++) s[i] = r[i - 1] + a * r[i];
  s[r.length] = r[r.length - 1];
  return reduceModMonic(s, m, n);
}

/** (z + a)^e mod f by left-to-right square-and-multiply; the base stays linear, so multiplying is cheap. */
export function powLinearMod(a: bigint, e: bigint, f: Polynomial): bigint[] {
  if (e < 0n) throw new RangeError('negative exponent');
  const m = monic(f);
  if (m.length === 0) throw new RangeError('polynomial reduction modulo zero');
  const n = m.length - 1;
  if (n === 0) return [];
  let r: bigint[] = [1n];
  const bits = e.toString(2);
  for (let k = 0; k < bits.length; k++) {
    if (k > 0) r = squareMod(r, m, n);
    if (bits.charCodeAt(k) === 49 /* '1' */) r = mulLinearMod(r, a, m, n);
  }
  return r;
}

/** z^e mod f, by default z^p mod f: the core of the split check (docs/recon.md §8 step 4). */
export function zPowModF(f: Polynomial, e: bigint = P): bigint[] {
  return powLinearMod(0n, e, f);
}

/** Human form as conflux prints it: "2z^2 + 3z^1 + 4". */
export function toString(f: Polynomial): string {
  if (f.length === 0) return '0';
  const terms: string[] = [];
  for (let i = f.length - 1; i >= 0; i--) {
    if (f[i] === 0n) continue;
    terms.push(i === 0 ? `${f[i]}` : `${f[i]}z^${i}`);
  }
  return terms.join(' + ');
}
