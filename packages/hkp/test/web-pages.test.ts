/**
 * The web pages a server answers, over real sockets and a real LMDB store (debian-role-keys plus
 * keys made here with openpgp.js): `op=vindex` with its signature lines and their bound, the key
 * page's links to every way of fetching the key (each followed), and the upload result page's
 * per-key report for a mixed and a wholly refused upload (docs/hkp.md §4, §6, §11).
 */
import * as openpgp from 'openpgp';
import { armor, dearmor, joinPackets, keyIdentity, Packet, splitPackets, Tag } from '@dkeyserv/pgp';
import { ApiServer, ingestRoleKeys, startApiServer } from './helpers/api-server';
import { DEFAULT_SIG_LINE_LIMITS, verboseKeys } from '../src/routes/sig-lines';

const SECURITY = '0D59D2B15144766A14D241C66BAF400B05C3E651'; // security@debian.org, in debian-role-keys
const BOB_CREATED = new Date('2020-01-01T00:00:00Z');
const CERTIFIED = new Date('2021-03-04T05:06:07Z');
/** more certifications on one User ID than the page shows */
const MANY = DEFAULT_SIG_LINE_LIMITS.perComponent + 5;

async function keyPair(name: string, email: string, o: Partial<openpgp.GenerateKeyOptions> = {}) {
  const { privateKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name, email }], format: 'object', ...o });
  return privateKey;
}

const packetsOf = (k: openpgp.Key | openpgp.PrivateKey): Packet[] => [...splitPackets(Buffer.from(k.toPublic().write()))];
const fprOf = (k: openpgp.Key) => k.getFingerprint().toUpperCase();
const kidOf = (k: openpgp.Key) => k.getKeyID().toHex().toUpperCase();
const primaryFpr = (bytes: Buffer) => keyIdentity(splitPackets(bytes)[0].body).fingerprint.toString('hex').toUpperCase();
/** The primary fingerprints of every key in a binary keyring. */
function fingerprints(bytes: Buffer): string[] {
  return splitPackets(bytes)
    .filter((p) => p.tag === Tag.PublicKey)
    .map((p) => keyIdentity(p.body).fingerprint.toString('hex').toUpperCase());
}
/** A key's packets without any signature: its User ID has no self-signature, so an upload of it is refused. */
const unsigned = (k: openpgp.Key) => packetsOf(k).filter((p) => p.tag !== Tag.Signature);
const hrefs = (html: string, within: RegExp) => [...(within.exec(html)?.[0] ?? '').matchAll(/href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));

describe('web pages on a real server', () => {
  let api: ApiServer;
  let alice: openpgp.PrivateKey;
  let bob: openpgp.PrivateKey;
  let carol: openpgp.PrivateKey;
  /** an RFC 9580 v6 key: served by HKP v2 and VKS, never by v1 get */
  let six: openpgp.PrivateKey;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(api.base + path, { headers });

  beforeAll(async () => {
    bob = await keyPair('Bob Signer', 'bob@example.org', { date: BOB_CREATED });
    alice = await keyPair('Alice Certified', 'alice@example.org', { date: BOB_CREATED, keyExpirationTime: 10 * 365 * 86400 });
    const aliceSigned = await alice.toPublic().signAllUsers([bob], CERTIFIED);
    carol = await keyPair('Carol Popular', 'carol@example.org', { date: BOB_CREATED });
    let carolSigned = carol.toPublic();
    for (let i = 0; i < MANY; i++) carolSigned = await carolSigned.signAllUsers([bob], new Date(CERTIFIED.getTime() + i * 1000));
    six = await keyPair('Six Version', 'six@example.org', { config: { v6Keys: true } });
    api = await startApiServer('dks-web-pages-', {
      fill: (store) => {
        ingestRoleKeys(store);
        const results = store.ingestMany([packetsOf(bob), packetsOf(aliceSigned), packetsOf(carolSigned), packetsOf(six)]);
        expect(results.map((r) => r.status)).toEqual(['new', 'new', 'new', 'new']);
      },
    });
  }, 120_000);
  afterAll(() => api?.close());

  describe('op=vindex', () => {
    test('each UID lists its signatures: kind, issuer key ID linking its vindex, date, [selfsig], the issuer’s UID', async () => {
      const r = await get('/pks/lookup?op=vindex&search=alice@example.org');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await r.text();
      expect(html).toContain('1 key found for “<bdi>alice@example.org</bdi>”');
      expect(html).toContain(`<a href="/key/${fprOf(alice)}">`);
      const uid = /<li><span class="uid"><bdi>Alice Certified &lt;alice@example.org&gt;<\/bdi><\/span>\n<ul class="sigs">([\s\S]*?)<\/ul><\/li>/.exec(html);
      expect(uid).not.toBeNull();
      const lines = uid![1].trim().split('\n');
      expect(lines).toHaveLength(2);
      const self = lines.find((l) => l.includes('[selfsig]'))!;
      const created = BOB_CREATED.toISOString().slice(0, 10);
      const expires = new Date(BOB_CREATED.getTime() + 10 * 365 * 86400_000).toISOString().slice(0, 10);
      expect(self).toMatch(new RegExp(`^<li><code class="kind">sig3</code> <a href="/pks/lookup\\?op=vindex&amp;search=0x${kidOf(alice)}"><code>${kidOf(alice)}</code></a> <time[^>]*>${created}</time> · key expires <time[^>]*>${expires}</time> <span class="selfsig">\\[selfsig\\]</span></li>$`));
      const third = lines.find((l) => !l.includes('[selfsig]'))!;
      expect(third).toContain(`<a href="/pks/lookup?op=vindex&amp;search=0x${kidOf(bob)}"><code>${kidOf(bob)}</code></a>`);
      expect(third).toContain(`<time datetime="${CERTIFIED.toISOString()}">2021-03-04</time>`);
      expect(third).toMatch(/<code class="kind">sig[0-3]?<\/code>/);
      expect(third).toContain('<bdi>Bob Signer &lt;bob@example.org&gt;</bdi>');
      // the subkey's binding is an sbind self-signature
      expect(html).toMatch(/<ul class="subkeys verbose">\n<li><code class="fpr">[\s\S]*?<code class="kind">sbind<\/code> <a href="\/pks\/lookup\?op=vindex&amp;search=0x[0-9A-F]{16}">[\s\S]*?\[selfsig\]/);
      // an issuer link is a working vindex of the issuer
      const issuer = await get(`/pks/lookup?op=vindex&search=0x${kidOf(bob)}`);
      expect(issuer.status).toBe(200);
      expect(await issuer.text()).toContain(`<a href="/key/${fprOf(bob)}">`);
    });

    test('a real key: debian security team’s UIDs carry third-party sigs and dated sig3 self-signatures', async () => {
      const html = await (await get(`/pks/lookup?op=vindex&search=0x${SECURITY}`)).text();
      expect(html.match(/\[selfsig\]/g)!.length).toBeGreaterThanOrEqual(3); // two UIDs and the subkey binding
      expect(html).toContain('<code class="kind">sig3</code> <a href="/pks/lookup?op=vindex&amp;search=0x6BAF400B05C3E651"><code>6BAF400B05C3E651</code></a> <time datetime="2022-08-23T19:15:28.000Z">2022-08-23</time> · key expires <time datetime="2027-08-22T19:15:28.000Z">2027-08-22</time> <span class="selfsig">[selfsig]</span>');
      expect(html).toContain('<code class="kind">sig</code> <a href="/pks/lookup?op=vindex&amp;search=0x10C293B6C37C4E36"><code>10C293B6C37C4E36</code></a> <time datetime="2015-01-19T16:23:11.000Z">');
      expect(html).toContain('not verified');
    });

    test(`at most ${DEFAULT_SIG_LINE_LIMITS.perComponent} lines under one User ID, the rest counted`, async () => {
      const html = await (await get('/pks/lookup?op=vindex&search=carol@example.org')).text();
      const uid = /<span class="uid"><bdi>Carol Popular[^]*?<\/ul><\/li>/.exec(html)![0];
      expect(uid.match(/<code class="kind">/g)).toHaveLength(DEFAULT_SIG_LINE_LIMITS.perComponent);
      // 1 self-signature + MANY certifications, of which perComponent are shown
      expect(uid).toContain(`<li class="more">… and ${MANY + 1 - DEFAULT_SIG_LINE_LIMITS.perComponent} more signatures not shown</li>`);
    });

    test('a v6 key’s self-signatures show its key ID, the first 8 octets of its fingerprint', async () => {
      const r = await get(`/pks/lookup?op=vindex&search=0x${fprOf(six)}`);
      expect(r.status).toBe(200);
      const html = await r.text();
      expect(kidOf(six)).toBe(fprOf(six).slice(0, 16));
      expect(html).toContain(`<code class="kind">sig3</code> <a href="/pks/lookup?op=vindex&amp;search=0x${kidOf(six)}"><code>${kidOf(six)}</code></a>`);
      expect(html.match(/\[selfsig\]/g)!.length).toBeGreaterThanOrEqual(2); // the User ID and the subkey binding
    });

    test('the page-wide bound and the bound on issuer look-ups hold too', () => {
      const records = [fprOf(carol), fprOf(alice)].map((f) => api.store.get(Buffer.from(f, 'hex'))!);
      const [c, a] = verboseKeys(api.store, records, (r) => r, { perComponent: 3, perPage: 5, issuers: 0 });
      expect(c.uids[0].sigs.lines).toHaveLength(3);
      expect(c.uids[0].sigs.more).toBe(MANY + 1 - 3);
      expect(c.subkeys[0].sigs.lines).toHaveLength(1);
      // 4 of the page's 5 lines went to Carol: one is left for Alice's User ID, none for her subkey
      expect(a.uids[0].sigs.lines).toHaveLength(1);
      expect(a.uids[0].sigs.more).toBe(1);
      expect(a.subkeys[0].sigs).toEqual({ lines: [], more: 1 });
      // no issuer look-ups allowed: Bob's certifications show his key ID without his User ID
      expect(c.uids[0].sigs.lines.filter((l) => !l.self).every((l) => l.keyId === kidOf(bob) && l.issuerUid === undefined)).toBe(true);
      const [withLookups] = verboseKeys(api.store, records.slice(0, 1), (r) => r, { perComponent: 3, perPage: 5, issuers: 1 });
      expect(withLookups.uids[0].sigs.lines.filter((l) => !l.self).map((l) => l.issuerUid)).toContain('Bob Signer <bob@example.org>');
    });

    test('with options=mr, vindex stays the machine index (no sig lines, as SKS); a miss is 404', async () => {
      const mr = await (await get('/pks/lookup?op=vindex&options=mr&search=alice@example.org')).text();
      expect(mr).toBe(await (await get('/pks/lookup?op=index&options=mr&search=alice@example.org')).text());
      expect(mr).toMatch(/^info:1:1\npub:/);
      expect((await get('/pks/lookup?op=vindex&search=nobody@example.org')).status).toBe(404);
    });
  });

  describe('key page', () => {
    /** Follow every link of the page's fetch list; each answers 200 with this very key. */
    async function followFetchLinks(fpr: string, addresses: string[], version = 4) {
      const r = await get(`/key/${fpr}`);
      expect(r.status).toBe(200);
      const links = hrefs(await r.text(), /<ul class="fetch">[\s\S]*?<\/ul>/);
      const expected = [
        ...(version === 4 ? [`/pks/lookup?op=get&options=mr&search=0x${fpr}`] : []),
        `/pks/v2/certs/by-vfingerprint/0${version}/${fpr}`,
        `/vks/v1/by-fingerprint/${fpr}`,
        ...addresses.flatMap((a) => [`/pks/v2/index/${encodeURIComponent(a)}`, `/vks/v1/by-email/${encodeURIComponent(a)}`]),
      ];
      expect(links.sort()).toEqual(expected.sort());
      for (const link of links) {
        const a = await get(link);
        expect({ link, status: a.status }).toEqual({ link, status: 200 });
        const body = Buffer.from(await a.arrayBuffer());
        const type = a.headers.get('content-type') ?? '';
        if (type.startsWith('application/json')) {
          expect(JSON.parse(body.toString('utf8')).map((k: { fingerprint: string }) => k.fingerprint)).toContain(fpr.toLowerCase());
        } else if (type.startsWith('application/pgp-keys')) {
          expect(fingerprints(dearmor(body.toString('utf8'))[0].data)).toContain(fpr);
        } else {
          expect(type).toBe('application/pgp');
          expect(primaryFpr(body)).toBe(fpr);
        }
      }
    }

    test('links to v1 get, HKP v2, VKS and the lookups by each address; every link answers this key', async () => {
      await followFetchLinks(SECURITY, ['security@debian.org', 'team@security.debian.org']);
      await followFetchLinks(fprOf(alice), ['alice@example.org']);
    });

    test('a v6 key: no v1 get link (v1 never serves v5+), HKP v2 under 06/, and the Download button is the VKS URL', async () => {
      await followFetchLinks(fprOf(six), ['six@example.org'], 6);
      const html = await (await get(`/key/${fprOf(six)}`)).text();
      expect(html).toContain('HKP v1 <code>op=get</code> does not serve keys of this version');
      expect(html).toContain(`<a class="button" href="/vks/v1/by-fingerprint/${fprOf(six)}" download="${fprOf(six)}.asc">Download</a>`);
      expect((await get(`/pks/lookup?op=get&options=mr&search=0x${fprOf(six)}`)).status).toBe(404);
    });
  });

  describe('upload result page', () => {
    const form = (keys: Packet[][]) => 'keytext=' + encodeURIComponent(armor(joinPackets(keys.flat())));
    const post = (body: string, accept = 'text/html') =>
      fetch(api.base + '/pks/add', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: accept }, body });
    const rows = (html: string) => /<tbody>\n([\s\S]*?)\n<\/tbody>/.exec(html)![1].split('\n');

    test('a mixed upload: the stored key’s row links its page, the refused key’s row gives its reason', async () => {
      const dave = await keyPair('Dave New', 'dave@example.org');
      const eve = await keyPair('Eve Unsigned', 'eve@example.org');
      const r = await post(form([packetsOf(dave), unsigned(eve)]));
      expect(r.status).toBe(200);
      const html = await r.text();
      expect(html).toContain('<p class="counts">2 keys received: <strong>1 new</strong>, 0 updated, 0 unchanged, 1 rejected</p>');
      const [stored, refused] = rows(html);
      expect(stored).toMatch(new RegExp(`^<tr><td>new</td><td><a href="/key/${fprOf(dave)}"><code class="fpr">`));
      expect(refused).toMatch(/^<tr class="rejected"><td>rejected<\/td><td><code class="fpr">[0-9A-F ]+<\/code><\/td><td><code>no-valid-uid<\/code>: <bdi>no User ID carries a valid self-signature/);
      expect(refused.replace(/ /g, '')).toContain(fprOf(eve));
      // the link opens the stored key's page; a second upload of the same key is reported unchanged
      const page = await get(`/key/${fprOf(dave)}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<h1><bdi>Dave New &lt;dave@example.org&gt;</bdi></h1>');
      expect(rows(await (await post(form([packetsOf(dave)]))).text())[0]).toMatch(/^<tr><td>unchanged<\/td>/);
    });

    test('a wholly refused upload is a 422 page that still lists every key’s reason; gpg still gets one line', async () => {
      const eve = await keyPair('Eve Unsigned', 'eve2@example.org');
      const frank = await keyPair('Frank Unsigned', 'frank@example.org');
      const body = form([unsigned(eve), unsigned(frank)]);
      const r = await post(body);
      expect(r.status).toBe(422);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await r.text();
      expect(html).toContain('No key was stored: every key was refused.');
      const lines = rows(html);
      expect(lines).toHaveLength(2);
      lines.forEach((line, i) => {
        expect(line).toContain('<code>no-valid-uid</code>');
        expect(line.replace(/ /g, '')).toContain(fprOf([eve, frank][i]));
        expect(line).not.toContain('/key/');
      });
      const text = await post(body, '*/*');
      expect(text.status).toBe(422);
      expect(await text.text()).toBe('no key stored: no-valid-uid: no User ID carries a valid self-signature, so nothing of this key would be served\n');
    });
  });
});
