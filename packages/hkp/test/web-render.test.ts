/**
 * The page renderers on KeyViews of real keys: debian-role-keys in a temp LMDB store, plus keys
 * made here with openpgp.js (a hostile UID, an unsigned UID, an unbound subkey).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { KeyStore } from '@dkeyserv/db';
import { armor, dearmor, encodePacket, isKeyringError, Packet, splitKeyring, splitPackets, Tag } from '@dkeyserv/pgp';
import { KeyView, keyView, presentedBytes, Stats } from '@dkeyserv/hkp';
import * as web from '../src/web';

const ctx: web.PageContext = { nodename: 'keys.example', version: '0.1.0' };
const HOSTILE = '<script>alert("x")</script> Mallory <mallory@example.org>';

async function generated(name: string, email: string): Promise<Packet[]> {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name, email }], format: 'armored' });
  return [...splitPackets(dearmor(k.publicKey)[0].data)];
}

/** Every text between tags, for looking at what a reader sees (`<bdi>` isolates text inline: no break). */
const text = (html: string) => html.replace(/<\/?bdi>/g, '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');

describe('web page renderers', () => {
  let dir: string;
  let store: KeyStore;
  const view = (email: string, now?: number): KeyView => keyView(store, store.get(store.lookup('email', Buffer.from(email))[0])!, now);
  const armoredOf = (v: KeyView) => armor(presentedBytes(store, store.get(Buffer.from(v.fingerprint, 'hex'))!)!);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dks-web-'));
    store = KeyStore.open({ path: dir });
    const role = [...splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))].map((e) => {
      if (isKeyringError(e)) throw e.error;
      return e.packets;
    });
    // a key with an unsigned second UID and a subkey without a binding signature (another key's)
    const partial = await generated('Partly Signed', 'partly@example.org');
    const stray = (await generated('Stray', 'stray@example.org')).find((p) => p.tag === Tag.PublicSubkey)!;
    partial.splice(partial.findIndex((p) => p.tag === Tag.PublicSubkey), 0, encodePacket(Tag.UserId, Buffer.from('Unsigned Claim <claim@example.org>')));
    partial.push(stray);
    const results = store.ingestMany([...role, await generated('<script>alert("x")</script> Mallory', 'mallory@example.org'), partial]);
    expect(results.filter((r) => r.status !== 'new')).toEqual([]);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every page has the frame: language, viewport, stylesheet, navigation', () => {
    for (const html of [web.renderSearchPage(ctx), web.renderUploadPage(ctx), web.renderErrorPage(ctx, 404, 'gone')]) {
      expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
      expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(html).toContain('<link rel="stylesheet" href="/assets/style.css">');
      expect(html).toContain('<a href="/upload">Upload</a>');
      expect(html).toContain('keys.example');
    }
  });

  test('search page: a labelled form, what can be searched, a link to upload', () => {
    const html = web.renderSearchPage(ctx);
    expect(html).toContain('<form class="search" action="/pks/lookup" method="get"');
    expect(html).toContain('<label for="search">');
    expect(html).toContain('id="search" name="search"');
    const t = text(html);
    expect(t).toContain('e-mail address');
    expect(t).toContain('words of a name');
    expect(t).toContain('key ID or fingerprint');
    expect(html).toContain('<a href="/upload">Upload it</a>');
  });

  test('results: algorithm and size, grouped fingerprint, date, badges, served UIDs, links', () => {
    const sec = view('security@debian.org');
    const community = view('community@debian.org', 1_800_000_000);
    expect(community.expired).toBe(true);
    const html = web.renderIndexPage(ctx, 'debian', [sec, community]);
    expect(text(html)).toContain('2 keys found for “debian”');
    expect(html).toContain(`<a href="/key/${sec.fingerprint}"><code class="fpr">${sec.fingerprint.match(/.{4}/g)!.join(' ')}</code></a>`);
    expect(html).toContain('RSA 4096 · created <time datetime="2015-01-18T11:45:56.000Z">2015-01-18</time>');
    expect(html).toContain('<li><bdi>Debian Security Team &lt;security@debian.org&gt;</bdi></li>');
    expect(html).toContain('<li><bdi>Debian Security Team &lt;team@security.debian.org&gt;</bdi></li>');
    expect(html.match(/badge expired/g)).toHaveLength(1);
    expect(html).toContain('value="debian"');
  });

  test('key page: facts, UIDs with signature counts, subkeys, download link, armored key', () => {
    const k = view('security@debian.org');
    const armored = armoredOf(k);
    const html = web.renderKeyPage(ctx, k, armored);
    const t = text(html);
    expect(html).toContain('<h1><bdi>Debian Security Team &lt;security@debian.org&gt;</bdi></h1>');
    expect(t).toContain(`Fingerprint ${k.fingerprint.match(/.{4}/g)!.join(' ')}`);
    expect(t).toContain(`Key ID 0x${k.keyId}`);
    expect(t).toContain('Algorithm RSA 4096 (v4 key)');
    expect(t).toContain('Created 2015-01-18');
    expect(t).toContain('Expires 2027-08-22');
    expect(t).toContain('Status valid');
    expect(t).toContain(`SKS hash ${k.hash}`);
    expect(t).toContain(`First seen ${new Date(k.firstSeen).toISOString().slice(0, 10)}`);
    expect(t).toContain('Last modified');
    for (const u of k.uids) expect(t).toContain(`${u.text.replace(/</g, '&lt;').replace(/>/g, '&gt;')} self-signed ${new Date(u.created! * 1000).toISOString().slice(0, 10)} · ${u.signatures} signature`);
    expect(t).toContain(`User IDs 2 of 2 served · ${k.uids[0].signatures + k.uids[1].signatures} signatures on them in all`);
    const sub = k.subkeys[0];
    expect(t).toContain(`${sub.fingerprint.match(/.{4}/g)!.join(' ')} RSA 4096 · created 2015-01-18 · expires 2027-08-22`);
    expect(html).toContain(`<a class="button" href="/pks/lookup?op=get&amp;options=mr&amp;search=0x${k.fingerprint}" download="${k.fingerprint}.asc">Download</a>`);
    const pre = /<pre class="armor"[^>]*>([^<]*)<\/pre>/.exec(html)![1];
    expect(pre).toBe(armored);
    expect(dearmor(pre)[0].data.equals(dearmor(armored)[0].data)).toBe(true);
  });

  test('key page: a revoked or expired key says so', () => {
    const html = web.renderKeyPage(ctx, { ...view('community@debian.org', 1_800_000_000), revoked: true }, undefined);
    expect(text(html)).toMatch(/Status revoked expired/);
    expect(html).not.toContain('badge valid');
  });

  test('key page: UIDs and subkeys without a valid self-signature are withheld, their text not shown', () => {
    const k = view('partly@example.org');
    expect(k.uids.map((u) => u.valid)).toEqual([true, false]);
    expect(k.subkeys.map((s) => s.valid)).toEqual([true, false]);
    const html = web.renderKeyPage(ctx, k, armoredOf(k));
    expect(html).not.toContain('Unsigned Claim');
    expect(html).not.toContain('claim@example.org');
    expect(html.match(/withheld: no valid self-signature/g)).toHaveLength(2);
    expect(html).toContain(k.subkeys[1].fingerprint.match(/.{4}/g)!.join(' '));
    expect(text(html)).toContain('User IDs 1 of 2 served');
    expect(text(html)).toContain('EdDSA');
  });

  test('key page: a key with nothing served has no download and no armor', () => {
    const k = { ...view('partly@example.org'), servable: false, uids: view('partly@example.org').uids.map((u) => ({ ...u, valid: false })) };
    const html = web.renderKeyPage(ctx, k, undefined);
    expect(text(html)).toContain('Nothing of this key is served');
    expect(html).not.toContain('Download');
    expect(html).not.toContain('<pre');
    expect(html).toContain(`<h1>Key 0x${k.keyId}</h1>`);
  });

  test('every dynamic string is escaped: UIDs, the search, messages, upload lines, identity', () => {
    const k = view('mallory@example.org');
    expect(k.uids[0].text).toBe(HOSTILE);
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Mallory &lt;mallory@example.org&gt;';
    const pages = [
      web.renderIndexPage(ctx, '<script>"', [k]),
      web.renderKeyPage(ctx, k, armoredOf(k)),
      web.renderErrorPage(ctx, 404, 'no key found for "<script>"'),
      web.renderUploadResult(ctx, { counts: { new: 0, updated: 0, unchanged: 0, rejected: 1 }, keys: [{ status: 'rejected', reason: 'bad-<b>', message: '<script>x</script>' }] }),
      web.renderStatsPage({ nodename: '<script>n', version: '<b>' }, { ...new Stats(store, { hostname: 'h', nodename: 'n', software: 's', version: 'v', httpAddr: 'a' }).view(), contact: '<script>c' }),
      web.renderVindexPage(ctx, '<script>', [{ key: k, direct: { lines: [], more: 0 }, uids: [{ uid: k.uids[0], sigs: { lines: [{ kind: 'sig', keyId: 'ABCDEF0123456789', self: false, issuerUid: HOSTILE }], more: 0 } }], subkeys: [] }]),
    ];
    for (const html of pages) expect(html).not.toMatch(/<script|<b>/i);
    expect(pages[0]).toContain(escaped);
    expect(pages[0]).toContain('value="&lt;script&gt;&quot;"');
    expect(pages[1]).toContain(`<h1><bdi>${escaped}</bdi></h1>`);
    expect(pages[1]).toContain(`<title>\u2068${escaped}\u2069 (${k.keyId}) — keys.example</title>`);
    expect(pages[2]).toContain('no key found for &quot;&lt;script&gt;&quot;');
    expect(pages[3]).toContain('<tr class="rejected"><td>rejected</td><td><span class="meta">not identified</span></td><td><code>bad-&lt;b&gt;</code>: <bdi>&lt;script&gt;x&lt;/script&gt;</bdi></td></tr>');
    expect(pages[5]).toContain(`<span class="uid"><bdi>${escaped}</bdi></span>`);
    expect(pages[5]).toContain(`<a href="/pks/lookup?op=vindex&amp;search=0xABCDEF0123456789"><code>ABCDEF0123456789</code></a> <bdi>${escaped}</bdi></li>`);
    expect(pages[4]).toContain('&lt;script&gt;c');
    expect(web.escapeHtml(`<a href="x" title='y'>&`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;');
  });

  test('user-supplied text is bidi-isolated: a right-to-left override in a UID or a search cannot reorder the page', async () => {
    const RLO = '\u202e';
    const [r] = store.ingestMany([await generated(`Eve ${RLO}evil`, 'rlo@example.org')]);
    expect(r.status).toBe('new');
    const k = view('rlo@example.org');
    const uidHtml = `<bdi>Eve ${RLO}evil &lt;rlo@example.org&gt;</bdi>`;
    const keyPage = web.renderKeyPage(ctx, k, armoredOf(k));
    expect(keyPage).toContain(`<h1>${uidHtml}</h1>`);
    expect(keyPage).toContain(`<span class="uid">${uidHtml}</span>`);
    expect(keyPage).toContain(`<title>\u2068Eve ${RLO}evil &lt;rlo@example.org&gt;\u2069 (${k.keyId})`);
    const results = web.renderIndexPage(ctx, `evil${RLO} search`, [k]);
    expect(results).toContain(`<li>${uidHtml}</li>`);
    expect(results).toContain(`found for “<bdi>evil${RLO} search</bdi>”`);
    expect(results).toContain('name="search" dir="auto"');
    // every RLO in the page sits inside a <bdi> (or FSI…PDI in the title)
    const outside = keyPage.replace(/<bdi>[^<]*<\/bdi>/g, '').replace(/\u2068[^\u2069]*\u2069/g, '');
    expect(outside).not.toContain(RLO);
    // an error reason quoting the search shows the control as a code point, isolated
    const err = web.renderErrorPage(ctx, 404, `no key found for "a${RLO}b"`);
    expect(err).toContain('<p class="notice"><bdi>no key found for &quot;a&lt;U+202E&gt;b&quot;</bdi></p>');
    expect(err).not.toContain(RLO);
    // peers' software names on the stats page
    const stats = new Stats(store, { hostname: 'h', nodename: 'n', software: 's', version: 'v', httpAddr: 'a' }).view();
    const html = web.renderStatsPage(ctx, { ...stats, peers: [{ ...(stats.peers[0] ?? {}), name: 'p:1', software: `x${RLO}y`, keysRecovered: 0, keysNotConverging: 0 } as never] });
    expect(html).toContain(`<td><bdi>x${RLO}y</bdi></td>`);
  });

  test('quorum sections: the key page names who vouched and what is pending, stats list members, pending keys and evidence (escaped)', () => {
    const k = view('partly@example.org');
    const v = (members: string[]) => ({ keyHash: 'ab'.repeat(16), members, attested: members.map(() => '2026-11-22T10:00:00.000Z'), quorumTime: undefined });
    const accepted = { ...v(['alpha', 'bravo', '<script>c']), quorumTime: '2026-11-22T10:01:00.000Z' };
    const page = web.renderKeyPage(ctx, k, armoredOf(k), { policy: 'test-quorum v1', n: 4, k: 3, accepted, revocationsAdded: true, pending: [v(['alpha'])] });
    expect(page).not.toMatch(/<script/);
    const t = text(page);
    expect(t).toContain('a version is served once 3 of 4 members attested it');
    expect(t).toMatch(/Served version (ab){16} : 3 of 4 \(alpha at [^,]+, bravo at [^,]+, &lt;script&gt;c at [^)]+\), accepted 2026-11-22 10:01 UTC/);
    expect(t).toContain('newer revocations are served with it');
    expect(page).toContain(`href="/pks/lookup?op=x-quorum&amp;search=0x${k.fingerprint}"`);
    expect(t).toMatch(/Pending: (ab){16} : 1 of 4 \(alpha at/);
    const waiting = web.renderKeyPage(ctx, k, undefined, { policy: 'test-quorum v1', n: 4, k: 3, revocationsAdded: false, pending: [v(['alpha', 'bravo'])] });
    expect(text(waiting)).toContain('Nothing of this key is served yet: no version of it has its quorum of attestations.');
    expect(text(waiting)).toContain('No version is accepted yet.');

    const identity = { hostname: 'h', nodename: 'n', software: 's', version: 'v', httpAddr: 'a' };
    const quorum = {
      policy: { name: 'test-quorum', version: 1, hash: 'cd'.repeat(32), n: 4, k: 3, members: [{ name: 'alpha', id: 'AAA=' }, { name: '<b>mallory', id: 'BBB=' }] },
      nodeId: 'AAA=',
      attestations: 12,
      pending: [{ fingerprint: 'F'.repeat(40), keyHash: 'ab'.repeat(16), members: ['alpha'] }],
      evidence: [{ member: '<b>mallory', signer: 'BBB=', fingerprint: 'E'.repeat(40) }],
      dropped: { malformed: 0, 'other-policy': 1, 'not-a-member': 2, 'bad-signature': 3 },
    };
    const stats = web.renderStatsPage(ctx, new Stats(store, identity, () => [], () => quorum).view());
    expect(stats).not.toMatch(/<b>/);
    const st = text(stats);
    expect(st).toContain('Policy test-quorum v1');
    expect(st).toContain('4 members, a version is served once 3 attested it. 12 attestations held.');
    expect(st).toContain('alpha AAA= (this node)');
    expect(stats).toContain(`<a href="/key/${'F'.repeat(40)}">`);
    expect(st).toContain(`&lt;b&gt;mallory signed two conflicting statements about ${'E'.repeat(40)}`);
    expect(st).toContain('Attestations dropped: malformed 0, other-policy 1, not-a-member 2, bad-signature 3.');
  });

  test('upload page: a labelled textarea and the note on self-signatures', () => {
    const html = web.renderUploadPage(ctx);
    expect(html).toContain('<form class="upload" action="/pks/add" method="post">');
    expect(html).toContain('<label for="keytext">');
    expect(html).toMatch(/<textarea id="keytext" name="keytext"[^>]* required/);
    expect(text(html)).toContain('Only keys with valid self-signatures are served');
  });

  test('upload result: counts, a row per key with what happened, links to stored keys only', () => {
    const a = 'A'.repeat(40);
    const b = 'B'.repeat(64);
    const html = web.renderUploadResult(ctx, {
      counts: { new: 1, updated: 1, unchanged: 0, rejected: 1 },
      keys: [
        { status: 'new', fingerprint: a },
        { status: 'updated', fingerprint: b },
        { status: 'rejected', fingerprint: 'C'.repeat(40), reason: 'secret-key', message: 'a secret key' },
      ],
    });
    expect(text(html)).toContain('3 keys received: 1 new , 1 updated, 0 unchanged, 1 rejected');
    expect(html).not.toContain('No key was stored');
    expect(html).toContain(`<tr><td>new</td><td><a href="/key/${a}">`);
    expect(html).toContain(`<tr><td>updated</td><td><a href="/key/${b}">`);
    expect(html).not.toContain(`/key/${'C'.repeat(40)}`);
    expect(text(html)).toContain(`rejected ${'CCCC '.repeat(10)}secret-key : a secret key`);
    const refused = web.renderUploadResult(ctx, { counts: { new: 0, updated: 0, unchanged: 0, rejected: 1 }, keys: [{ status: 'rejected', reason: 'unknown-key', message: 'revocation certificate for a key this server does not have' }] });
    expect(text(refused)).toContain('No key was stored: every key was refused.');
  });

  test('key page: links to fetch the key by v1, HKP v2 and VKS, and by each address of its served UIDs', () => {
    const k = view('security@debian.org');
    const html = web.renderKeyPage(ctx, k, armoredOf(k));
    expect(html).toContain(`<a href="/pks/v2/certs/by-vfingerprint/04/${k.fingerprint}">`);
    expect(html).toContain(`<a href="/vks/v1/by-fingerprint/${k.fingerprint}">`);
    expect(html).toContain('<li><bdi>team@security.debian.org</bdi>: <a href="/pks/v2/index/team%40security.debian.org">HKP v2 index</a> · <a href="/vks/v1/by-email/team%40security.debian.org">VKS by e-mail</a></li>');
    // the withheld UID's address is not offered; a v6 key has no v1 link and its v2 link is under 06/
    expect(web.renderKeyPage(ctx, view('partly@example.org'), 'x')).not.toContain('claim%40example.org');
    const v6 = { ...k, version: 6, fingerprint: 'D'.repeat(64) };
    const six = web.renderKeyPage(ctx, v6, 'x');
    expect(six).toContain(`<a href="/pks/v2/certs/by-vfingerprint/06/${v6.fingerprint}">`);
    expect(six).not.toContain('op=get&amp;');
    expect(six).toContain(`<a class="button" href="/vks/v1/by-fingerprint/${v6.fingerprint}"`);
    // nothing served: nothing to fetch
    expect(web.renderKeyPage(ctx, k, undefined)).not.toContain('Fetch this key');
  });

  test('stats page: identity, total, recon policies, partners, hourly and daily tables', () => {
    const identity = { hostname: 'keys.example', nodename: 'node-1', software: 'dkeyserv', version: '0.1.0', contact: '0x0123456789ABCDEF', httpAddr: '127.0.0.1:11371' };
    const partner = { name: 'hp.example:11370', reconAddr: 'hp.example:11370', keysRecovered: 3, keysNotConverging: 1, software: 'Hockeypuck 2.2–2.3', policy: 'hockeypuck' };
    const stats = new Stats(store, identity, () => [partner]).view();
    const html = web.renderStatsPage(ctx, stats);
    const t = text(html);
    for (const [k, v] of [['Hostname', 'keys.example'], ['Nodename', 'node-1'], ['Software', 'dkeyserv'], ['Version', '0.1.0'], ['Contact', '0x0123456789ABCDEF'], ['HTTP address', '127.0.0.1:11371']]) expect(t).toContain(`${k} ${v}`);
    expect(t).toContain(`Total number of keys: ${store.count()}`);
    expect(t).toContain(`Recon policies Policy Keys Filters sks ${store.count()} yminsky.dedup,yminsky.merge`);
    expect(t).toMatch(/Partner Software Policy .* hp\.example:11370 Hockeypuck 2\.2–2\.3 hockeypuck — — 3 1 —/);
    const tables = html.match(/<table class="histogram">[\s\S]*?<\/table>/g)!.filter((x) => x.includes('<caption>Keys per'));
    expect(tables).toHaveLength(2);
    expect(tables[0].match(/<tr><td>/g)).toHaveLength(24);
    expect(tables[1].match(/<tr><td>/g)).toHaveLength(7);
    expect(tables[0]).toContain('<th scope="col">Inserted</th><th scope="col">Updated</th>');
    // every key was stored just now: the newest hour and day hold them all
    expect(tables[0]).toMatch(new RegExp(`</time></td><td>${store.count()}</td><td>0</td></tr>`));
    expect(tables[1]).toMatch(new RegExp(`</time></td><td>${store.count()}</td><td>0</td></tr>`));
  });

  test('stylesheet: narrow-screen rules and wrapping fingerprints', () => {
    expect(web.STYLESHEET).toContain('max-width:56rem');
    expect(web.STYLESHEET).toMatch(/\.fpr,\.hash\{overflow-wrap:anywhere/);
    expect(web.STYLESHEET).toContain('@media (max-width:30rem)');
  });
});
