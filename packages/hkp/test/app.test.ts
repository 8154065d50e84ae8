/**
 * The HKP app on a real socket (127.0.0.1, ephemeral port) over a real LMDB store holding
 * debian-role-keys plus keys made here: every search form, the mr index, add in its forms,
 * bare revocations, hashquery, stats, health, metrics, rate limiting.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { KeyStore, silentLogger } from '@dkeyserv/db';
import { armor, dearmor, isKeyringError, normalizeKey, sksKeyHash, splitKeyring, splitPackets } from '@dkeyserv/pgp';
import { createHkpApp, DEFAULT_HKP_OPTIONS, encodeHashQueryResponse, escapeUid, listen, RunningServer } from '@dkeyserv/hkp';

import { keyringPackets, startTestApp, TestApp } from './helpers/test-app';

const ROLE = readFileSync('/usr/share/keyrings/debian-role-keys.gpg');

function roleKeys() {
  return [...splitKeyring(ROLE)].map((e) => {
    if (isKeyringError(e)) throw e.error;
    return normalizeKey(e.packets);
  });
}

describe('HKP app', () => {
  let dir: string;
  let store: KeyStore;
  let server: RunningServer;
  let base: string;
  const keys = roleKeys();

  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('hkp', { maxBodyBytes: 1024 * 1024 }, (s) => s.ingestMany(keyringPackets()));
    ({ dir, store, server, base } = t);
  });
  afterAll(() => t.stop());

  const get = (path: string) => fetch(base + path);
  const fpr = (i: number) => keys[i].fingerprint.toString('hex').toUpperCase();

  test('get by fingerprint, 64-bit and 32-bit key ID, with and without 0x, in any case', async () => {
    const f = fpr(0);
    for (const search of [`0x${f}`, `0x${f.toLowerCase()}`, f, `0x${f.slice(-16)}`, `0x${f.slice(-8)}`]) {
      const r = await get(`/pks/lookup?op=get&options=mr&search=${search}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/pgp-keys/);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('content-disposition')).toMatch(/attachment; filename=.*\.asc/);
      const text = await r.text();
      expect(text.endsWith('-----END PGP PUBLIC KEY BLOCK-----\n')).toBe(true);
      const got = normalizeKey(splitPackets(dearmor(text)[0].data));
      expect(got.fingerprint.toString('hex').toUpperCase()).toBe(f);
    }
  });

  test('a subkey fingerprint finds its primary key', async () => {
    const k = keys.find((x) => x.subkeys.length > 0)!;
    const sub = splitPackets(k.subkeys[0].packet.raw)[0];
    const { keyIdentity } = await import('@dkeyserv/pgp');
    const id = keyIdentity(sub.body).fingerprint.toString('hex');
    const text = await (await get(`/pks/lookup?op=get&options=mr&search=0x${id}`)).text();
    expect(normalizeKey(splitPackets(dearmor(text)[0].data)).fingerprint.equals(k.fingerprint)).toBe(true);
  });

  test('mr index: info line, upper-case fingerprint, escaped UIDs; e-mail is exact', async () => {
    const uid = keys[0].uids.find((u) => u.packet.tag === 13)!.packet.body.toString('utf8');
    const email = /<([^>]+)>/.exec(uid)![1];
    const r = await get(`/pks/lookup?op=index&options=mr&fingerprint=on&search=${encodeURIComponent(email)}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = (await r.text()).trim().split('\n');
    expect(lines[0]).toBe('info:1:1');
    expect(lines[1]).toMatch(new RegExp(`^pub:${fpr(0)}:\\d+:\\d+:\\d+:\\d*:[re]*$`));
    expect(lines.slice(2).every((l) => l.startsWith('uid:'))).toBe(true);
    expect(lines.join('\n')).toContain(`uid:${escapeUid(uid)}:`);
    // <email> form and upper case also match exactly; a prefix does not
    expect((await get(`/pks/lookup?op=index&options=mr&search=${encodeURIComponent('<' + email.toUpperCase() + '>')}`)).status).toBe(200);
    expect((await get(`/pks/lookup?op=index&options=mr&search=${encodeURIComponent(email.slice(1))}`)).status).toBe(404);
  });

  test('escapeUid escapes %, :, control and non-ASCII bytes', () => {
    expect(escapeUid('Café 100%: a\nb')).toBe('Caf%C3%A9 100%25%3A a%0Ab');
  });

  test('word search needs every word; HTML without mr, never HTML with mr', async () => {
    const uid = keys[0].uids.find((u) => u.packet.tag === 13)!.packet.body.toString('utf8');
    const words = uid.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 2).slice(0, 2).join(' ');
    const html = await get(`/pks/lookup?op=index&search=${encodeURIComponent(words)}`);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toContain(fpr(0));
    const none = await get(`/pks/lookup?op=index&options=mr&search=${encodeURIComponent(words + ' zzqqxxnotaword')}`);
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await none.text()).trim().split('\n')).toHaveLength(1);
  });

  test('errors: missing search, unknown op, bad percent-encoding, short hex, v3 fingerprint', async () => {
    const cases: [string, number, RegExp][] = [
      ['/pks/lookup?op=get&options=mr', 400, /missing search/],
      ['/pks/lookup?op=frobnicate&search=x', 400, /unknown op/],
      ['/pks/lookup?op=index&options=mr&search=%zz', 400, /percent-encoding/],
      ['/pks/lookup?op=get&options=mr&search=0x1234', 400, /8, 16, 40 or 64/],
      ['/pks/lookup?op=get&options=mr&search=0x' + '0'.repeat(32), 400, /v3/],
      ['/pks/lookup?op=get&options=mr&search=0x' + '0'.repeat(40), 404, /no key found/],
      ['/pks/lookup?op=hget&search=nothex', 400, /32 hex/],
      ['/nowhere', 404, /no such page/],
      ['/pks/lookup?op=x-quorum&search=0x' + '0'.repeat(40), 501, /quorum mode is off/],
    ];
    for (const [path, status, reason] of cases) {
      const r = await get(path);
      expect(r.status).toBe(status);
      const body = await r.text();
      expect(body).toMatch(reason);
      if (path.includes('mr')) expect(body.trim().split('\n')).toHaveLength(1);
    }
  });

  test('hget and hashquery serve the stored key by its SKS hash', async () => {
    const hash = sksKeyHash(keys[1]);
    const r = await get(`/pks/lookup?op=hget&search=${hash.toString('hex').toUpperCase()}`);
    expect(r.status).toBe(200);
    const body = Buffer.alloc(4 + 2 * 20);
    body.writeUInt32BE(2, 0);
    body.writeUInt32BE(16, 4);
    hash.copy(body, 8);
    body.writeUInt32BE(16, 24);
    Buffer.alloc(16, 0xee).copy(body, 28); // unknown: left out
    const hq = await fetch(base + '/pks/hashquery', { method: 'POST', body });
    expect(hq.status).toBe(200);
    expect(hq.headers.get('content-type')).toBe('pgp/keys');
    const got = Buffer.from(await hq.arrayBuffer());
    const stored = Buffer.from(store.getByHash(hash)!.record.packets);
    expect(got.equals(encodeHashQueryResponse([stored]))).toBe(true);
    expect(got.readUInt32BE(0)).toBe(1);
    expect(got.subarray(-2).toString()).toBe('\r\n');
    const bad = Buffer.alloc(4);
    bad.writeUInt32BE(2 ** 31, 0);
    const r2 = await fetch(base + '/pks/hashquery', { method: 'POST', body: bad });
    expect(r2.status).toBe(400);
  });

  describe('add', () => {
    let armored: string;
    let revocation: string;
    let newFpr: string;
    beforeAll(async () => {
      const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Upload Test', email: 'upload@example.org' }], format: 'armored' });
      armored = k.publicKey;
      revocation = k.revocationCertificate;
      newFpr = (await openpgp.readKey({ armoredKey: armored })).getFingerprint().toUpperCase();
    });

    test('a keytext form (not the first field) adds the key; a re-send is unchanged', async () => {
      const form = `other=1&keytext=${encodeURIComponent(armored)}`;
      const r = await fetch(base + '/pks/add', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
      expect(r.status).toBe(200);
      expect(await r.text()).toMatch(/^1 new, 0 updated, 0 unchanged, 0 rejected/);
      const again = await fetch(base + '/pks/add', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
      expect(await again.text()).toMatch(/0 new, 0 updated, 1 unchanged/);
      expect((await get(`/pks/lookup?op=index&options=mr&search=upload@example.org`)).status).toBe(200);
    });

    test('a raw application/pgp-keys body with two keys, one of them binary-concatenated', async () => {
      const two = Buffer.concat([...splitKeyring(ROLE)].slice(0, 2).map((e) => (isKeyringError(e) ? Buffer.alloc(0) : Buffer.concat(e.packets.map((p) => p.raw)))));
      const r = await fetch(base + '/pks/add', { method: 'POST', headers: { 'Content-Type': 'application/pgp-keys' }, body: armor(two) });
      expect(r.status).toBe(200);
      expect(await r.text()).toMatch(/0 new, 0 updated, 2 unchanged/);
    });

    test('a bare revocation certificate revokes the stored key', async () => {
      const r = await fetch(base + '/pks/add', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `keytext=${encodeURIComponent(revocation)}` });
      expect(r.status).toBe(200);
      expect(await r.text()).toMatch(/1 updated/);
      const idx = await (await get(`/pks/lookup?op=index&options=mr&search=0x${newFpr}`)).text();
      expect(idx).toMatch(new RegExp(`^pub:${newFpr}:[^\\n]*:r\\n`, 'm'));
    });

    test('garbage, an empty body, a wrong type and a bad CRC are clear 4xx', async () => {
      const post = (body: string, type = 'application/x-www-form-urlencoded') => fetch(base + '/pks/add', { method: 'POST', headers: { 'Content-Type': type }, body });
      expect((await post('keytext=garbage')).status).toBe(422);
      expect((await post('')).status).toBe(400);
      expect((await post('x', 'image/png')).status).toBe(415);
      expect((await post('nokeytext=1')).status).toBe(400);
      const badCrc = armored.replace(/^=(.*)$/m, (_m, c: string) => '=' + (c[0] === 'A' ? 'B' : 'A') + c.slice(1));
      const r = await post(`keytext=${encodeURIComponent(badCrc)}`);
      expect(r.status).toBe(422);
      expect(await r.text()).toMatch(/CRC-24/);
      const big = await post('keytext=' + 'A'.repeat(2 * 1024 * 1024));
      expect(big.status).toBe(413);
    });
  });

  test('stats JSON carries Hockeypuck fields plus numkeys and Total', async () => {
    const r = await get('/pks/lookup?op=stats&options=mr');
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const s = await r.json();
    for (const k of ['now', 'version', 'hostname', 'nodename', 'software', 'httpAddr', 'total', 'numkeys', 'Total', 'peers', 'hourly', 'daily', 'queryConfig']) expect(s).toHaveProperty(k);
    expect(s.total).toBe(store.count());
    expect(s.numkeys).toBe(s.total);
    expect(s.hourly[0].Inserted).toBeGreaterThan(0);
  });

  test('health, metrics, OPTIONS and HEAD', async () => {
    expect(await (await get('/pks/health')).text()).toBe('OK\n');
    const m = await (await get('/metrics')).text();
    expect(m).toMatch(/dkeyserv_http_request_duration_seconds_bucket/);
    expect(m).toMatch(/dkeyserv_keys_total\{outcome="new"\} \d+/);
    const o = await fetch(base + '/pks/lookup', { method: 'OPTIONS' });
    expect(o.status).toBe(204);
    expect(o.headers.get('allow')).toMatch(/GET/);
    const h = await fetch(base + `/pks/lookup?op=get&options=mr&search=0x${fpr(0)}`, { method: 'HEAD' });
    expect(h.status).toBe(200);
  });

  test('paths a client makes up share one metrics label (the label set stays bounded)', async () => {
    for (let i = 0; i < 20; i++) expect((await get(`/pks/made-up-${i}`)).status).toBe(404);
    for (let i = 0; i < 5; i++) await get(`/elsewhere-${i}`);
    const m = await (await get('/metrics')).text();
    expect(m).not.toMatch(/made-up|elsewhere/);
    expect(m).toMatch(/dkeyserv_http_request_duration_seconds_count\{route="\/pks\/other",status="404"\} 20/);
  });
});

describe('rate limiting', () => {
  test('over budget gives 429 with Retry-After', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dks-hkp-rl-'));
    const store = KeyStore.open({ path: dir });
    const app = createHkpApp({
      store,
      logger: silentLogger,
      options: { ...DEFAULT_HKP_OPTIONS, rateLimit: { requests: 5, uploads: 1, windowSeconds: 60 }, identity: { hostname: 'h', nodename: 'n', software: 'dkeyserv', version: '0', httpAddr: '' } },
    });
    const server = await listen(app, { host: '127.0.0.1', port: 0 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await fetch(`http://127.0.0.1:${server.port}/pks/health`)).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const r = await fetch(`http://127.0.0.1:${server.port}/pks/health`);
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await r.text()).toMatch(/too many requests/);
    } finally {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
