/**
 * `POST /pks/v2/certs` (docs/hkp.md §12): binary bundles as application/pgp and
 * application/pgp-keys;armor=no, a multipart form with keytext, several keys at once, the JSON
 * answer (five arrays, version and fingerprint per entry, comments on ignored and invalid), a
 * key the store refuses, and the error answers (422 empty, unreadable, no keytext part; 415),
 * all with CORS. What is stored is then served by v2.
 */
import * as openpgp from 'openpgp';
import { makeV6Key } from '../../../../test-fixtures/keys';
import { ApiServer, fingerprintsIn, makeKey, startApiServer, withoutUidSelfSig } from '../helpers/api-server';

const newKey = (name: string) => makeKey([{ name, email: `${name.toLowerCase()}@example.org` }]);

describe('HKP v2 submission', () => {
  let s: ApiServer;
  beforeAll(async () => {
    s = await startApiServer('dks-v2-submit-');
  });
  afterAll(() => s.close());

  const post = (body: BodyInit, type: string) => fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body, headers: { 'Content-Type': type } });

  test('application/pgp: inserted, then served by v2; a resubmission is ignored with a comment', async () => {
    const k = await newKey('Alpha');
    const r = await post(k.binary, 'application/pgp');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(await r.json()).toEqual({ inserted: [{ version: 4, fingerprint: k.fpr.toLowerCase() }], updated: [], deleted: [], ignored: [], invalid: [] });
    const got = await fetch(`${s.base}/pks/v2/certs/by-vfingerprint/04/${k.fpr}`);
    expect(got.status).toBe(200);
    expect(fingerprintsIn(Buffer.from(await got.arrayBuffer()))).toEqual([k.fpr]);
    const again = await (await post(k.binary, 'application/pgp')).json();
    expect(again.inserted).toEqual([]);
    expect(again.ignored).toEqual([{ version: 4, fingerprint: k.fpr.toLowerCase(), comment: expect.stringMatching(/nothing new/) }]);
  });

  test('application/pgp-keys;armor=no with two keys, and a v6 key, in one bundle', async () => {
    const [a, b] = [await newKey('Bravo'), await newKey('Charlie')];
    const six = await makeV6Key('six-submit@example.org');
    const sixFpr = (await openpgp.readKey({ binaryKey: six.publicKey })).getFingerprint();
    const r = await post(Buffer.concat([a.binary, b.binary, six.publicKey]), 'application/pgp-keys;armor=no');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.inserted).toEqual(
      expect.arrayContaining([
        { version: 4, fingerprint: a.fpr.toLowerCase() },
        { version: 4, fingerprint: b.fpr.toLowerCase() },
        { version: 6, fingerprint: sixFpr },
      ]),
    );
    expect(body.inserted).toHaveLength(3);
    expect((await fetch(`${s.base}/pks/v2/certs/by-vfingerprint/06/${sixFpr}`)).status).toBe(200);
  });

  test('multipart/form-data: the keytext part (armored too) is stored; no keytext part is 422', async () => {
    const k = await newKey('Delta');
    const form = new FormData();
    form.append('comment', 'not the key');
    form.append('keytext', new Blob([k.armored], { type: 'application/pgp-keys' }), 'delta.asc');
    const r = await fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: form });
    expect(r.status).toBe(200);
    expect((await r.json()).inserted).toEqual([{ version: 4, fingerprint: k.fpr.toLowerCase() }]);
    const none = new FormData();
    none.append('other', new Blob([k.binary]), 'x.pgp');
    const bad = await fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: none });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toBe('multipart/form-data has no part named keytext\n');
  });

  test('a key the store refuses is listed invalid with the reason', async () => {
    const k = await newKey('Echo');
    // the User ID without its self-signature: nothing of the key could be served
    const r = await post(withoutUidSelfSig(k.binary), 'application/pgp');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.inserted).toEqual([]);
    expect(body.invalid).toEqual([{ version: 4, fingerprint: k.fpr.toLowerCase(), comment: expect.stringMatching(/^no-valid-uid: /) }]);
  });

  test('empty, unreadable, or of another media type: 422 / 415 with one line and CORS', async () => {
    for (const [body, type, status] of [
      [Buffer.alloc(0), 'application/pgp', 422],
      [Buffer.from('\x00not a cert', 'latin1'), 'application/pgp', 422],
      [Buffer.from('hello'), 'text/html', 415],
      [Buffer.from('keytext=x'), 'application/x-www-form-urlencoded', 415],
    ] as const) {
      const r = await post(body, type);
      expect([type, r.status]).toEqual([type, status]);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect((await r.text()).split('\n').filter(Boolean)).toHaveLength(1);
    }
  });
});

describe('v2 and VKS submissions share the upload budget of /pks/add', () => {
  let s: ApiServer;
  beforeAll(async () => {
    s = await startApiServer('dks-v2-budget-', { uploads: 2 });
  });
  afterAll(() => s.close());

  test('the third upload in the window, whichever the path, is 429; lookups go on', async () => {
    const k = await newKey('Budget');
    const v2 = () => fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: k.binary, headers: { 'Content-Type': 'application/pgp' } });
    const vks = () => fetch(`${s.base}/vks/v1/upload`, { method: 'POST', body: JSON.stringify({ keytext: k.armored }), headers: { 'Content-Type': 'application/json' } });
    expect((await v2()).status).toBe(200);
    expect((await vks()).status).toBe(200);
    const over = await v2();
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await vks()).status).toBe(429);
    expect((await fetch(`${s.base}/pks/v2/certs/by-vfingerprint/04/${k.fpr}`)).status).toBe(200);
  });
});
