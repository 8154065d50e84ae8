/**
 * Real gpg (GnuPG 2.2, through its dirmngr) against a running `dkeyserv serve` holding
 * debian-keyring.gpg: --recv-keys by fingerprint, long and short key ID; --search-keys by
 * e-mail and by name (--with-colons); --send-keys of a fresh key and --recv-keys of it into
 * another home; --refresh-keys; a revoked key shown as revoked.
 *
 * Every gpg run uses `--keyserver hkp://127.0.0.1:PORT` and a fresh home (dirmngr caches
 * answers and marks hosts dead, so homes are never shared between tests); each home's agents
 * are killed in cleanup.  Only loopback is used.
 * Needs gpg and the Debian package debian-keyring (.ci/run installs them).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GpgHome, GpgResult } from '../helpers/gpg';
import { httpGet, RunningDkeyserv, startServer, stopAllServers } from '../helpers/server';
import { keysOf } from '../helpers/sks';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';

let srv: RunningDkeyserv;
const homes: GpgHome[] = [];

/** A fresh gpg home with a dirmngr.conf pointing at the server (cleaned up in afterAll). */
function home(): GpgHome {
  const h = new GpgHome('', 'dks-gpg-');
  homes.push(h);
  // one keyserver, no Tor, short timeouts: a hang fails fast instead of at jest's timeout
  writeFileSync(path.join(h.dir, 'dirmngr.conf'), `keyserver ${srv.hkpUrl}\nconnect-timeout 10\nldaptimeout 10\n`);
  return h;
}

/** gpg with the keyserver given explicitly too (what users type). */
function ks(h: GpgHome, args: readonly string[]): GpgResult {
  return h.run(['--keyserver', srv.hkpUrl, ...args]);
}

function ok(h: GpgHome, args: readonly string[]): GpgResult {
  const r = ks(h, args);
  if (r.status !== 0) {
    throw new Error(`gpg ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n--- server log (tail):\n${srv.stderr().slice(-3000)}`);
  }
  return r;
}

/** `--list-keys --with-colons` records of a home, as split lines. */
function listing(h: GpgHome, ...args: string[]): string[][] {
  return h.gpg(['--with-colons', '--fixed-list-mode', '--with-subkey-fingerprints', '--list-keys', ...args]).toString('utf8').split('\n').filter(Boolean).map((l) => l.split(':'));
}

/** Primary key fingerprints in a home. */
function fingerprints(h: GpgHome): string[] {
  const recs = listing(h);
  const out: string[] = [];
  recs.forEach((r, i) => {
    if (r[0] === 'pub' && recs[i + 1]?.[0] === 'fpr') out.push(recs[i + 1][9]);
  });
  return out;
}

/** A parsed `--search-keys --with-colons` answer (GnuPG doc/DETAILS "Format of the --search-keys output"). */
interface SearchListing {
  info: { version: number; count: number } | undefined;
  keys: Array<{ fpr: string; algo: string; bits: string; created: string; expires: string; flags: string; uids: string[] }>;
}

function parseSearch(stdout: Buffer | string): SearchListing {
  const out: SearchListing = { info: undefined, keys: [] };
  for (const line of stdout.toString().split('\n')) {
    const f = line.replace(/\r$/, '').split(':');
    if (f[0] === 'info') out.info = { version: Number(f[1]), count: Number(f[2]) };
    else if (f[0] === 'pub') out.keys.push({ fpr: f[1], algo: f[2], bits: f[3], created: f[4], expires: f[5], flags: f[6] ?? '', uids: [] });
    else if (f[0] === 'uid' && out.keys.length) out.keys[out.keys.length - 1].uids.push(Buffer.from(decodePercent(f[1]), 'latin1').toString('utf8'));
  }
  return out;
}

function decodePercent(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A listing must be well formed: info:1:N with N = number of pub records, 40-hex fingerprints, uids. */
function expectWellFormed(l: SearchListing): void {
  expect(l.info).toEqual({ version: 1, count: l.keys.length });
  expect(l.keys.length).toBeGreaterThan(0);
  for (const k of l.keys) {
    expect(k.fpr).toMatch(/^[0-9A-F]{40}$/);
    expect(k.algo).toMatch(/^\d+$/);
    expect(k.bits).toMatch(/^\d+$/);
    expect(k.created).toMatch(/^\d+$/);
    expect(k.uids.length).toBeGreaterThan(0);
  }
}

function keyIdOf(fpr: string): string {
  return fpr.slice(-16);
}

/** A Debian key dkeyserv serves, with an e-mail UID, whose 32-bit ID no other key of the ring shares. */
interface Pick {
  fpr: string;
  uid: string;
  email: string;
  name: string;
}

async function pickDebianKey(): Promise<Pick> {
  const keys = [...keysOf(KEYRING).values()];
  const short = new Map<string, number>();
  for (const k of keys) short.set(k.fingerprint.slice(-8), (short.get(k.fingerprint.slice(-8)) ?? 0) + 1);
  // a deterministic but not hand-picked choice: the keys in ring order, the first that fits
  for (const k of keys) {
    const fpr = k.fingerprint.toUpperCase();
    if (!/^[0-9A-F]{40}$/.test(fpr) || short.get(k.fingerprint.slice(-8)) !== 1) continue;
    const r = await httpGet(srv.port, `/pks/lookup?op=index&options=mr&search=0x${fpr}`);
    if (r.status !== 200) continue;
    for (const u of parseSearch(r.text).keys[0]?.uids ?? []) {
      const m = /^([A-Za-z]{2,}(?: [A-Za-z]{2,})+) <([^<>@\s]+@[^<>@\s]+)>$/.exec(u);
      if (m) return { fpr, uid: u, name: m[1], email: m[2] };
    }
  }
  throw new Error('no suitable key in debian-keyring');
}

let pick: Pick;

beforeAll(async () => {
  srv = await startServer({ keys: [KEYRING] });
  pick = await pickDebianKey();
}, 120_000);

afterAll(async () => {
  for (const h of homes) h.cleanup();
  await stopAllServers();
});

describe('gpg --recv-keys', () => {
  test('by full fingerprint', () => {
    const h = home();
    const r = ok(h, ['--recv-keys', pick.fpr]);
    expect(r.stderr).toMatch(/imported: 1/);
    expect(fingerprints(h)).toEqual([pick.fpr]);
    // a second fetch is a no-op for gpg
    expect(ok(h, ['--recv-keys', pick.fpr]).stderr).toMatch(/unchanged: 1/);
  });

  test('by long key ID', () => {
    const h = home();
    expect(ok(h, ['--recv-keys', `0x${keyIdOf(pick.fpr)}`]).stderr).toMatch(/imported: 1/);
    expect(fingerprints(h)).toEqual([pick.fpr]);
  });

  test('by short key ID (gpg sends 0x + 8 hex)', () => {
    const h = home();
    expect(ok(h, ['--recv-keys', `0x${pick.fpr.slice(-8)}`]).stderr).toMatch(/imported: 1/);
    expect(fingerprints(h)).toEqual([pick.fpr]);
  });

  test('the imported key carries the e-mail UID that was served', () => {
    const h = home();
    ok(h, ['--recv-keys', pick.fpr]);
    const uids = listing(h).filter((r) => r[0] === 'uid').map((r) => r[9]);
    expect(uids.some((u) => u.includes(`<${pick.email}>`))).toBe(true);
  });

  test('an unknown fingerprint: gpg says "No data" and exits non-zero', () => {
    const h = home();
    const r = ks(h, ['--recv-keys', '0123456789ABCDEF0123456789ABCDEF01234567']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/No data/);
    expect(fingerprints(h)).toEqual([]);
  });
});

describe('gpg --search-keys --with-colons', () => {
  test('by e-mail', () => {
    const h = home();
    const l = parseSearch(ok(h, ['--with-colons', '--search-keys', pick.email]).stdout);
    expectWellFormed(l);
    expect(l.keys.map((k) => k.fpr)).toContain(pick.fpr);
    // an e-mail search is exact: every key listed has that address
    for (const k of l.keys) expect(k.uids.some((u) => u.toLowerCase().includes(`<${pick.email.toLowerCase()}>`))).toBe(true);
    expect(l.keys.find((k) => k.fpr === pick.fpr)!.uids).toContain(pick.uid);
  });

  test('by e-mail in angle brackets', () => {
    const h = home();
    const l = parseSearch(ok(h, ['--with-colons', '--search-keys', `<${pick.email}>`]).stdout);
    expectWellFormed(l);
    expect(l.keys.map((k) => k.fpr)).toContain(pick.fpr);
  });

  test('by name', () => {
    const h = home();
    const l = parseSearch(ok(h, ['--with-colons', '--search-keys', pick.name]).stdout);
    expectWellFormed(l);
    expect(l.keys.map((k) => k.fpr)).toContain(pick.fpr);
  });

  test('nothing found: "not found on keyserver", non-zero exit', () => {
    const h = home();
    const r = ks(h, ['--with-colons', '--search-keys', 'nosuchwordxyzzy']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/not found on keyserver|No data|Not found/);
  });
});

describe('gpg --send-keys', () => {
  test('a fresh key is accepted and a fresh home receives it', () => {
    const a = home();
    const fpr = a.genKey('Send Test <send-test@example.invalid>', 'ed25519', 'sign');
    expect(ok(a, ['--send-keys', fpr]).stderr).toMatch(/sending key/);
    // a re-send of the same key is fine too
    ok(a, ['--send-keys', fpr]);
    const b = home();
    expect(ok(b, ['--recv-keys', fpr]).stderr).toMatch(/imported: 1/);
    expect(fingerprints(b)).toEqual([fpr]);
    expect(listing(b).find((r) => r[0] === 'uid')?.[9]).toBe('Send Test <send-test@example.invalid>');
    // and the new key is searchable at once
    const c = home();
    const l = parseSearch(ok(c, ['--with-colons', '--search-keys', 'send-test@example.invalid']).stdout);
    expectWellFormed(l);
    expect(l.keys.map((k) => k.fpr)).toEqual([fpr]);
  });
});

describe('gpg --refresh-keys', () => {
  test('picks up a new UID and subkey of a sent key, and refreshes a Debian key', () => {
    const a = home();
    const fpr = a.genKey('Refresh Test <refresh-test@example.invalid>', 'ed25519', 'sign');
    ok(a, ['--send-keys', fpr]);

    const b = home();
    ok(b, ['--recv-keys', fpr]);
    // a Debian key imported from the keyring file, not from the server
    const debian = [...keysOf(KEYRING).values()].find((k) => k.fingerprint.toUpperCase() === pick.fpr)!;
    b.gpg(['--import'], debian.bytes);
    expect(fingerprints(b).sort()).toEqual([fpr, pick.fpr].sort());
    const before = listing(b, fpr);
    expect(before.filter((r) => r[0] === 'uid')).toHaveLength(1);
    expect(before.filter((r) => r[0] === 'sub')).toHaveLength(0);

    // the owner adds a UID and an encryption subkey and sends the key again
    a.secret(['--quick-add-uid', fpr, 'Refresh Test <refresh-new@example.invalid>']);
    a.addSubkey(fpr, 'cv25519', 'encr');
    ok(a, ['--send-keys', fpr]);

    const r = ok(b, ['--refresh-keys']);
    expect(r.stderr).toMatch(/Total number processed: 2/);
    expect(r.stderr).toMatch(/new user IDs: 1/);
    expect(r.stderr).toMatch(/new subkeys: 1/);
    const after = listing(b, fpr);
    expect(after.filter((r) => r[0] === 'uid').map((r) => r[9]).sort()).toEqual(
      ['Refresh Test <refresh-new@example.invalid>', 'Refresh Test <refresh-test@example.invalid>'],
    );
    expect(after.filter((r) => r[0] === 'sub')).toHaveLength(1);
    expect(fingerprints(b).sort()).toEqual([fpr, pick.fpr].sort());
  });
});

describe('a revoked key', () => {
  test('sent revoked, it is listed revoked (pub:r) by --search-keys and --recv-keys in a fresh home', () => {
    const a = home();
    const fpr = a.genKey('Revoked Test <revoked-test@example.invalid>', 'ed25519', 'sign');
    ok(a, ['--send-keys', fpr]); // first the live key, so the revocation is an update
    // the revocation certificate gpg made at generation; its armor line is defused with ':'
    const cert = readFileSync(path.join(a.dir, 'openpgp-revocs.d', `${fpr}.rev`), 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
    expect(a.run(['--import'], cert).stderr).toMatch(/revocation certificate imported/);
    ok(a, ['--send-keys', fpr]);

    const b = home();
    const l = parseSearch(ok(b, ['--with-colons', '--search-keys', 'revoked-test@example.invalid']).stdout);
    expectWellFormed(l);
    expect(l.keys.map((k) => k.fpr)).toEqual([fpr]);
    expect(l.keys[0].flags).toContain('r');
    expect(ok(b, ['--recv-keys', fpr]).stderr).toMatch(/imported: 1/);
    const pub = listing(b).find((r) => r[0] === 'pub')!;
    expect(pub[1]).toBe('r');

    // a key sent already revoked (never seen live by the server) is shown revoked too
    const c = home();
    const fpr2 = c.genKey('Revoked Too <revoked-too@example.invalid>', 'ed25519', 'sign');
    const cert2 = readFileSync(path.join(c.dir, 'openpgp-revocs.d', `${fpr2}.rev`), 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
    c.gpg(['--import'], cert2);
    ok(c, ['--send-keys', fpr2]);
    const d = home();
    ok(d, ['--recv-keys', fpr2]);
    expect(listing(d).find((r) => r[0] === 'pub')![1]).toBe('r');
  });
});
