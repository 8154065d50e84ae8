/**
 * Fuzzing the hashquery answer a peer sends back (docs/recon.md §10, docs/architecture.md §8):
 * any body either decodes into keys or raises a HashQueryError (a ReconError), never another
 * error, an allocation from a declared size or super-linear time.
 */
import fc from 'fast-check';
import { HashQueryError, ReconError } from '../../src/errors';
import { decodeHashQueryResponse } from '../../src/recover/hashquery-client';
import { expectLinear } from '../../../../test/helpers/growth';
import { fuzzInput, parsesOrTypedError } from '../../../../test/helpers/mutate';

const RUNS = { seed: 1207, numRuns: 800 };

/** An answer: count, then count × (int len, key bytes), then CRLF as SKS sends it. */
function answer(keys: readonly Buffer[], count = keys.length): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(count);
  const parts = keys.map((k) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(k.length);
    return Buffer.concat([len, k]);
  });
  return Buffer.concat([head, ...parts, Buffer.from('\r\n')]);
}

describe('hashquery answer: keys or HashQueryError', () => {
  test('mutated answers and random bytes', () => {
    const bases = [answer([]), answer([Buffer.from('key one')]), answer([Buffer.alloc(300, 1), Buffer.alloc(0), Buffer.from('x')])];
    fc.assert(fc.property(fuzzInput(bases, 256), (b) => parsesOrTypedError([ReconError], () => decodeHashQueryResponse(b, 1024, 10))), RUNS);
  });

  test.each([
    ['a count over the hashes asked', answer([], 11)],
    ['a count of 2^32 − 1', answer([], 0xffffffff)],
    ['a key length of 2^32 − 1', Buffer.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff])],
    ['a key length past the end', Buffer.from([0, 0, 0, 1, 0, 0, 1, 0, 1, 2, 3])],
  ])('%s is refused', (_what, body) => {
    expect(() => decodeHashQueryResponse(body, 1 << 20, 10)).toThrow(HashQueryError);
  });

  test('linear in the number of keys', () => {
    const make = (n: number) => answer(Array.from({ length: n }, () => Buffer.alloc(40, 7)));
    expectLinear('decodeHashQueryResponse', make, (b) => decodeHashQueryResponse(b, 1024, 1 << 20), 5000);
  });
});
