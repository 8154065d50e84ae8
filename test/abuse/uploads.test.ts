/**
 * Abuse suite, uploads (issue 12; docs/hkp.md): hostile keys posted to /pks/add of a real
 * `dkeyserv serve` (the operator's defaults: one HKP worker per core, the default rate limits)
 * for 4 s each, from 127.0.0.1, while a normal client on 127.0.0.2 asks `op=get` for a stored
 * key four times a second. Each case: every probe answered with 200, p90 ≤ 200 ms, and RssAnon
 * of all server processes grows by less than the stated bound. Every case gets a fresh server,
 * so one that is still busy cannot spoil the next.
 */
import { abuseCase, uploadLoop } from '../helpers/abuse';
import { ed25519Key, keytextBody, revokedEd25519Key, rsaKey } from '../helpers/pgp-build';
import { stopAllServers } from '../helpers/server';

const keyring = '/usr/share/keyrings/debian-role-keys.gpg';

afterAll(() => stopAllServers());

describe('abuse: uploads', () => {
  test('a User ID of "x <" and 80,000 × "a@" (160 KB), uploaded again and again: RssAnon +150 MB at most', async () => {
    const body = keytextBody(ed25519Key([`x <${'a@'.repeat(80_000)}`]).binary);
    await abuseCase('uid-backtracking', { keyring, bounds: { rssGrowthMb: 150 } }, (a, srv) => uploadLoop(a, srv.port, body));
  });

  test('an RSA-3072 key with a 3070-bit public exponent and 2,000 self-signed User IDs (signatures that fail): +200 MB', async () => {
    const key = rsaKey({ uids: 2000, exponentBits: 3070 });
    expect(key.binary.length).toBeGreaterThan(800_000);
    const body = keytextBody(key.binary);
    await abuseCase('rsa-huge-exponent-invalid', { keyring, bounds: { rssGrowthMb: 200 } }, (a, srv) => uploadLoop(a, srv.port, body));
  });

  test('an RSA-3072 key with a 3070-bit public exponent and 400 User IDs whose self-signatures verify, re-uploaded: +200 MB', async () => {
    const body = keytextBody(rsaKey({ uids: 400, exponentBits: 3070, valid: true }).binary);
    await abuseCase('rsa-huge-exponent-valid', { keyring, bounds: { rssGrowthMb: 200 } }, (a, srv) => uploadLoop(a, srv.port, body));
  });

  test('an Ed25519 key with 2,000 validly self-signed User IDs, re-uploaded: +200 MB', async () => {
    const body = keytextBody(ed25519Key(Array.from({ length: 2000 }, (_, i) => `Many Uids ${i} <many${i}@example.org>`)).binary);
    await abuseCase('many-valid-uids', { keyring, bounds: { rssGrowthMb: 200 } }, (a, srv) => uploadLoop(a, srv.port, body));
  });

  test('a flood of small revoked keys, 8 uploads in flight: +100 MB', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => keytextBody(revokedEd25519Key(`Revoked ${i} <revoked${i}@example.org>`).binary));
    let i = 0;
    await abuseCase('revocation-flood', { keyring, bounds: { rssGrowthMb: 100 } }, (a, srv) => uploadLoop(a, srv.port, () => keys[i++ % keys.length], 8));
  });
});
