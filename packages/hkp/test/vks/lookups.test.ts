/**
 * Hagrid's VKS v1 lookups (docs/hkp.md §13) over a real store: by-fingerprint (primary, subkey,
 * either case, optional 0x, v6), by-keyid, by-email (exact, case-insensitive, URI-encoded); the
 * armored answer is byte for byte v1 `op=get`'s; 400 for malformed input, 404 for misses, as plain
 * text, CORS on each; any other /vks/ path is 400.
 */
import * as openpgp from 'openpgp';
import { dearmor, splitPackets } from '@dkeyserv/pgp';
import { presentedBytes } from '@dkeyserv/hkp';
import { makeV6Key } from '../../../../test-fixtures/keys';
import { ApiServer, fingerprintsIn, fprOf, startApiServer, subkeyFpr } from '../helpers/api-server';

const SECURITY = '0D59D2B15144766A14D241C66BAF400B05C3E651';

describe('VKS v1 lookups', () => {
  let s: ApiServer;
  let v6: string;
  beforeAll(async () => {
    s = await startApiServer('dks-vks-lookup-');
    const six = await makeV6Key('six-vks@example.org');
    expect(s.store.ingest(splitPackets(six.publicKey)).status).toBe('new');
    v6 = (await openpgp.readKey({ binaryKey: six.publicKey })).getFingerprint().toUpperCase();
  });
  afterAll(() => s.close());

  const get = (path: string) => fetch(s.base + path);
  const v1 = async (search: string) => (await get(`/pks/lookup?op=get&options=mr&search=${encodeURIComponent(search)}`)).text();

  test('by-fingerprint: armored application/pgp-keys, identical to v1 op=get, a download, CORS, no-cache', async () => {
    const r = await get(`/vks/v1/by-fingerprint/${SECURITY}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/pgp-keys/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="?${SECURITY}\\.asc"?$`));
    expect(await r.text()).toBe(await v1(`0x${SECURITY}`));
  });

  test('by-fingerprint: lower case, 0x, a subkey fingerprint; a v6 key by its 64 digits', async () => {
    const want = await v1(`0x${SECURITY}`);
    const sec = s.keys.find((k) => fprOf(k) === SECURITY)!;
    for (const id of [SECURITY.toLowerCase(), `0x${SECURITY}`, subkeyFpr(sec)]) expect(await (await get(`/vks/v1/by-fingerprint/${id}`)).text()).toBe(want);
    const r = await get(`/vks/v1/by-fingerprint/${v6}`);
    expect(r.status).toBe(200);
    const served = presentedBytes(s.store, s.store.get(Buffer.from(v6, 'hex'))!)!;
    expect(dearmor(await r.text())[0].data.equals(served)).toBe(true);
  });

  test('by-keyid: primary and subkey key IDs', async () => {
    const want = await v1(`0x${SECURITY}`);
    const sec = s.keys.find((k) => fprOf(k) === SECURITY)!;
    for (const id of [SECURITY.slice(-16), subkeyFpr(sec).slice(-16).toLowerCase()]) {
      const r = await get(`/vks/v1/by-keyid/${id}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(want);
    }
  });

  test('by-email: exact, case-insensitive, URI-encoded; every key carrying the address', async () => {
    const want = await v1(`0x${SECURITY}`);
    for (const a of ['security@debian.org', 'Security%40Debian.org', 'team%40security.debian.org']) expect(await (await get(`/vks/v1/by-email/${a}`)).text()).toBe(want);
    const cd = await get('/vks/v1/by-email/debian-cd%40lists.debian.org');
    expect(cd.status).toBe(200);
    expect(fingerprintsIn(dearmor(await cd.text())[0].data)).toHaveLength(3);
    expect((await get('/vks/v1/by-email/six-vks@example.org')).status).toBe(200);
  });

  test('misses are 404, malformed input 400: one plain-text line, CORS', async () => {
    for (const [path, status] of [
      [`/vks/v1/by-fingerprint/${'A'.repeat(40)}`, 404],
      ['/vks/v1/by-keyid/DEADBEEFDECAFBAD', 404],
      ['/vks/v1/by-email/nobody%40example.invalid', 404],
      ['/vks/v1/by-email/security', 400],
      [`/vks/v1/by-fingerprint/${SECURITY.slice(1)}`, 400],
      ['/vks/v1/by-fingerprint/xyz', 400],
      [`/vks/v1/by-keyid/${SECURITY.slice(-8)}`, 400],
      ['/vks/v1/by-email/a%ZZ', 400],
      ['/vks/v1/by-email/two%40at%40signs', 400],
      ['/vks/v1/nothing', 400],
      ['/vks/v2/by-email/security%40debian.org', 400],
      ['/vks/v1/upload', 400],
    ] as const) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect((await r.text()).split('\n').filter(Boolean)).toHaveLength(1);
    }
  });
});
