/**
 * HKP v2 lookups (docs/hkp.md §12) over a real store: by versioned fingerprint (the -01 path form
 * and the -10 one-run form, primary and subkey, any case), by key ID, by identity (exact,
 * case-insensitive, several keys in one bundle), every bundle binary and byte-identical to what
 * v1 `op=get` serves; HEAD; 404 for malformed identifiers and misses; v6 keys by `06/` only.
 */
import * as openpgp from 'openpgp';
import { splitPackets } from '@dkeyserv/pgp';
import { presentedBytes } from '@dkeyserv/hkp';
import { makeV6Key } from '../../../../test-fixtures/keys';
import { ApiServer, fingerprintsIn, fprOf, startApiServer, subkeyFpr, v1Get } from '../helpers/api-server';

const SECURITY = '0D59D2B15144766A14D241C66BAF400B05C3E651'; // security@debian.org, team@security.debian.org

describe('HKP v2 lookups', () => {
  let s: ApiServer;
  let mailless: string;
  let twoAddresses: string;
  let v6: string;

  beforeAll(async () => {
    s = await startApiServer('dks-v2-lookup-');
    const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Mailless Person' }], format: 'binary' });
    const r = s.store.ingest(splitPackets(Buffer.from(k.publicKey)));
    mailless = r.fpr!.toUpperCase();
    const two = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'alice@two.example', email: 'bob@two.example' }], format: 'binary' });
    twoAddresses = s.store.ingest(splitPackets(Buffer.from(two.publicKey))).fpr!.toUpperCase();
    const six = await makeV6Key('six@example.org');
    // stored because the store keeps hockeypuck-2.4, a policy that carries v6 keys
    expect(s.store.ingest(splitPackets(six.publicKey)).status).toBe('new');
    v6 = (await openpgp.readKey({ binaryKey: six.publicKey })).getFingerprint().toUpperCase();
  });
  afterAll(() => s.close());

  const get = (path: string, init?: RequestInit) => fetch(s.base + path, init);
  const bytes = async (r: Response) => Buffer.from(await r.arrayBuffer());

  test('by-vfingerprint 04/<FPR>: the binary bundle v1 op=get serves, application/pgp, CORS, a download', async () => {
    const r = await get(`/pks/v2/certs/by-vfingerprint/04/${SECURITY}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pgp');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="${SECURITY}.pgp"`);
    const body = await bytes(r);
    expect(body.subarray(0, 20).toString('latin1')).not.toContain('-----BEGIN');
    expect(body.equals(await v1Get(s.base, `0x${SECURITY}`))).toBe(true);
  });

  test('by-vfingerprint: lower case, the -10 one-run form, and a subkey fingerprint find the whole key', async () => {
    const want = await v1Get(s.base, `0x${SECURITY}`);
    const sec = s.keys.find((k) => fprOf(k) === SECURITY)!;
    for (const id of [`04/${SECURITY.toLowerCase()}`, `04${SECURITY}`, `04/${subkeyFpr(sec)}`]) {
      const r = await get(`/pks/v2/certs/by-vfingerprint/${id}`);
      expect(r.status).toBe(200);
      expect((await bytes(r)).equals(want)).toBe(true);
    }
  });

  test('by-vfingerprint: malformed, unversioned, 0x, a wrong version and a miss are 404 with a reason and CORS', async () => {
    for (const id of [SECURITY, `0x04${SECURITY}`, `06/${SECURITY}`, `05/${SECURITY}`, `4/${SECURITY}`, `04/${SECURITY.slice(1)}`, `04/${'A'.repeat(40)}`, '04/zz']) {
      const r = await get(`/pks/v2/certs/by-vfingerprint/${id}`);
      expect([id, r.status]).toEqual([id, 404]);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect((await r.text()).split('\n').filter(Boolean)).toHaveLength(1);
    }
  });

  test('by-keyid: primary and subkey key IDs, any case; malformed is 404', async () => {
    const want = await v1Get(s.base, `0x${SECURITY}`);
    const sec = s.keys.find((k) => fprOf(k) === SECURITY)!;
    for (const id of [SECURITY.slice(-16), SECURITY.slice(-16).toLowerCase(), subkeyFpr(sec).slice(-16)]) {
      const r = await get(`/pks/v2/certs/by-keyid/${id}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/pgp');
      expect((await bytes(r)).equals(want)).toBe(true);
    }
    for (const id of [`0x${SECURITY.slice(-16)}`, SECURITY, SECURITY.slice(-8), 'DEADBEEFDECAFBAD']) {
      expect((await get(`/pks/v2/certs/by-keyid/${id}`)).status).toBe(404);
    }
  });

  test('by-identity: the exact address, case-insensitive, percent-encoded; partial matches are 404', async () => {
    const want = await v1Get(s.base, `0x${SECURITY}`);
    for (const id of ['security@debian.org', 'SECURITY@Debian.ORG', 'team%40security.debian.org', encodeURIComponent('Debian Security Team <security@debian.org>')]) {
      const r = await get(`/pks/v2/certs/by-identity/${id}`);
      expect([id, r.status]).toEqual([id, 200]);
      expect((await bytes(r)).equals(want)).toBe(true);
    }
    for (const id of ['security', 'debian.org', 'ecurity@debian.org', 'Debian%20Security%20Team', 'nobody@example.invalid', '%E0%A4%A']) {
      expect([id, (await get(`/pks/v2/certs/by-identity/${id}`)).status]).toEqual([id, 404]);
    }
  });

  test('by-identity: a whole non-e-mail User ID matches, case-insensitively', async () => {
    const r = await get(`/pks/v2/certs/by-identity/${encodeURIComponent('mailless person')}`);
    expect(r.status).toBe(200);
    expect(fingerprintsIn(await bytes(r))).toEqual([mailless]);
    expect((await get(`/pks/v2/certs/by-identity/Mailless`)).status).toBe(404);
  });

  test('by-identity: a User ID holding two addresses matches neither, only as a whole', async () => {
    for (const id of ['bob@two.example', 'alice@two.example']) expect([id, (await get(`/pks/v2/certs/by-identity/${id}`)).status]).toEqual([id, 404]);
    const whole = await get(`/pks/v2/certs/by-identity/${encodeURIComponent('alice@two.example <bob@two.example>')}`);
    expect(whole.status).toBe(200);
    expect(fingerprintsIn(await bytes(whole))).toEqual([twoAddresses]);
    // v1 finds it by the address its index holds: the stricter rule is v2's
    expect((await get('/pks/lookup?op=get&search=bob@two.example')).status).toBe(200);
  });

  test('by-identity over a User ID at the length limit answers at once (identity matching is linear)', async () => {
    // 2 KiB is the longest User ID stored (key-shape.ts); the matcher's own growth test is uid-address.test.ts
    const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'a'.repeat(2_000), email: 'long@example.org' }], format: 'binary' });
    const fpr = s.store.ingest(splitPackets(Buffer.from(k.publicKey))).fpr!.toUpperCase();
    const started = Date.now();
    const r = await get('/pks/v2/certs/by-identity/long@example.org');
    expect(r.status).toBe(200);
    expect(fingerprintsIn(await bytes(r))).toEqual([fpr]);
    expect((await get('/pks/v2/index/long@example.org')).status).toBe(200);
    // a backtracking pattern takes minutes here; generous for a loaded 2-core machine
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('by-identity: every key with the address, concatenated, newest first as in v1', async () => {
    const r = await get('/pks/v2/certs/by-identity/debian-cd@lists.debian.org');
    expect(r.status).toBe(200);
    const body = await bytes(r);
    expect(fingerprintsIn(body).length).toBe(3);
    expect(body.equals(await v1Get(s.base, 'debian-cd@lists.debian.org'))).toBe(true);
    expect(r.headers.get('x-hkp-results-count')).toBe('3');
  });

  test('HEAD answers the headers of GET without a body', async () => {
    const path = `/pks/v2/certs/by-vfingerprint/04/${SECURITY}`;
    const [h, g] = [await get(path, { method: 'HEAD' }), await get(path)];
    expect(h.status).toBe(200);
    for (const name of ['content-type', 'content-length', 'access-control-allow-origin', 'content-disposition']) expect(h.headers.get(name)).toBe(g.headers.get(name));
    expect((await h.arrayBuffer()).byteLength).toBe(0);
  });

  test('a v6 key: its served bytes by 06/<64 hex> and by identity; never by key ID, 04/, nor v1 get', async () => {
    const served = presentedBytes(s.store, s.store.get(Buffer.from(v6, 'hex'))!)!;
    for (const path of [`/pks/v2/certs/by-vfingerprint/06/${v6}`, `/pks/v2/certs/by-vfingerprint/06${v6.toLowerCase()}`, '/pks/v2/certs/by-identity/six@example.org']) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, 200]);
      expect((await bytes(r)).equals(served)).toBe(true);
    }
    expect(fingerprintsIn(served)).toEqual([v6]);
    for (const path of [`/pks/v2/certs/by-keyid/${v6.slice(0, 16)}`, `/pks/v2/certs/by-keyid/${v6.slice(-16)}`, `/pks/v2/certs/by-vfingerprint/04/${v6.slice(0, 40)}`, `/pks/lookup?op=get&search=0x${v6}`]) {
      expect([path, (await get(path)).status]).toEqual([path, 404]);
    }
  });
});
