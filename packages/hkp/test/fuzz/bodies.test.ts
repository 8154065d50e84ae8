/**
 * Fuzzing the HKP body parsers (docs/architecture.md §8): the /pks/hashquery body and the
 * /pks/add key material (form or raw, armored or binary, split into keys) either parse or raise an
 * HttpError, never another error or super-linear time.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { armor } from '@dkeyserv/pgp';
import { keyEntries, keyMaterial } from '../../src/add-keys';
import { HttpError } from '../../src/errors';
import { MAX_HASHQUERY_COUNT, parseHashQuery } from '../../src/hashquery-codec';
import { expectLinear } from '../../../../test/helpers/growth';
import { fuzzInput, parsesOrTypedError } from '../../../../test/helpers/mutate';
import { KEYS } from '../../../pgp/test/fuzz/corpus';

const RUNS = { seed: 1205, numRuns: 800 };

/** A hashquery body: count, then count × (int 16, 16 bytes). */
function hashQueryBody(hashes: readonly Buffer[], count = hashes.length): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(count);
  return Buffer.concat([head, ...hashes.map((h) => Buffer.concat([Buffer.from([0, 0, 0, h.length]), h]))]);
}
const md5 = (i: number) => createHash('md5').update(String(i)).digest();

describe('hashquery body: parses or HttpError', () => {
  test('mutated valid bodies and random bytes', () => {
    const bases = [hashQueryBody([]), hashQueryBody([md5(1)]), hashQueryBody([md5(1), md5(2), md5(1)])];
    fc.assert(fc.property(fuzzInput(bases, 200), (b) => parsesOrTypedError([HttpError], () => parseHashQuery(b))), RUNS);
  });

  test('valid bodies give their distinct hashes in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 40 }), (ids) => {
        const got = parseHashQuery(hashQueryBody(ids.map(md5))).map((h) => h.toString('hex'));
        expect(got).toEqual([...new Set(ids.map((i) => md5(i).toString('hex')))]);
      }),
      { ...RUNS, numRuns: 300 },
    );
  });

  test.each([0xffffffff, MAX_HASHQUERY_COUNT + 1, 2 ** 31])('a declared count of %d with a short body is refused at once', (count) => {
    expect(() => parseHashQuery(hashQueryBody([md5(1)], count))).toThrow(HttpError);
  });

  test('linear in the count', () => {
    expectLinear('parseHashQuery', (n) => hashQueryBody(Array.from({ length: n }, (_, i) => md5(i))), (b) => parseHashQuery(b), 1000);
  });
});

describe('/pks/add key material: keys or HttpError', () => {
  const TYPES = ['application/pgp-keys', 'application/x-www-form-urlencoded', 'text/plain; charset=utf-8', '', 'image/png'];
  const armored = KEYS.map((k) => armor(k));
  const bases = [...KEYS, ...armored.map((a) => Buffer.from(a)), ...armored.map((a) => Buffer.from('keytext=' + encodeURIComponent(a)))];
  const upload = (type: string, body: Buffer) => parsesOrTypedError([HttpError], () => keyEntries(keyMaterial(type, body)));

  test('mutated uploads under every content type', () => {
    fc.assert(fc.property(fc.constantFrom(...TYPES), fuzzInput(bases), upload), RUNS);
  });

  const FORM = 'application/x-www-form-urlencoded';
  const RAW = 'application/pgp-keys';
  test.each<[string, string, (n: number) => Buffer]>([
    ['a form of percent-encoded armor', FORM, (n) => Buffer.from('keytext=' + encodeURIComponent(armored[0]).repeat(n))],
    ['a form with a long key name', FORM, (n) => Buffer.from('k'.repeat(1000 * n) + '=1&keytext=' + encodeURIComponent(armored[0]))],
    ['many armored keys', RAW, (n) => Buffer.from(armored[0].repeat(n))],
    ['binary keys back to back', RAW, (n) => Buffer.concat(new Array(n).fill(KEYS[0]))],
  ])('%s: linear', (_what, type, make) => {
    expect(() => keyEntries(keyMaterial(type, make(1)))).not.toThrow();
    expectLinear('keyEntries', make, (b) => upload(type, b), 20);
  });
});
