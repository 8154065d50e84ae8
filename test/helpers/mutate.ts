/**
 * fast-check arbitraries for fuzzing parsers with inputs near valid ones (docs/architecture.md §8):
 * a valid input with a few byte-level mutations reaches far deeper into a parser than random
 * bytes do. Used by the packages' test/fuzz suites.
 */
import fc from 'fast-check';

type Mutation = (b: Buffer) => Buffer;

const at = (b: Buffer, i: number) => (b.length === 0 ? 0 : i % (b.length + 1));

/** One edit: set a byte, flip a bit, delete, insert, duplicate or truncate. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]): Mutation => (b) => {
    if (b.length === 0) return b;
    const c = Buffer.from(b);
    c[i % c.length] = v;
    return c;
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]): Mutation => (b) => {
    if (b.length === 0) return b;
    const c = Buffer.from(b);
    c[i % c.length] ^= 1 << bit;
    return c;
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(([i, n]): Mutation => (b) => Buffer.concat([b.subarray(0, at(b, i)), b.subarray(at(b, i) + n)])),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, ins]): Mutation => (b) => Buffer.concat([b.subarray(0, at(b, i)), ins, b.subarray(at(b, i))])),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 256 })).map(([i, n]): Mutation => (b) => {
    const s = at(b, i);
    return Buffer.concat([b.subarray(0, s + n), b.subarray(s)]);
  }),
  fc.nat().map((i): Mutation => (b) => b.subarray(0, at(b, i))),
);

/** `base` (one of `bases`) with 1 to `max` mutations applied. */
export function mutated(bases: readonly Buffer[], max = 4): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: max }))
    .map(([base, ms]) => ms.reduce((b, m) => m(b), base));
}

/** Random bytes, near-valid inputs, or valid inputs unchanged. */
export function fuzzInput(bases: readonly Buffer[], maxLength = 2048): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { arbitrary: mutated(bases), weight: 6 },
    { arbitrary: fc.uint8Array({ maxLength }).map((a) => Buffer.from(a)), weight: 3 },
    { arbitrary: fc.constantFrom(...bases), weight: 1 },
  );
}

/** Calls `fn`; passes if it returns or throws one of `types` (the parser's typed errors), else rethrows. */
export function parsesOrTypedError(types: readonly (abstract new (...args: never[]) => Error)[], fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!types.some((t) => e instanceof t)) throw e;
  }
}
