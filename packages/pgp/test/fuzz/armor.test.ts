/**
 * Fuzzing the armor decoder (docs/architecture.md §8): any text either decodes or raises an
 * ArmorError (a PgpError), never another error, a hang or super-linear time.
 */
import fc from 'fast-check';
import { armor, dearmor, looksArmored, PgpError } from '@dkeyserv/pgp';
import { expectLinear } from '../../../../test/helpers/growth';
import { fuzzInput, parsesOrTypedError } from '../../../../test/helpers/mutate';
import { ARMORED, KEYS } from './corpus';

const RUNS = { seed: 1203, numRuns: 800 };
const decode = (text: string) => parsesOrTypedError([PgpError], () => dearmor(text));

/** Lines an armor parser cares about, to be shuffled into texts. */
const armorLine = fc.oneof(
  fc.constantFrom('-----BEGIN PGP PUBLIC KEY BLOCK-----', '-----END PGP PUBLIC KEY BLOCK-----', '-----BEGIN PGP SIGNATURE-----', '-----END PGP SIGNATURE-----'),
  fc.constantFrom('', ' ', 'Version: x', 'Comment: a: b', 'Bad header', '=', '==', '=AAAA', '=abcd', 'AAAA', 'AAA=', 'AA==', 'A', 'mQ', '\t'),
  fc.string({ unit: fc.constantFrom('A', 'z', '0', '+', '/', '=', '-', ' ', ':'), maxLength: 80 }),
);
const eol = fc.constantFrom('\n', '\r\n', '\r');

describe('armor decoder: decodes or ArmorError', () => {
  test('mutated armored keys (as bytes, decoded as UTF-8)', () => {
    const bases = ARMORED.map((t) => Buffer.from(t, 'utf8'));
    fc.assert(
      fc.property(fuzzInput(bases), (buf) => {
        looksArmored(buf);
        decode(buf.toString('utf8'));
      }),
      RUNS,
    );
  });

  test('texts made of armor-like lines', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(armorLine, eol), { maxLength: 40 }), (lines) => {
        decode(lines.map(([l, e]) => l + e).join(''));
      }),
      RUNS,
    );
  });

  test('armor then dearmor gives the data back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const data = Buffer.from(bytes);
        const [block] = dearmor(armor(data));
        expect(block.data.equals(data)).toBe(true);
      }),
      { ...RUNS, numRuns: 300 },
    );
  });
});

describe('armor decoder: linear time', () => {
  const BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n';
  const END = '-----END PGP PUBLIC KEY BLOCK-----\n';
  const b64 = KEYS[0].toString('base64');

  test.each<[string, (n: number) => string]>([
    ['many header lines', (n) => BEGIN + 'Comment: x\n'.repeat(n) + '\n' + b64 + '\n' + END],
    ['one long base64 line', (n) => BEGIN + '\n' + 'AAAA'.repeat(n) + '\n' + END],
    ['many short base64 lines', (n) => BEGIN + '\n' + 'AAAA\n'.repeat(n) + END],
    ['many checksum lines', (n) => BEGIN + '\n' + b64 + '\n' + '=AAAA\n'.repeat(n) + END],
    ['a line of many =', (n) => BEGIN + '\n' + '='.repeat(4 * n) + '\n' + END],
    ['a long BEGIN line', (n) => '-----BEGIN PGP ' + 'A '.repeat(2 * n) + '-----x\n'],
    ['a long BEGIN-like line that never closes', (n) => '-----BEGIN PGP ' + 'A,'.repeat(2 * n) + '----'],
    ['many BEGIN lines without END', (n) => BEGIN.repeat(n)],
    ['many empty blocks', (n) => (BEGIN + END).repeat(Math.ceil(n / 4))],
    ['prose with no armor', (n) => 'some words here\n'.repeat(n)],
    ['bare carriage returns', (n) => BEGIN + '\r'.repeat(4 * n) + END],
    ['a long header-like line', (n) => BEGIN + 'A'.repeat(4 * n) + ': x\n\n' + END],
    ['a long line of spaces', (n) => BEGIN + '\n' + ' '.repeat(4 * n) + 'x\n' + END],
  ])('%s', (_what, make) => {
    expectLinear('dearmor', make, decode, 4000);
  });
});
