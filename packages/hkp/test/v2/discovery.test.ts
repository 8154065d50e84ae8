/**
 * HKP v2 discovery and what is not offered (docs/hkp.md §12): OPTIONS on each offered category
 * (200, `Allow`, `Accept` for submissions, CORS preflight headers), 501 for categories not
 * offered (also on OPTIONS), 403 for a lookup category without an identifier, 405 for a wrong
 * method; CORS on every one of these answers; v1 OPTIONS unchanged; bounded metrics labels.
 */
import { ApiServer, startApiServer } from '../helpers/api-server';

describe('HKP v2 discovery', () => {
  let s: ApiServer;
  beforeAll(async () => {
    s = await startApiServer('dks-v2-disc-');
  });
  afterAll(() => s.close());

  const req = (method: string, path: string) => fetch(s.base + path, { method });

  test.each(['certs/by-vfingerprint', 'certs/by-keyid', 'certs/by-identity', 'index', 'prefixlog'])('OPTIONS %s: 200, Allow GET, CORS', async (category) => {
    const r = await req('OPTIONS', `/pks/v2/${category}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toContain('GET');
  });

  test.each(['/pks/v2/certs', '/pks/v2/certs/'])('OPTIONS %s: Allow POST, one Accept per media type taken, a preflight for Content-Type', async (path) => {
    const r = await req('OPTIONS', path);
    expect(r.status).toBe(200);
    expect(r.headers.get('allow')).toBe('POST, OPTIONS');
    // fetch joins repeated headers with ", "
    expect(r.headers.get('accept')!.split(', ')).toEqual(['application/pgp-keys', 'application/pgp', 'multipart/form-data']);
    expect(r.headers.get('access-control-allow-methods')).toContain('POST');
    expect(r.headers.get('access-control-allow-headers')).toBe('Content-Type');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('categories not offered are 501, on OPTIONS, GET, POST and PUT alike, with CORS', async () => {
    for (const [method, path] of [
      ['OPTIONS', '/pks/v2/canonical'],
      ['OPTIONS', '/pks/v2/sendtoken'],
      ['OPTIONS', '/pks/v2/not-a-category'],
      ['OPTIONS', '/pks/v2'],
      ['GET', '/pks/v2/canonical/alice@example.org'],
      ['GET', '/pks/v2/certs/by-fingerprint/0D59D2B15144766A14D241C66BAF400B05C3E651'],
      ['POST', '/pks/v2/sendtoken'],
      ['PUT', '/pks/v2/canonical/alice@example.org'],
      ['GET', '/pks/v2/'],
    ]) {
      const r = await req(method, path);
      expect([method, path, r.status]).toEqual([method, path, 501]);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(await r.text()).toMatch(/^HKP v2 category not offered here: .*\n$/);
    }
  });

  test('a lookup category without an identifier is 403; a wrong method is 405 with Allow', async () => {
    for (const path of ['/pks/v2/certs/by-keyid', '/pks/v2/certs/by-identity/', '/pks/v2/index', '/pks/v2/prefixlog/']) {
      const r = await req('GET', path);
      expect([path, r.status]).toEqual([path, 403]);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
    }
    const post = await req('POST', '/pks/v2/certs/by-keyid/6BAF400B05C3E651');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const get = await req('GET', '/pks/v2/certs');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
  });

  test('request metrics name the category or VKS call, never the identifier', async () => {
    await req('GET', '/pks/v2/certs/by-keyid/0123456789ABCDEF');
    await req('GET', '/vks/v1/by-email/someone%40example.org');
    await req('GET', '/vks/v1/whatever/else');
    const text = await (await req('GET', '/metrics')).text();
    expect(text).toContain('route="/pks/v2/certs/by-keyid"');
    expect(text).toContain('route="/vks/v1/by-email"');
    expect(text).toContain('route="/vks/other"');
    expect(text).not.toMatch(/0123456789ABCDEF|someone|whatever/);
  });

  test('OPTIONS outside /pks/v2 is still the generic 204 preflight', async () => {
    const r = await req('OPTIONS', '/pks/lookup');
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });
});
