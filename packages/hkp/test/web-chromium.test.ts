/**
 * The web pages in a real browser: headless Debian Chromium driven by playwright-core against
 * the HKP app on 127.0.0.1 over a temp store holding debian-role-keys. Search, open a key,
 * download it, look at it on a phone, upload a new key and find it, read a verbose index and
 * follow an issuer link, open a v2 index link, and have a refused upload explained. Every step leaves a PNG in
 * test-output/screenshots/ at the repo root. No page may break its Content-Security-Policy: every
 * violation Chromium reports (console, `securitypolicyviolation`) fails the last test.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { KeyStore } from '@dkeyserv/db';
import { armor, dearmor, joinPackets, keyIdentity, splitPackets, Tag } from '@dkeyserv/pgp';
import { keyringPackets, startTestApp, TestApp } from './helpers/test-app';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = resolve(__dirname, '../../../test-output/screenshots');
const SECURITY = '0D59D2B15144766A14D241C66BAF400B05C3E651'; // security@debian.org, in debian-role-keys

describe('web pages in headless Chromium', () => {
  let t: TestApp | undefined;
  let dir: string;
  let store: KeyStore | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;
  let base: string;
  /** CSP violations Chromium reported, on any page of the run */
  const violations: string[] = [];

  const shot = (name: string, p = page) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestApp(
      'chromium',
      { identity: { hostname: 'keys.test', nodename: 'dkeyserv test node', software: 'dkeyserv', version: '0.1.0', contact: '0x6BAF400B05C3E651', httpAddr: '127.0.0.1:0' } },
      (s) => s.ingestMany(keyringPackets()),
    );
    ({ dir, store, base } = t);
    // a fresh profile; nothing but loopback is reachable, so no background traffic either
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      acceptDownloads: true,
      downloadsPath: join(dir, 'downloads'),
      viewport: { width: 1280, height: 800 },
    });
    browser.setDefaultTimeout(15_000);
    // init scripts run whatever the page's CSP says; the event names what was refused
    await browser.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    browser.on('console', (m) => {
      if (/CSP violation|Content Security Policy/i.test(m.text())) violations.push(`${m.location().url}: ${m.text()}`);
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await t?.stop();
  });

  async function search(text: string) {
    await page.goto(base + '/');
    await page.getByLabel('Search keys').fill(text);
    await Promise.all([page.waitForURL(/\/pks\/lookup\?/), page.getByRole('button', { name: 'Search' }).click()]);
  }

  test('search by e-mail and open the key page', async () => {
    await page.goto(base + '/');
    expect(await page.locator('h1').innerText()).toBe('Search OpenPGP keys');
    expect(await page.title()).toBe('Search — dkeyserv test node');
    expect(await page.locator('main').innerText()).toContain('What you can search for');
    await shot('01-search');

    await search('security@debian.org');
    expect(await page.locator('h1').innerText()).toBe('1 key found for “security@debian.org”');
    expect(await page.locator('ol.results').innerText()).toContain('Debian Security Team <team@security.debian.org>');
    await shot('02-results');

    await Promise.all([page.waitForURL(`${base}/key/${SECURITY}`), page.locator(`a[href="/key/${SECURITY}"]`).click()]);
    expect(await page.locator('h1').innerText()).toBe('Debian Security Team <security@debian.org>');
    expect(await page.locator('table.facts').innerText()).toContain('RSA 4096');
    expect(await page.locator('pre.armor').innerText()).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    await shot('03-key');
  });

  test('the Download link saves the armored key', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe(`${SECURITY}.asc`);
    const saved = await download.path();
    const blocks = dearmor(readFileSync(saved, 'utf8'));
    expect(blocks).toHaveLength(1);
    const primary = [...splitPackets(blocks[0].data)][0];
    expect(keyIdentity(primary.body).fingerprint.toString('hex').toUpperCase()).toBe(SECURITY);
    expect(readFileSync(saved, 'utf8')).toBe(await page.locator('pre.armor').innerText());
  });

  test('the key page fits a phone screen', async () => {
    const phone = await browser!.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${base}/key/${SECURITY}`);
      // nothing but the armored key (which scrolls in its own box) is wider than the screen
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: join(SHOTS, '04-key-phone.png') });
      await shot('04-key-phone-full', phone);
    } finally {
      await phone.close();
    }
  });

  test('upload a new key through the form, then find it', async () => {
    const { publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ name: 'Browser Upload Test', email: 'browser-upload@example.org' }],
      format: 'armored',
    });
    const fpr = (await openpgp.readKey({ armoredKey: publicKey })).getFingerprint().toUpperCase();

    await page.goto(base + '/upload');
    expect(await page.locator('main').innerText()).toContain('Only keys with valid self-signatures are served');
    await page.getByLabel('Armored public key').fill(publicKey);
    await shot('05-upload');

    await Promise.all([page.waitForURL(`${base}/pks/add`), page.getByRole('button', { name: 'Upload' }).click()]);
    expect(await page.locator('h1').innerText()).toBe('Upload result');
    expect(await page.locator('p.counts').innerText()).toBe('1 key received: 1 new, 0 updated, 0 unchanged, 0 rejected');
    await expect(page.locator(`a[href="/key/${fpr}"]`).count()).resolves.toBe(1);
    await shot('06-upload-result');

    await search('browser-upload@example.org');
    expect(await page.locator('h1').innerText()).toBe('1 key found for “browser-upload@example.org”');
    expect(await page.locator('ol.results').innerText()).toContain('Browser Upload Test <browser-upload@example.org>');
    await Promise.all([page.waitForURL(`${base}/key/${fpr}`), page.locator(`a[href="/key/${fpr}"]`).click()]);
    expect(await page.locator('table.facts').innerText()).toContain('EdDSA');
    await shot('07-uploaded-key');
  });

  test('vindex: signature lines with [selfsig] marks and issuer links, on a desktop and a phone', async () => {
    await page.goto(`${base}/pks/lookup?op=vindex&search=0x${SECURITY}`);
    expect(await page.locator('h1').innerText()).toBe(`1 key found for “0x${SECURITY}”`);
    const sigs = page.locator('ul.uids ul.sigs li');
    expect(await sigs.count()).toBe(8); // two UIDs, each with three certifications and a self-signature
    const self = page.locator('ul.uids ul.sigs li', { hasText: '[selfsig]' }).first();
    expect(await self.innerText()).toMatch(/^sig3 6BAF400B05C3E651 2022-08-23 · key expires 2027-08-22 \[selfsig\]$/);
    expect(await page.locator('ul.subkeys ul.sigs li').innerText()).toMatch(/^sbind 6BAF400B05C3E651 .*\[selfsig\]$/);
    await shot('10-vindex');
    await Promise.all([page.waitForURL(/search=0x6BAF400B05C3E651$/), self.getByRole('link').click()]);
    expect(await page.locator('h1').innerText()).toBe('1 key found for “0x6BAF400B05C3E651”');

    const phone = await browser!.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${base}/pks/lookup?op=vindex&search=0x${SECURITY}`);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await shot('11-vindex-phone', phone);
    } finally {
      await phone.close();
    }
  });

  test('the key page lists where to fetch the key; its v2 index link opens', async () => {
    await page.goto(`${base}/key/${SECURITY}`);
    const fetchList = page.locator('ul.fetch');
    expect(await fetchList.innerText()).toContain('HKP v2 by versioned fingerprint');
    expect(await fetchList.locator('a').count()).toBe(7); // get, v2, VKS, and two per address
    await shot('12-key-fetch-links');
    const [r] = await Promise.all([page.waitForResponse(/\/pks\/v2\/index\//), fetchList.getByRole('link', { name: 'HKP v2 index' }).first().click()]);
    expect(r.status()).toBe(200);
    expect((await r.json())[0].fingerprint).toBe(SECURITY.toLowerCase());
  });

  test('a refused upload is answered with each key’s reason', async () => {
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'No Self Sig', email: 'nosig@example.org' }], format: 'armored' });
    const packets = [...splitPackets(dearmor(publicKey)[0].data)].filter((p) => p.tag !== Tag.Signature);
    await page.goto(base + '/upload');
    await page.getByLabel('Armored public key').fill(armor(joinPackets(packets)));
    const [r] = await Promise.all([page.waitForResponse(`${base}/pks/add`), page.getByRole('button', { name: 'Upload' }).click()]);
    expect(r.status()).toBe(422);
    expect(await page.locator('p.notice').innerText()).toBe('No key was stored: every key was refused.');
    expect(await page.locator('tr.rejected').innerText()).toMatch(/^rejected\t[0-9A-F ]+\tno-valid-uid: no User ID carries a valid self-signature/);
    await shot('13-upload-refused');
  });

  test('stats and error pages', async () => {
    await page.goto(`${base}/pks/lookup?op=stats`);
    const facts = await page.locator('table.facts').innerText();
    expect(facts).toContain('keys.test');
    expect(facts).toContain('0x6BAF400B05C3E651');
    expect(await page.locator('p.total').innerText()).toBe(`Total number of keys: ${store!.count()}`);
    await shot('08-stats');

    const r = await page.goto(`${base}/pks/lookup?op=index&search=nobody-here@example.org`);
    expect(r?.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toBe('Error 404');
    await shot('09-not-found');
  });

  test('no page broke its Content-Security-Policy, and the policy is enforced', async () => {
    // the stylesheet applied under the policy (the header is a flex row, not the browser's block)
    await page.goto(base + '/');
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('header')!).display)).toBe('flex');
    expect(violations).toEqual([]);
    // the detector works: an inline style attribute is refused and reported
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<p id="inline" style="color: rgb(255, 0, 0)">x</p>'));
    for (let i = 0; i < 50 && violations.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(violations.join('\n')).toMatch(/style-src/);
    expect(await page.evaluate(() => getComputedStyle(document.getElementById('inline')!).color)).not.toBe('rgb(255, 0, 0)');
  });
});
