/**
 * v6 keys (RFC 9580) end to end on a real server over a real store (docs/hkp.md §12, §13,
 * docs/recon-policies.md): keys made in the test by openpgp.js (Ed25519 + X25519 and Ed448 +
 * X448; `sq` 0.27 makes v4 keys only) uploaded over `POST /pks/v2/certs` and `POST
 * /vks/v1/upload`, then found by fingerprint and by e-mail over v2 and VKS.
 *
 * "Byte-identical": an upload that is already in the stored form (openpgp.js writes primary,
 * direct-key signature, User ID, certification, subkey, binding: SKS's order, nothing to dedup)
 * is served as exactly the uploaded octets — binary over v2, the same octets inside the armor
 * over VKS. Never over legacy v1 (`op=get` by fingerprint, key ID or e-mail; gpg 2.2 gets
 * nothing), nor by key ID over v2. A store keeping only the `sks` policy refuses the key with the
 * reason in each answer.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { dearmor, keyIdentity, splitPackets, Tag } from '@dkeyserv/pgp';
import { GpgHome } from '../../../test/helpers/gpg';
import { ApiServer, makeKey, startApiServer } from './helpers/api-server';

interface V6Key {
  binary: Buffer;
  armored: string;
  /** upper-case, 64 hex digits */
  fpr: string;
  email: string;
}

async function makeV6(type: 'curve25519' | 'curve448', email: string): Promise<V6Key> {
  const k = await openpgp.generateKey({ type, userIDs: [{ name: 'Version Six', email }], format: 'object', config: { v6Keys: true } });
  return { binary: Buffer.from(k.publicKey.write()), armored: k.publicKey.armor(), fpr: k.publicKey.getFingerprint().toUpperCase(), email };
}

const noKeys = () => undefined;

describe('v6 keys over HKP v2 and VKS', () => {
  let s: ApiServer;
  let ed25519: V6Key;
  let ed448: V6Key;
  beforeAll(async () => {
    // sks and hockeypuck-2.4: the second carries v6 keys
    s = await startApiServer('dks-v6-e2e-', { fill: noKeys });
    ed25519 = await makeV6('curve25519', 'six-25519@example.org');
    ed448 = await makeV6('curve448', 'six-448@example.org');
  });
  afterAll(() => s.close());

  const get = (path: string) => fetch(s.base + path);
  const bytes = async (r: Response) => Buffer.from(await r.arrayBuffer());

  /** Every way a v6 key is found, each answering exactly the uploaded octets. */
  async function expectServedAsUploaded(k: V6Key) {
    // the X25519/X448 subkey's 32-byte fingerprint finds the whole key too
    const sub = splitPackets(k.binary).find((p) => p.tag === Tag.PublicSubkey)!;
    const subFpr = keyIdentity(sub.body).fingerprint.toString('hex').toUpperCase();
    for (const path of [`/pks/v2/certs/by-vfingerprint/06/${k.fpr}`, `/pks/v2/certs/by-vfingerprint/06/${k.fpr.toLowerCase()}`, `/pks/v2/certs/by-vfingerprint/06/${subFpr}`, `/pks/v2/certs/by-identity/${k.email}`]) {
      const r = await get(path);
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, 200, 'application/pgp']);
      expect([path, (await bytes(r)).equals(k.binary)]).toEqual([path, true]);
    }
    for (const path of [`/vks/v1/by-fingerprint/${k.fpr}`, `/vks/v1/by-fingerprint/${subFpr}`, `/vks/v1/by-email/${encodeURIComponent(k.email)}`]) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, 200]);
      const text = await r.text();
      expect([path, dearmor(text)[0].data.equals(k.binary)]).toEqual([path, true]);
      // and a v6-capable client reads it back as the same key
      const read = await openpgp.readKey({ armoredKey: text });
      expect(read.getFingerprint().toUpperCase()).toBe(k.fpr);
      await read.verifyPrimaryKey(); // throws unless the primary key's self-signatures hold
    }
  }

  test('Ed25519: uploaded over POST /pks/v2/certs, inserted as version 6, served as uploaded', async () => {
    const r = await fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: ed25519.binary, headers: { 'Content-Type': 'application/pgp' } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ inserted: [{ version: 6, fingerprint: ed25519.fpr.toLowerCase() }], updated: [], deleted: [], ignored: [], invalid: [] });
    await expectServedAsUploaded(ed25519);
  });

  test('Ed448: uploaded armored over POST /vks/v1/upload, its address published, served as uploaded', async () => {
    // RFC 9580 §6.2: openpgp.js writes a v6 key's armor without the CRC-24 line
    expect(ed448.armored).not.toMatch(/\n=[A-Za-z0-9+/]{4}\n/);
    const r = await fetch(`${s.base}/vks/v1/upload`, { method: 'POST', body: JSON.stringify({ keytext: ed448.armored }), headers: { 'Content-Type': 'application/json' } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ key_fpr: ed448.fpr, status: { [ed448.email]: 'published' }, token: expect.any(String) });
    await expectServedAsUploaded(ed448);
  });

  test('the other route for each: the Ed25519 key over VKS and the Ed448 key over v2 change nothing', async () => {
    const vks = await fetch(`${s.base}/vks/v1/upload`, { method: 'POST', body: JSON.stringify({ keytext: ed25519.binary.toString('base64') }), headers: { 'Content-Type': 'application/json' } });
    expect(vks.status).toBe(200);
    expect((await vks.json()).key_fpr).toBe(ed25519.fpr);
    const v2 = await fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: ed448.binary, headers: { 'Content-Type': 'application/pgp' } });
    expect((await v2.json()).ignored).toEqual([{ version: 6, fingerprint: ed448.fpr.toLowerCase(), comment: expect.stringMatching(/nothing new/) }]);
    await expectServedAsUploaded(ed25519);
    await expectServedAsUploaded(ed448);
  });

  test('never over legacy v1 nor by key ID: op=get and op=get by key ID or e-mail, v2 by-keyid, 04/ are 404', async () => {
    for (const k of [ed25519, ed448]) {
      const keyId = k.fpr.slice(0, 16); // RFC 9580 §5.5.4.3: a v6 key ID is the fingerprint's first 8 octets
      for (const path of [
        `/pks/lookup?op=get&options=mr&search=0x${k.fpr}`,
        `/pks/lookup?op=get&options=mr&search=0x${keyId}`,
        `/pks/lookup?op=get&options=mr&search=${encodeURIComponent(k.email)}`,
        `/pks/v2/certs/by-keyid/${keyId}`,
        `/pks/v2/certs/by-vfingerprint/04/${k.fpr.slice(0, 40)}`,
      ]) {
        expect([path, (await get(path)).status]).toEqual([path, 404]);
      }
    }
  });

  test('gpg 2.2 over v1 gets nothing for a v6 key', async () => {
    const h = new GpgHome('', 'dks-v6-gpg-');
    try {
      writeFileSync(join(h.dir, 'dirmngr.conf'), `keyserver hkp://127.0.0.1:${s.server.port}\nconnect-timeout 10\n`);
      // by key ID gpg asks the server (op=get: 404); the 64-digit fingerprint gpg 2.2 may refuse itself
      for (const id of [`0x${ed25519.fpr.slice(0, 16)}`, ed25519.fpr]) {
        const r = await gpgAsync(h.dir, ['--keyserver', `hkp://127.0.0.1:${s.server.port}`, '--recv-keys', id]);
        expect([id, r.status]).not.toEqual([id, 0]);
      }
      // the same home and server do serve gpg a v4 key: the refusals above are the server's
      const four = await makeKey([{ name: 'Version Four', email: 'four@example.org' }]);
      expect((await fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: four.binary, headers: { 'Content-Type': 'application/pgp' } })).status).toBe(200);
      const r = await gpgAsync(h.dir, ['--keyserver', `hkp://127.0.0.1:${s.server.port}`, '--recv-keys', four.fpr]);
      expect([r.status, r.stderr]).toEqual([0, expect.stringMatching(/imported: 1/)]);
      const lines = (await gpgAsync(h.dir, ['--with-colons', '--list-keys'])).stdout.split('\n');
      const primaries = lines.flatMap((l, i) => (l.startsWith('pub:') ? [lines[i + 1].split(':')[9]] : []));
      expect(primaries).toEqual([four.fpr]);
    } finally {
      h.cleanup();
    }
  });
});

/**
 * gpg in `home`, without blocking the event loop: the server under test runs in this process,
 * so GpgHome.run (spawnSync) would stall it while gpg waits for its answer.
 */
function gpgAsync(home: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'gpg',
      ['--homedir', home, '--batch', '--no-tty', ...args],
      { env: { ...process.env, GNUPGHOME: home, LC_ALL: 'C' }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ status: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

describe('a store keeping only the sks policy', () => {
  let s: ApiServer;
  let k: V6Key;
  beforeAll(async () => {
    s = await startApiServer('dks-v6-sks-', { policies: ['sks'], fill: noKeys });
    k = await makeV6('curve25519', 'six-sks@example.org');
  });
  afterAll(() => s.close());

  const REASON = /unsupported-version: v6 keys are not stored: the configured recon policies hash key versions 2, 3, 4 only/;

  test('refuses a v6 key over v2, VKS and v1 with the reason in the answer; nothing is stored', async () => {
    const v2 = await fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: k.binary, headers: { 'Content-Type': 'application/pgp' } });
    expect(v2.status).toBe(200);
    expect(await v2.json()).toEqual({ inserted: [], updated: [], deleted: [], ignored: [], invalid: [{ version: 6, fingerprint: k.fpr.toLowerCase(), comment: expect.stringMatching(REASON) }] });
    // beside a v4 key that is stored, the same
    const four = await makeKey([{ name: 'Version Four', email: 'four-sks@example.org' }]);
    const both = await fetch(`${s.base}/pks/v2/certs`, { method: 'POST', body: Buffer.concat([four.binary, k.binary]), headers: { 'Content-Type': 'application/pgp' } });
    expect(both.status).toBe(200);
    expect(await both.json()).toMatchObject({
      inserted: [{ version: 4, fingerprint: four.fpr.toLowerCase() }],
      invalid: [{ version: 6, fingerprint: k.fpr.toLowerCase(), comment: expect.stringMatching(REASON) }],
    });

    const vks = await fetch(`${s.base}/vks/v1/upload`, { method: 'POST', body: JSON.stringify({ keytext: k.armored }), headers: { 'Content-Type': 'application/json' } });
    expect(vks.status).toBe(400);
    expect((await vks.json()).error).toMatch(REASON);

    const v1 = await fetch(`${s.base}/pks/add`, { method: 'POST', body: new URLSearchParams({ keytext: k.armored, options: 'mr' }) });
    expect(await v1.text()).toMatch(REASON);

    expect(s.store.get(Buffer.from(k.fpr, 'hex'))).toBeUndefined();
    for (const path of [`/pks/v2/certs/by-vfingerprint/06/${k.fpr}`, `/vks/v1/by-fingerprint/${k.fpr}`]) expect([path, (await fetch(s.base + path)).status]).toEqual([path, 404]);
  });
});
