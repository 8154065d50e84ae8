import * as Z from '../src/field';
import * as Poly from '../src/poly';
import { CANNED_INTERPOLATION, D, EVALUATION_AT_MINUS_7 } from './vectors';

const D1 = D[0].zz;
const D2 = D[1].zz;

const P = Z.P_SKS;
const poly = (...c: Array<number | bigint>) => Poly.fromCoefficients(c);

// The polynomial vectors of conflux poly_test.go use p = 65537 / 97; those that are plain
// integer identities are checked here over P_SKS (where no reduction happens).
describe('polynomials over GF(p)', () => {
  it('degree, trailing zeros and printing', () => {
    expect(Poly.degree(poly(4, 3, 2))).toBe(2);
    expect(Poly.degree(poly(0, 0, 0))).toBe(0);
    expect(poly(0, 0, 0)).toEqual([]);
    expect(poly(4, 3, 2, 0, 0)).toEqual(poly(4, 3, 2));
    expect(Poly.toString(poly(4, 3, 2))).toBe('2z^2 + 3z^1 + 4');
    expect(Poly.toString([])).toBe('0');
  });

  it('evaluation (Horner)', () => {
    expect(Poly.evaluate(poly(5), 8n)).toBe(5n);
    expect(Poly.evaluate(poly(5, 3), 8n)).toBe(29n);
    expect(Poly.evaluate(poly(5, 3, 2), 8n)).toBe(157n);
    expect(Poly.evaluate([], 8n)).toBe(0n);
  });

  it('multiplication: (z³ − 6z² + 11z − 6)(z + 2)', () => {
    // Over p = 97 conflux expects [85, 16, 96, 93, 1]: the same integers before reduction mod 97.
    const product = Poly.mul(poly(-6, 11, -6, 1), poly(2, 1));
    expect(product).toEqual(poly(-12, 16, -1, -4, 1));
    const signed = product.map((c) => (c > P / 2n ? c - P : c));
    expect(signed.map((c) => Number(((c % 97n) + 97n) % 97n))).toEqual([85, 16, 96, 93, 1]);
    expect(Poly.mul(poly(1, 1), [])).toEqual([]);
  });

  it('addition and subtraction', () => {
    expect(Poly.add(poly(1, 1), poly(2, 1))).toEqual(poly(3, 2));
    expect(Poly.sub(poly(3, 2), poly(2, 1))).toEqual(poly(1, 1));
    expect(Poly.sub(poly(1, 1), poly(1, 2, 1))).toEqual(poly(0, -1, -1));
    expect(Poly.sub(poly(1, 2, 1), poly(1, 2, 1))).toEqual([]);
  });

  it('divmod and gcd: (z² + 2z + 1) / (z + 1)', () => {
    const { quotient, remainder } = Poly.divmod(poly(1, 2, 1), poly(1, 1));
    expect(quotient).toEqual(poly(1, 1));
    expect(remainder).toEqual([]);
    expect(Poly.gcd(poly(1, 2, 1), poly(1, 1))).toEqual(poly(1, 1));
    expect(() => Poly.divmod(poly(1), [])).toThrow(RangeError);
  });

  it('divmod reconstructs the dividend, non-monic divisors too', () => {
    const a = poly(7, -3, 12, 5, 9, 1234567);
    const b = poly(-2, 0, 3);
    const { quotient, remainder } = Poly.divmod(a, b);
    expect(Poly.add(Poly.mul(quotient, b), remainder)).toEqual(a);
    expect(remainder.length).toBeLessThan(b.length);
    expect(Poly.divmod(b, a)).toEqual({ quotient: [], remainder: b });
  });

  it('gcd is monic and finds the common roots', () => {
    const f = Poly.fromRoots([3n, 5n, 7n]);
    const g = Poly.scale(Poly.fromRoots([5n, 7n, 11n]), 42n);
    expect(Poly.gcd(f, g)).toEqual(Poly.fromRoots([5n, 7n]));
    expect(Poly.gcd(f, poly(1))).toEqual([1n]);
    expect(Poly.gcd(f, [])).toEqual(f);
  });

  it('fromRoots builds Π(z − r)', () => {
    expect(Poly.fromRoots([1n, 2n, 3n])).toEqual(poly(-6, 11, -6, 1));
    expect(Poly.fromRoots([])).toEqual([1n]);
    const roots = [D1, D2];
    const f = Poly.fromRoots(roots);
    for (const r of roots) expect(Poly.evaluate(f, r)).toBe(0n);
  });

  it('zPowModF matches repeated multiplication and the Frobenius identity', () => {
    const f = Poly.fromRoots([D1, D2, 17n, 99n]);
    let slow: bigint[] = [1n];
    for (let i = 0; i < 37; i++) slow = Poly.mod(Poly.mul(slow, [0n, 1n]), f);
    expect(Poly.zPowModF(f, 37n)).toEqual(slow);
    expect(Poly.zPowModF(f, 0n)).toEqual([1n]);
    // f splits into distinct linear factors ⇒ z^p ≡ z (mod f).
    expect(Poly.zPowModF(f)).toEqual([0n, 1n]);
    // Non-monic modulus: the same remainder.
    expect(Poly.zPowModF(Poly.scale(f, 5n))).toEqual([0n, 1n]);
  });

  it('powLinearMod and mulMod agree with the naive product', () => {
    const f = poly(9, 8, 7, 6, 5, 1);
    let slow: bigint[] = [1n];
    for (let i = 0; i < 11; i++) slow = Poly.mulMod(slow, poly(123, 1), f);
    expect(Poly.powLinearMod(123n, 11n, f)).toEqual(slow);
    expect(Poly.mulMod(poly(1, 2, 3), poly(4, 5, 6), poly(7, 1))).toEqual(
      Poly.mod(Poly.mul(poly(1, 2, 3), poly(4, 5, 6)), poly(7, 1)),
    );
  });

  it('conflux TestPolyNomNomNom: canned num/den at z = −7', () => {
    const minus7 = Z.fromInt(-7);
    const numAt = Poly.evaluate(CANNED_INTERPOLATION.num, minus7);
    const denAt = Poly.evaluate(CANNED_INTERPOLATION.den, minus7);
    expect(numAt).toBe(EVALUATION_AT_MINUS_7.num);
    expect(denAt).toBe(EVALUATION_AT_MINUS_7.den);
    expect(Z.div(numAt, denAt)).toBe(EVALUATION_AT_MINUS_7.ratio);
  });
});
