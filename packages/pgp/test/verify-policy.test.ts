/**
 * What verification records beyond valid/revoked (the newest self-signature's time and key
 * expiration, used by the HKP index), and the budget that stops forged self-signature floods.
 */
import { encodePacket, LimitError, MAX_FAILED_CHECKS, mergeKeys, normalizeKey, Packet, splitPackets, verifySelfSignatures } from '@dkeyserv/pgp';
import { GpgHome } from '../../../test/helpers/gpg';

describe('verification details', () => {
  let home: GpgHome;
  let fpr: string;
  beforeAll(() => {
    home = new GpgHome();
    fpr = home.genKey('Expiring <expiring@example.org>', 'ed25519');
  });
  afterAll(() => home.cleanup());

  test('the newest valid self-signature gives the UID time and key expiration', async () => {
    const first = normalizeKey(splitPackets(home.exportKey(fpr)));
    const v1 = verifySelfSignatures(first);
    expect(v1.uids[0].valid).toBe(true);
    expect(v1.uids[0].keyExpires).toBeUndefined();
    // a new self-signature one second later that sets an expiry of one year
    await new Promise((r) => setTimeout(r, 1100));
    home.secret(['--quick-set-expire', fpr, '1y']);
    // gpg exports only the newest self-signature; the keyserver holds both after a merge
    const second = mergeKeys(first, normalizeKey(splitPackets(home.exportKey(fpr))));
    expect(second.uids[0].sigs.length).toBe(2);
    const v2 = verifySelfSignatures(second);
    expect(v2.uids[0].created).toBeGreaterThan(v1.uids[0].created!);
    const days = v2.uids[0].keyExpires! / 86400;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(367);
  });

  test('a key with more failing self-signatures than the budget is refused; a few are tolerated', () => {
    const key = normalizeKey(splitPackets(home.exportKey(fpr)));
    const real = key.uids[0].sigs[0];
    const forged = (i: number): Packet => {
      const body = Buffer.from(real.body);
      body[body.length - 1] ^= 1 + (i % 255); // same issuer and type, broken signature value
      body[body.length - 2] ^= i >> 8;
      return encodePacket(2, body);
    };
    const withForged = (n: number) => normalizeKey([key.primary, key.uids[0].packet, ...Array.from({ length: n }, (_, i) => forged(i)), real]);
    const few = verifySelfSignatures(withForged(5));
    expect(few.uids[0].valid).toBe(true);
    expect(() => verifySelfSignatures(withForged(MAX_FAILED_CHECKS + 1))).toThrow(LimitError);
  });
});
