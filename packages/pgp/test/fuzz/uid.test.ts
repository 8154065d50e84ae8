/**
 * User IDs are attacker input of up to megabytes (docs/architecture.md §8): `uidEmail` and
 * `uidWords` must be linear, and give the answers the old regular expressions gave.
 */
import fc from 'fast-check';
import { uidEmail, uidWords } from '@dkeyserv/pgp';
import { expectLinear } from '../../../../test/helpers/growth';

/** The patterns uidEmail used before it became a scan: the reference answer (and the quadratic one). */
function regexEmail(text: string): string | undefined {
  const m = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text) ?? /<([^<>\s]+@[^<>\s]+)>/.exec(text);
  let email = m?.[1];
  if (!email && /^[^\s<>@]+@[^\s<>@]+$/.test(text.trim())) email = text.trim();
  if (!email) return undefined;
  email = email.toLowerCase();
  return Buffer.byteLength(email) <= 200 ? email : undefined;
}

/** The issue-12 attack: `x <` and n × `a@`, one '<' and no '>'. */
const attack = (n: number) => 'x <' + 'a@'.repeat(n);

const RUNS = { seed: 12, numRuns: 1000 };

describe('uidEmail is linear (issue 12: 160 KB User ID blocked the event loop 17 s)', () => {
  test('x < followed by 80,000 × a@ is answered at once', () => {
    const t = Date.now();
    expect(uidEmail(attack(80_000))).toBeUndefined();
    expect(Date.now() - t).toBeLessThan(1000); // the regexes took 17 s; the scan takes about 2 ms
  });

  test.each([
    ['the attack shape', attack],
    ['many <a@a with no >', (n: number) => '<a@a'.repeat(n)],
    ['many <a@a> then trailing junk', (n: number) => '<a@a>'.repeat(n) + ' x'],
    ['long address run and spaces before >', (n: number) => '<' + 'a@'.repeat(n) + ' '.repeat(n) + 'x>'],
    ['a bare address with a second @ at the end', (n: number) => 'a'.repeat(n) + '@' + 'b'.repeat(n) + '@'],
    ['white space only', (n: number) => ' \u00a0\u2028'.repeat(n)],
  ])('%s grows linearly', (_what, make) => {
    expectLinear('uidEmail', make, (s) => uidEmail(s), 4000);
  });

  test('the growth check catches the old quadratic patterns', () => {
    expect(() => expectLinear('the old patterns', attack, (s) => regexEmail(s), 1500, { reps: 3, attempts: 1 })).toThrow(/grows super-linearly/);
  });

  test('uidWords grows linearly on a long UID', () => {
    expectLinear('uidWords', (n) => 'ab.'.repeat(n), (s) => uidWords(s), 4000);
  });
});

describe('uidEmail gives the answers of the old patterns', () => {
  const unit = fc.constantFrom('<', '>', '@', 'a', 'B', '.', ' ', '\t', '\n', '\u00a0', '\u2028', '\ufeff', '\u00e9', '\ud800');
  test('on strings over the characters that matter', () => {
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 24 }), (s) => {
        expect(uidEmail(s)).toBe(regexEmail(s));
      }),
      RUNS,
    );
  });

  test('on any short string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(uidEmail(s)).toBe(regexEmail(s));
      }),
      RUNS,
    );
  });

  test.each([
    ['Alice Example <Alice@Example.org>', 'alice@example.org'],
    ['Bob <bob@example.org> (work) <b@x.y>  ', 'b@x.y'],
    ['Bob <bob@example.org> (work)', 'bob@example.org'],
    ['  carol@example.org ', 'carol@example.org'],
    ['<@x> <a@>', undefined],
    ['no address here', undefined],
    ['dave@a@b', undefined],
  ])('%j → %j', (uid, email) => {
    expect(uidEmail(uid)).toBe(email);
  });
});
