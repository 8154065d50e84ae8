/**
 * The linear address extraction VKS upload statuses use (routes/uid-address.ts, docs/hkp.md §13):
 * the same address as the store's index (`uidEmail`) for ordinary and odd User IDs, and a
 * User ID built to make a backtracking pattern quadratic read at once.
 */
import { uidEmail } from '@dkeyserv/pgp';
import { uidAddress } from '../../src/routes/uid-address';

describe('uidAddress', () => {
  test.each([
    'Alice <alice@example.org>',
    'Alice <Alice@Example.ORG>  ',
    'alice@example.org',
    '  bob@example.org ',
    'Alice <alice@example.org> (work)',
    'Alice <alice@example.org> <bob@example.org>',
    'Alice <alice@example.org> <not an address>',
    'Alice <@example.org> <bob@x>',
    '<a@b> trailing <c@d> <e@>',
    'No Address',
    'two@words here',
    '<>',
    `Long <${'x'.repeat(300)}@example.org>`,
    'Ünïcödé <ÜNÏ@example.org>',
  ])('%s: as the index reads it', (uid) => {
    expect(uidAddress(uid)).toBe(uidEmail(uid));
  });

  test('a 200 kB User ID shaped against backtracking is read at once', () => {
    for (const uid of ['<' + 'a@'.repeat(100_000), 'a'.repeat(200_000) + ' <long@example.org>', '<a'.repeat(100_000) + '@']) {
      const started = Date.now();
      uidAddress(uid);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    expect(uidAddress('a'.repeat(200_000) + ' <long@example.org>')).toBe('long@example.org');
  });
});
