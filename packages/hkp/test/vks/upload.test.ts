/**
 * Hagrid's `POST /vks/v1/upload` and `/vks/v1/request-verify` (docs/hkp.md §13): the JSON answer
 * (`key_fpr`, `status` per address, `token`), base64 keytext, several keys (a JSON array of
 * fingerprints), the key then found by e-mail at once (no verification mail); errors as
 * `{"error": …}` with 400 (not JSON, no keytext, unreadable, refused key), 413 past the body
 * limit; request-verify answers the same shape for a known token and 400 otherwise.
 */
import { ApiServer, makeKey, startApiServer, withoutUidSelfSig } from '../helpers/api-server';

const newKey = (emails: string[], extraName?: string) => makeKey([...emails.map((email) => ({ name: 'Upload Person', email })), ...(extraName ? [{ name: extraName }] : [])]);

describe('VKS v1 upload', () => {
  let s: ApiServer;
  beforeAll(async () => {
    s = await startApiServer('dks-vks-upload-');
  });
  afterAll(() => s.close());

  const post = (path: string, body: unknown, type = 'application/json') =>
    fetch(s.base + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': type } });

  test('an armored key: key_fpr, every address published, a token; found by e-mail at once', async () => {
    const k = await newKey(['one@example.org', 'Two@Example.org'], 'No Address');
    const r = await post('/vks/v1/upload', { keytext: k.armored });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(await r.json()).toEqual({ key_fpr: k.fpr, status: { 'one@example.org': 'published', 'two@example.org': 'published' }, token: k.fpr });
    expect((await fetch(`${s.base}/vks/v1/by-email/two%40example.org`)).status).toBe(200);
  });

  test('base64 keytext of the binary key is taken; a re-upload answers the same', async () => {
    const k = await newKey(['b64@example.org']);
    for (let i = 0; i < 2; i++) {
      const r = await post('/vks/v1/upload', { keytext: k.binary.toString('base64') });
      expect(r.status).toBe(200);
      expect((await r.json()).key_fpr).toBe(k.fpr);
    }
  });

  test('several keys: a JSON array of their fingerprints', async () => {
    const [a, b] = [await newKey(['multi-a@example.org']), await newKey(['multi-b@example.org'])];
    const r = await post('/vks/v1/upload', { keytext: Buffer.concat([a.binary, b.binary]).toString('base64') });
    expect(r.status).toBe(200);
    expect((await r.json()).sort()).toEqual([a.fpr, b.fpr].sort());
  });

  test('errors are {"error": …}: not JSON, no keytext, unreadable, a refused key; CORS', async () => {
    const k = await newKey(['refused@example.org']);
    const unsigned = withoutUidSelfSig(k.binary).toString('base64');
    for (const [body, pattern] of [
      ['keytext=abc', /^expected application\/json data/],
      [['a list'], /^expected application\/json data/],
      [{ key: k.armored }, /"keytext"/],
      [{ keytext: 'not a key!' }, /^Parsing of key data failed/],
      [{ keytext: Buffer.from('\x00\x01garbage').toString('base64') }, /^Parsing of key data failed/],
      [{ keytext: unsigned }, /^key refused: no-valid-uid: /],
    ] as const) {
      const r = await post('/vks/v1/upload', body);
      expect([body, r.status]).toEqual([body, 400]);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      const json = await r.json();
      expect(Object.keys(json)).toEqual(['error']);
      expect(json.error).toMatch(pattern);
    }
  });

  test('a body past the limit is 413 with a JSON error', async () => {
    const r = await post('/vks/v1/upload', { keytext: 'A'.repeat(1024 * 1024 + 10) });
    expect(r.status).toBe(413);
    expect((await r.json()).error).toMatch(/over the limit/);
  });

  test('request-verify: no mail is sent; the known token answers the upload shape, others 400', async () => {
    const k = await newKey(['verify@example.org']);
    const { token } = await (await post('/vks/v1/upload', { keytext: k.armored })).json();
    const r = await post('/vks/v1/request-verify', { token, addresses: ['verify@example.org'], locale: ['de_CH'] });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ key_fpr: k.fpr, status: { 'verify@example.org': 'published' }, token: k.fpr });
    for (const body of [{ token: 'F'.repeat(40), addresses: [] }, { token: 'opaque', addresses: [] }, { token, addresses: 'verify@example.org' }, { addresses: [] }]) {
      const bad = await post('/vks/v1/request-verify', body);
      expect([body, bad.status]).toEqual([body, 400]);
      expect(typeof (await bad.json()).error).toBe('string');
    }
  });
});
