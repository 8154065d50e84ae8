/**
 * Security headers on a real socket (docs/hkp.md §11): `X-Content-Type-Options: nosniff` on every
 * answer, from koa and from the cheap path, errors included; the Content-Security-Policy and
 * `Referrer-Policy` on every HTML page, error pages included.
 */
import { PAGE_CSP } from '../src/middleware';
import { keyringPackets, startTestApp, TestApp } from './helpers/test-app';

const SECURITY = '0D59D2B15144766A14D241C66BAF400B05C3E651'; // security@debian.org, in debian-role-keys

describe('security headers', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp('headers', {}, (store) => store.ingestMany(keyringPackets()));
    base = t.base;
  });
  afterAll(() => t.stop());

  const pages: [string, number][] = [
    ['/', 200],
    ['/upload', 200],
    [`/key/${SECURITY}`, 200],
    ['/pks/lookup?op=index&search=security@debian.org', 200],
    ['/pks/lookup?op=vindex&search=debian', 200],
    ['/pks/lookup?op=stats', 200],
    ['/pks/lookup?op=index&search=nobody@example.org', 404],
    [`/key/${'0'.repeat(40)}`, 404],
  ];

  test.each(pages)('HTML page %s (%i): CSP, Referrer-Policy, nosniff', async (path, status) => {
    const r = await fetch(base + path);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    // what the policy forbids is not on the page: no script, no inline style or event handler
    const html = await r.text();
    expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
  });

  const answers: [string, string, number][] = [
    ['koa: stylesheet', '/assets/style.css', 200],
    ['koa: stats JSON', '/pks/lookup?op=stats&options=mr', 200],
    ['koa: health', '/pks/health', 200],
    ['koa: text error', '/pks/lookup?op=nonsense&search=x', 400],
    ['koa: no such path', '/no/such/page', 404],
    ['cheap path: op=get', `/pks/lookup?op=get&options=mr&search=0x${SECURITY}`, 200],
    ['cheap path: mr index', '/pks/lookup?op=index&options=mr&search=debian', 200],
    ['cheap path: error', '/pks/lookup?op=get&options=mr&search=nobody@example.org', 404],
  ];

  test.each(answers)('%s: nosniff', async (_, path, status) => {
    const r = await fetch(base + path);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).not.toMatch(/html/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    await r.arrayBuffer();
  });
});
