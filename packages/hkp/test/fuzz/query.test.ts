/**
 * Fuzzing the HKP query parser (docs/architecture.md §8): any query string either parses into a
 * lookup and a search term or raises an HttpError, never another error or super-linear time.
 * Covers urlencoded.ts, lookup-query.ts and search-term.ts.
 */
import fc from 'fast-check';
import { HttpError } from '../../src/errors';
import { isOn, parseLookupQuery, parseOptions } from '../../src/lookup-query';
import { parseSearch } from '../../src/search-term';
import { parseUrlEncoded } from '../../src/urlencoded';
import { expectLinear } from '../../../../test/helpers/growth';
import { mutated, parsesOrTypedError } from '../../../../test/helpers/mutate';

const RUNS = { seed: 1204, numRuns: 800 };

/** What a lookup handler does with a query string. */
function lookup(qs: string): void {
  const q = parseLookupQuery(qs);
  if (q.search !== undefined) parseSearch(q.search);
  expect(typeof q.op).toBe('string');
}
const tryLookup = (qs: string) => parsesOrTypedError([HttpError], () => lookup(qs));

const VALID = [
  'op=get&search=0x0123456789ABCDEF0123456789ABCDEF01234567',
  'op=get&options=mr&search=0x89ABCDEF',
  'op=index&options=mr,nm&search=alice%40example.org&exact=on',
  'search=%3Calice%40example.org%3E&op=vindex&fingerprint=on',
  'op=index&search=Alice+Example+Key',
  'op=hget&search=0123456789abcdef0123456789abcdef',
  'op=stats&options=mr,json',
  'search=0x0123+4567+89AB+CDEF',
];

describe('HKP query parser: parses or HttpError', () => {
  const unit = fc.constantFrom('&', '=', '%', '+', ' ', 'a', 'Z', '0', 'x', 'F', '@', '<', '>', '.', ',', 'é', '\ud800', 'op', 'search', 'options', 'mr', '%40', '%C3%A9', '%FF', '%2');
  test('query strings of query-like tokens', () => {
    fc.assert(fc.property(fc.string({ unit, maxLength: 60 }), tryLookup), RUNS);
  });

  test('any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), tryLookup), RUNS);
  });

  test('mutated valid query strings', () => {
    const bases = VALID.map((s) => Buffer.from(s, 'latin1'));
    fc.assert(fc.property(mutated(bases), (b) => tryLookup(b.toString('latin1'))), RUNS);
  });

  test('search values straight to parseSearch', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.string({ unit: fc.constantFrom('0', 'x', 'A', 'f', ' ', '\t', '<', '>', '@', 'a', '.'), maxLength: 80 })), (s) => {
        parsesOrTypedError([HttpError], () => parseSearch(s));
      }),
      RUNS,
    );
  });

  test('options and booleans never throw', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: 'binary', maxLength: 100 }), { nil: undefined }), (s) => {
        parseOptions(s);
        isOn(s);
      }),
      RUNS,
    );
  });

  test('the parameter limit counts empty parameters, as split did', () => {
    expect(parseUrlEncoded('&'.repeat(31)).size).toBe(0);
    expect(() => parseUrlEncoded('&'.repeat(32))).toThrow(HttpError);
    expect(() => parseUrlEncoded('a=1&'.repeat(1_000_000))).toThrow(/more than 32 query parameters/);
  });
});

describe('HKP query parser: linear time', () => {
  test.each<[string, (n: number) => string]>([
    ['a 100k-character search', (n) => 'op=index&search=' + 'a'.repeat(n)],
    ['a long search of white space', (n) => 'op=index&search=' + '+'.repeat(n)],
    ['a long hex search', (n) => 'op=get&search=0x' + 'F'.repeat(n)],
    ['a long address-like search', (n) => 'search=%3C' + 'a%40'.repeat(n)],
    ['many & (over the parameter limit)', (n) => 'a=1&'.repeat(n)],
    ['many = in one parameter', (n) => 'search=' + '='.repeat(n)],
    ['long percent-encoding', (n) => 'search=' + '%C3%A9'.repeat(n)],
    ['percent-encoding that breaks at the end', (n) => 'search=' + '%41'.repeat(n) + '%4'],
    ['a long parameter name', (n) => 'x'.repeat(n) + '=1&op=get'],
    ['many options', (n) => 'op=index&search=abc&options=' + 'mr,'.repeat(n / 4)],
  ])('%s', (_what, make) => {
    expectLinear('parseLookupQuery', make, tryLookup, 12_500);
  });
});
