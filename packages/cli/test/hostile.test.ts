/**
 * Hostile input through `dkeyserv import` (issue: truncated packets, bad lengths, bad armor and
 * CRC, unknown tags, a key of 100,000 signatures, v3 and v6 keys, secret keys, a 1 GB length
 * field): each gets a clear rejection or is stored per policy, nothing crashes, memory stays
 * bounded, and the store stays consistent.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armor, joinPackets, splitPackets } from '@dkeyserv/pgp';
import { floodSignatures, makeV3Key, makeV4Key, makeV6Key } from '../../../test-fixtures/keys';
import { runSync } from '../../../test/helpers/dkeyserv';

describe('dkeyserv import with hostile input', () => {
  let dir: string;
  let data: string;
  const file = (name: string, bytes: Buffer | string) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const role = readFileSync('/usr/share/keyrings/debian-role-keys.gpg');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-hostile-'));
    data = join(dir, 'data');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fsckOk = () => {
    const r = runSync(['fsck', '--data', data]);
    expect(r.stdout).toMatch(/consistent/);
    expect(r.code).toBe(0);
  };

  test('a good key file imports', () => {
    const r = runSync(['import', '--data', data, file('role.gpg', role)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/keys: 6 read: 6 new/);
  });

  test('truncated file: the keys before the cut are kept, one error line, exit 1', () => {
    const cut = file('cut.gpg', role.subarray(0, role.length - 100));
    const r = runSync(['import', '--data', data, cut]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cut\.gpg: byte \d+: packet at byte \d+ declares \d+ bytes but only \d+ remain/);
    expect(r.stdout).toMatch(/unchanged/);
    fsckOk();
  });

  test('a 1 GB length field is refused without allocating it', () => {
    const huge = Buffer.from([0xc6, 0xff, 0x40, 0x00, 0x00, 0x00, 4, 0, 0, 0, 0, 1]);
    const r = runSync(['import', '--data', data, file('huge.gpg', huge)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/declares 1073741824 bytes, over the limit/);
  });

  test('bad armor CRC and bad base64 give one clear line each', () => {
    const text = armor(role.subarray(0, 2000));
    const badCrc = text.replace(/^=(.*)$/m, (_m, c: string) => '=' + (c[0] === 'A' ? 'B' : 'A') + c.slice(1));
    const r1 = runSync(['import', '--data', data, file('crc.asc', badCrc)]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/crc\.asc: armor checksum \(CRC-24\) does not match/);
    const r2 = runSync(['import', '--data', data, file('b64.asc', text.replace(/^[A-Za-z0-9+/]{8}/m, '########'))]);
    expect(r2.stderr).toMatch(/not base64/);
  });

  test('not OpenPGP at all, an empty file, a missing file', () => {
    expect(runSync(['import', '--data', data, file('text.txt', 'hello world\n')]).stderr).toMatch(/not an OpenPGP file/);
    expect(runSync(['import', '--data', data, file('empty.gpg', '')]).stderr).toMatch(/empty file/);
    const r = runSync(['import', '--data', data, join(dir, 'missing.gpg')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such file/);
  });

  test('unknown packet tags and out-of-grammar keys are rejected by reason, others still import', async () => {
    const v4 = await makeV4Key('mixed@example.org');
    const literal = Buffer.from([0xcb, 3, 0x62, 0, 0]); // tag 11 after a key: not in the grammar
    const r = runSync(['import', '--data', data, file('mixed.gpg', Buffer.concat([v4.publicKey, literal]))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rejected: bad-structure: 1/);
    const ok = runSync(['import', '--data', data, file('v4.gpg', v4.publicKey)]);
    expect(ok.stdout).toMatch(/1 new/);
  });

  test('secret keys are never stored', async () => {
    const v4 = await makeV4Key('secret@example.org');
    const r = runSync(['import', '--data', data, file('sec.gpg', v4.secretKey)]);
    expect(r.stdout).toMatch(/rejected: secret-key: 1/);
    expect(r.stdout).toMatch(/0 new/);
  });

  test('a v3 key is stored; a v6 key only where a kept policy holds v6 keys, else refused with the reason', async () => {
    const v3 = runSync(['import', '--data', data, file('v3.gpg', makeV3Key())]);
    expect(v3.stdout).toMatch(/1 new/);
    const v6 = await makeV6Key();
    // the default policies (sks, hockeypuck): Hockeypuck holds v6 keys, SKS does not
    const r = runSync(['import', '--data', data, file('v6.gpg', v6.publicKey)]);
    expect(r.stdout).toMatch(/1 new/);
    const excluded = runSync(['hashes', '--data', data, '--policy', 'sks']).stderr;
    expect(excluded).toMatch(/: not in policy sks: unsupported-version: policy sks holds key versions 2, 3, 4 only, not v6/);
    fsckOk();
    // a store that keeps only sks refuses it
    const sksOnly = join(dir, 'sks-only');
    const refused = runSync(['import', '--data', sksOnly, '--policy', 'sks', file('v6.gpg', v6.publicKey)]);
    expect(refused.stdout).toMatch(/rejected: unsupported-version: 1/);
  });

  test('a key with 100,000 signatures is refused, in bounded memory', async () => {
    const v4 = await makeV4Key('flood@example.org');
    // openpgp's key ends with its subkey; flood a key made of primary + UID + self-sig only
    const packets = splitPackets(v4.publicKey);
    const noSubkey = joinPackets(packets.slice(0, packets.findIndex((p) => p.tag === 14)));
    const flood = floodSignatures(noSubkey, 100_000);
    const r = runSync(['import', '--data', data, file('flood.gpg', flood)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rejected: too-many-packets: 1/);
    fsckOk();
  });
});

