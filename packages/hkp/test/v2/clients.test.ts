/**
 * Real clients against HKP v2 and VKS (docs/hkp.md §12, §13): `curl` reads lookups and submits;
 * headless Debian Chromium (playwright-core) on a page of another origin reads v2 and VKS answers
 * with `fetch()`, a JSON index, a 404's text, and posts to both (a preflighted `POST`), all
 * through CORS; Sequoia's `sq` 0.27 (Debian), which speaks HKP v1, fetches by fingerprint and by
 * e-mail and sends a key.
 */
import { execFile } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { dearmor, splitPackets, Tag } from '@dkeyserv/pgp';
import { ApiServer, fingerprintsIn, makeKey, startApiServer, v1Get } from '../helpers/api-server';

const SECURITY = '0D59D2B15144766A14D241C66BAF400B05C3E651';
const CHROMIUM = '/usr/bin/chromium';

/** A client's stdout; asynchronous, since the server answers from this very process. */
function run(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'buffer', timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed (.ci/run installs ${cmd}): ${err.message} ${stderr.toString().trim()}`));
      else resolve(stdout);
    });
  });
}

describe('real clients over HKP v2 and VKS', () => {
  let s: ApiServer;
  let tmp: string;
  beforeAll(async () => {
    s = await startApiServer('dks-v2-clients-');
    tmp = mkdtempSync(join(tmpdir(), 'dks-v2-clients-tmp-'));
  });
  afterAll(async () => {
    await s.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('curl', () => {
    test('reads a v2 bundle, a VKS key, the index and the OPTIONS headers; submits over v2 and VKS', async () => {
      const bundle = await run('curl', ['-sSf', `${s.base}/pks/v2/certs/by-vfingerprint/04/${SECURITY}`]);
      expect(bundle.equals(await v1Get(s.base, `0x${SECURITY}`))).toBe(true);
      const armored = (await run('curl', ['-sSf', `${s.base}/vks/v1/by-email/security%40debian.org`])).toString();
      expect(dearmor(armored)[0].data.equals(bundle)).toBe(true);
      const index = JSON.parse((await run('curl', ['-sSf', `${s.base}/pks/v2/index/security@debian.org`])).toString());
      expect(index[0].fingerprint).toBe(SECURITY.toLowerCase());
      const headers = (await run('curl', ['-sS', '-i', '-X', 'OPTIONS', `${s.base}/pks/v2/certs`])).toString();
      expect(headers).toMatch(/^HTTP\/1\.1 200/);
      expect(headers).toMatch(/^Accept: application\/pgp-keys\r$/m);
      expect(headers).toMatch(/^Access-Control-Allow-Origin: \*\r$/m);
      expect((await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${s.base}/pks/v2/canonical/x@example.org`])).toString()).toBe('501');

      const k = await makeKey([{ name: 'Curl', email: 'curl@example.org' }]);
      const file = join(tmp, 'curl.pgp');
      writeFileSync(file, k.binary);
      const v2 = JSON.parse((await run('curl', ['-sSf', '-X', 'POST', '-H', 'Content-Type: application/pgp', '--data-binary', `@${file}`, `${s.base}/pks/v2/certs`])).toString());
      expect(v2.inserted).toEqual([{ version: 4, fingerprint: k.fpr.toLowerCase() }]);
      const vks = JSON.parse((await run('curl', ['-sSf', '-H', 'Content-Type: application/json', '--data', JSON.stringify({ keytext: k.armored }), `${s.base}/vks/v1/upload`])).toString());
      expect(vks.key_fpr).toBe(k.fpr);
    });
  });

  describe('headless Chromium fetch() from another origin', () => {
    let origin: Server;
    let originUrl: string;
    let browser: BrowserContext | undefined;
    let page: Page;

    beforeAll(async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
      origin = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>another origin</title>'));
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
      originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}/`;
      browser = await chromium.launchPersistentContext(join(tmp, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      browser.setDefaultTimeout(15_000);
      page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(originUrl);
    });
    afterAll(async () => {
      await browser?.close().catch(() => undefined);
      await new Promise((resolve) => origin?.close(resolve));
    });

    /** fetch() in the page: status, content type and body (base64 for bytes). */
    const browserFetch = (url: string, init?: { method: string; body: number[] | string; type: string }) =>
      page.evaluate(
        async ([u, i]) => {
          const r = await fetch(u, i ? { method: i.method, body: typeof i.body === 'string' ? i.body : new Uint8Array(i.body), headers: { 'Content-Type': i.type } } : undefined);
          const buf = new Uint8Array(await r.arrayBuffer());
          let bin = '';
          for (const b of buf) bin += String.fromCharCode(b);
          return { status: r.status, type: r.headers.get('content-type'), body: btoa(bin) };
        },
        [url, init] as const,
      );

    test('reads a v2 bundle, the JSON index, a VKS key and a 404 line across origins', async () => {
      expect(new URL(page.url()).port).not.toBe(String(s.server.port));
      const bundle = await browserFetch(`${s.base}/pks/v2/certs/by-vfingerprint/04/${SECURITY}`);
      expect(bundle.status).toBe(200);
      expect(bundle.type).toBe('application/pgp');
      expect(Buffer.from(bundle.body, 'base64').equals(await v1Get(s.base, `0x${SECURITY}`))).toBe(true);
      const index = await browserFetch(`${s.base}/pks/v2/index/security@debian.org`);
      expect(JSON.parse(Buffer.from(index.body, 'base64').toString())[0].fingerprint).toBe(SECURITY.toLowerCase());
      const vks = await browserFetch(`${s.base}/vks/v1/by-fingerprint/${SECURITY}`);
      expect(fingerprintsIn(dearmor(Buffer.from(vks.body, 'base64').toString())[0].data)).toEqual([SECURITY]);
      const miss = await browserFetch(`${s.base}/pks/v2/certs/by-keyid/DEADBEEFDECAFBAD`);
      expect(miss.status).toBe(404);
      expect(Buffer.from(miss.body, 'base64').toString()).toMatch(/^no certificate found for key ID DEADBEEFDECAFBAD\n$/);
    });

    test('posts a bundle to /pks/v2/certs and JSON to /vks/v1/upload (preflighted) and reads the answers', async () => {
      const a = await makeKey([{ name: 'Browser', email: 'browser@example.org' }]);
      const v2 = await browserFetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: [...a.binary], type: 'application/pgp' });
      expect(v2.status).toBe(200);
      expect(JSON.parse(Buffer.from(v2.body, 'base64').toString()).inserted).toEqual([{ version: 4, fingerprint: a.fpr.toLowerCase() }]);
      const b = await makeKey([{ name: 'Browser', email: 'browser-vks@example.org' }]);
      const vks = await browserFetch(`${s.base}/vks/v1/upload`, { method: 'POST', body: JSON.stringify({ keytext: b.armored }), type: 'application/json' });
      expect(vks.status).toBe(200);
      expect(JSON.parse(Buffer.from(vks.body, 'base64').toString()).status).toEqual({ 'browser-vks@example.org': 'published' });
    });
  });

  describe('sq 0.27 (HKP v1)', () => {
    const hkp = () => `hkp://127.0.0.1:${s.server.port}`;

    test('fetches by fingerprint and by e-mail', async () => {
      const version = (await run('sq', ['--version'])).toString();
      expect(version).toMatch(/^sq 0\.\d+/);
      const byFpr = await run('sq', ['keyserver', '--policy', 'insecure', '--server', hkp(), 'get', '--binary', SECURITY]);
      expect(fingerprintsIn(byFpr)).toEqual([SECURITY]);
      const byEmail = await run('sq', ['keyserver', '--policy', 'insecure', '--server', hkp(), 'get', '--binary', 'security@debian.org']);
      expect(fingerprintsIn(byEmail)).toEqual([SECURITY]);
      // sq writes the certificate it parsed (canonicalized), so compare what it holds, not bytes
      const uids = splitPackets(byEmail).filter((p) => p.tag === Tag.UserId).map((p) => p.body.toString());
      expect(uids).toContain('Debian Security Team <security@debian.org>');
    });

    test('sends a key that v2 and VKS then serve', async () => {
      const k = await makeKey([{ name: 'Sequoia', email: 'sq-send@example.org' }]);
      const file = join(tmp, 'sq-send.asc');
      writeFileSync(file, k.armored);
      await run('sq', ['keyserver', '--policy', 'insecure', '--server', hkp(), 'send', file]);
      const fpr = k.fpr;
      expect((await fetch(`${s.base}/pks/v2/certs/by-identity/sq-send@example.org`)).status).toBe(200);
      expect((await fetch(`${s.base}/vks/v1/by-fingerprint/${fpr}`)).status).toBe(200);
    });
  });
});
